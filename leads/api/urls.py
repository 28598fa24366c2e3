"""The leads API and public intake, mounted at /api/ by the shell."""

from django.urls import path

from leads.api import intake, views

app_name = "leads_api"
urlpatterns = [
    path("intake/web-form/", intake.WebFormIntakeAPI.as_view(), name="intake-web-form"),
    path("intake/adf/", intake.AdfIntakeAPI.as_view(), name="intake-adf"),
    path("v1/leads/", views.LeadListAPI.as_view(), name="lead-list"),
    path("v1/leads/<int:pk>/", views.LeadDetailAPI.as_view(), name="lead-detail"),
    path(
        "v1/leads/<int:pk>/contact-attempts/",
        views.LeadContactAttemptsAPI.as_view(),
        name="lead-contact-attempts",
    ),
    path("v1/leads/<int:pk>/calls/", views.LeadCallsAPI.as_view(), name="lead-calls"),
    path("v1/leads/<int:pk>/grade/", views.LeadGradeAPI.as_view(), name="lead-grade"),
    path("v1/leads/<int:pk>/move/", views.LeadMoveAPI.as_view(), name="lead-move"),
    path("v1/leads/<int:pk>/claim/", views.LeadClaimAPI.as_view(), name="lead-claim"),
    path("v1/leads/<int:pk>/assign/", views.LeadAssignAPI.as_view(), name="lead-assign"),
    path("v1/leads/<int:pk>/lost/", views.LeadLostProposeAPI.as_view(), name="lead-lost-propose"),
    path("v1/leads/<int:pk>/lost/decide/", views.LeadLostDecideAPI.as_view(), name="lead-lost-decide"),
    path("v1/leads/<int:pk>/test-drives/", views.LeadTestDrivesAPI.as_view(), name="lead-test-drives"),
    path("v1/leads/<int:pk>/orders/", views.LeadOrdersAPI.as_view(), name="lead-orders"),
    path("v1/orders/<int:pk>/place/", views.OrderPlaceAPI.as_view(), name="order-place"),
    path("v1/orders/<int:pk>/deliver/", views.OrderDeliverAPI.as_view(), name="order-deliver"),
    path("v1/visits/", views.VisitsAPI.as_view(), name="visit-create"),
]
