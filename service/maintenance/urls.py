from django.urls import path

from service.maintenance import views

app_name = "service_maintenance"
urlpatterns = [
    path("due/", views.due, name="due"),
    path("settings/", views.reminder_settings, name="settings"),
    path("schedules/", views.schedules, name="schedules"),
    path("schedules/new/", views.schedule_new, name="schedule_new"),
    path("schedules/<int:schedule_id>/", views.schedule_edit, name="schedule_edit"),
    path("vehicles/<int:vehicle_id>/insurance/", views.vehicle_insurance, name="vehicle_insurance"),
]
