from django.urls import path

from service import views

app_name = "service"
urlpatterns = [
    path("", views.workshop, name="workshop"),
    path("vehicles/<int:vehicle_id>/", views.vehicle_detail, name="vehicle"),
    path("vehicles/<int:vehicle_id>/repair-orders/new/", views.repair_order_new, name="repair_order_new"),
    path("repair-orders/<int:repair_order_id>/", views.repair_order_detail, name="repair_order"),
    path("repair-orders/<int:repair_order_id>/jobs/", views.job_add, name="job_add"),
    path("repair-orders/<int:repair_order_id>/jobs/update/", views.job_update, name="job_update"),
    path("repair-orders/<int:repair_order_id>/lines/remove/", views.line_remove, name="line_remove"),
    path("repair-orders/<int:repair_order_id>/lines/<str:kind>/", views.line_add, name="line_add"),
    path("repair-orders/<int:repair_order_id>/move/", views.move, name="move"),
    path("repair-orders/<int:repair_order_id>/settle/", views.settle, name="settle"),
    path("repair-orders/<int:repair_order_id>/void/", views.void, name="void"),
    path("repair-orders/<int:repair_order_id>/correct/", views.correct, name="correct"),
]
