from django.urls import path

from service.recalls import views

app_name = "service_recalls"
urlpatterns = [
    path("", views.recalls, name="list"),
    path("new/", views.recall_new, name="new"),
    path("<int:recall_id>/", views.recall_detail, name="detail"),
    path("<int:recall_id>/upload/", views.recall_upload, name="upload"),
    path("<int:recall_id>/rule/", views.recall_rule, name="rule"),
    path("<int:recall_id>/notify/", views.recall_notify, name="notify"),
    path("<int:recall_id>/export/", views.recall_export, name="export"),
    path("vehicles/<int:recall_vehicle_id>/decline/", views.recall_vehicle_decline, name="decline"),
]
