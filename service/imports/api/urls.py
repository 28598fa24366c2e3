"""The service API, mounted at /api/v1/service/ by the shell."""

from django.urls import path

from service.imports.api import views

app_name = "service_api"
urlpatterns = [path("dms-imports/", views.DmsImportAPI.as_view(), name="dms-import")]
