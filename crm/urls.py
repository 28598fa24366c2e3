"""The shell's URL map: every app's pages and API, the OpenAPI schema and its docs, the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("crm.network.urls")),
    path("customers/", include("crm.customers.urls")),
    path("", include("crm.messaging.urls")),
    path("leads/dashboard/", include("leads.dashboard.urls")),
    path("leads/imports/", include("leads.imports.urls")),
    path("leads/call-centre/", include("leads.call_centre.urls")),
    path("leads/setup/", include("leads.setup.urls")),
    path("leads/", include("leads.urls")),
    path("api/v1/", include("crm.customers.api.urls")),
    path("api/", include("leads.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]
