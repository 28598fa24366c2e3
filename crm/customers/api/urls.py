"""The customer record's REST API, mounted at /api/v1/ by the shell."""

from django.urls import path

from crm.customers.api import views as api

app_name = "api"
urlpatterns = [
    path("customers/", api.CustomerListAPI.as_view(), name="customer-list"),
    path("customers/<int:pk>/", api.CustomerDetailAPI.as_view(), name="customer-detail"),
    path("customers/<int:pk>/timeline/", api.CustomerTimelineAPI.as_view(), name="customer-timeline"),
    path(
        "customers/<int:pk>/contact-points/",
        api.CustomerContactPointsAPI.as_view(),
        name="customer-contact-points",
    ),
    path("customers/<int:pk>/consents/", api.CustomerConsentsAPI.as_view(), name="customer-consents"),
    path("vehicles/", api.VehicleListAPI.as_view(), name="vehicle-list"),
    path("vehicles/<int:pk>/", api.VehicleDetailAPI.as_view(), name="vehicle-detail"),
]
