"""The dealers API (read-only figures, scorecards and findings), mounted at /api/ by the shell."""

from django.urls import path

from dealers.api import views

app_name = "dealers_api"
urlpatterns = [
    path("v1/figures/", views.FigureListAPI.as_view(), name="figure-list"),
    path("v1/dealers/<int:pk>/figures/", views.DealerFiguresAPI.as_view(), name="dealer-figures"),
    path("v1/scorecards/", views.ScorecardListAPI.as_view(), name="scorecard-list"),
    path("v1/scorecards/<int:pk>/", views.ScorecardDetailAPI.as_view(), name="scorecard-detail"),
    path("v1/findings/", views.FindingListAPI.as_view(), name="finding-list"),
    path("v1/findings/<int:pk>/", views.FindingDetailAPI.as_view(), name="finding-detail"),
]
