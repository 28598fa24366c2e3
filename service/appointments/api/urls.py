"""The public appointment API, mounted at /api/v1/service/appointments/ by the shell."""

from django.urls import path

from service.appointments.api import views

app_name = "service_appointments_api"
urlpatterns = [
    path("", views.AppointmentBookAPI.as_view(), name="book"),
    path("slots/", views.AppointmentSlotsAPI.as_view(), name="slots"),
]
