"""The shell's URL map: every app's pages and API, the OpenAPI schema and its docs, the admin."""

from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from crm.core.api_views import RedocView, SwaggerView

urlpatterns = [
    # Browsers ask for /favicon.ico whatever the page says: send them to the fingerprinted icon.
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.svg"))),
    path("", include("crm.network.urls")),
    path("customers/", include("crm.customers.urls")),
    path("", include("crm.messaging.urls")),
    path("leads/dashboard/", include("leads.dashboard.urls")),
    path("leads/imports/", include("leads.imports.urls")),
    path("leads/call-centre/", include("leads.call_centre.urls")),
    path("leads/setup/", include("leads.setup.urls")),
    path("leads/", include("leads.urls")),
    path("dealers/", include("dealers.urls")),
    path("service/imports/", include("service.imports.urls")),  # svc-workshop
    path("service/appointments/", include("service.appointments.urls")),  # svc-appointments
    path("service/", include("service.urls")),  # svc-workshop
    path("service/care/", include("service.care.urls")),  # svc-care: complaints, call-backs
    path("service/recalls/", include("service.recalls.urls")),  # svc-care: recalls
    path("service/maintenance/", include("service.maintenance.urls")),  # maintenance due
    path("loyalty/", include("loyalty.urls")),
    path("api/v1/", include("crm.customers.api.urls")),
    path("api/", include("leads.api.urls")),
    path("api/v1/service/", include("service.imports.api.urls")),  # svc-workshop
    path("api/v1/service/appointments/", include("service.appointments.api.urls")),  # svc-appointments: public
    path("api/", include("dealers.api.urls")),  # dl-figures: read-only key figures
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("admin/", admin.site.urls),
]

# Under /api/ an unknown URL (or an id the route's converter refuses), or a request refused before any view,
# answers JSON in the API's error shape.
handler400 = "crm.core.api_views.bad_request"
handler404 = "crm.core.api_views.not_found"
handler500 = "crm.core.api_views.server_error"
