"""The dealers API (read-only figures), mounted at /api/ by the shell."""

from django.urls import path

from dealers.api import views

app_name = "dealers_api"
urlpatterns = [
    path("v1/figures/", views.FigureListAPI.as_view(), name="figure-list"),
    path("v1/dealers/<int:pk>/figures/", views.DealerFiguresAPI.as_view(), name="dealer-figures"),
]
