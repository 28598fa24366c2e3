"""The project's URLs plus one that fails, to see the product's own 500 page."""

from django.urls import path

from crm.urls import handler400, handler404, handler500  # noqa: F401
from crm.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *project_urlpatterns]
