from django.urls import path

from service.imports import views

app_name = "service_imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:import_id>/", views.result, name="result"),
]
