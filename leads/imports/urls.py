from django.urls import path

from leads.imports import views

app_name = "leads_imports"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<str:token>/", views.preview, name="preview"),
    path("<str:token>/confirm/", views.confirm, name="confirm"),
    path("<str:token>/errors.csv", views.errors_csv, name="errors_csv"),
    path("<str:token>/done/", views.done, name="done"),
    path("<str:token>/done/results.csv", views.results_csv, name="results_csv"),
]
