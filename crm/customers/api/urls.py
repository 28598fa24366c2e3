"""The customer record's REST API, mounted at /api/v1/ by the shell."""

from django.urls import path

from crm.customers.api import views

app_name = "api"
urlpatterns = [
    path("customers/", views.CustomerListAPI.as_view(), name="customer-list"),
    path("customers/<int:pk>/", views.CustomerDetailAPI.as_view(), name="customer-detail"),
    path("customers/<int:pk>/timeline/", views.CustomerTimelineAPI.as_view(), name="customer-timeline"),
    path(
        "customers/<int:pk>/contact-points/",
        views.CustomerContactPointsAPI.as_view(),
        name="customer-contact-points",
    ),
    path("customers/<int:pk>/consents/", views.CustomerConsentsAPI.as_view(), name="customer-consents"),
    path("vehicles/", views.VehicleListAPI.as_view(), name="vehicle-list"),
    path("vehicles/<int:pk>/", views.VehicleDetailAPI.as_view(), name="vehicle-detail"),
]
