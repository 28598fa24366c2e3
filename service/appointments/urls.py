from django.urls import path

from service.appointments import views

app_name = "service_appointments"
urlpatterns = [
    path("", views.board, name="board"),
    path("new/", views.book, name="book"),
    path("capacity/", views.capacity, name="capacity"),
    path("<int:appointment_id>/", views.detail, name="detail"),
    path("<int:appointment_id>/reschedule/", views.reschedule, name="reschedule"),
    path("<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("<int:appointment_id>/check-in/", views.check_in, name="check_in"),
]
