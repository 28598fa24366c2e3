"""The project's URLs plus one that fails, to see the product's own 500 page."""

from django.urls import path

from crm.urls import handler400, handler404, handler500, urlpatterns as project_urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/boom/", boom), *project_urlpatterns]
