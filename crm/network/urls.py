from django.contrib.auth import views as auth_views
from django.urls import include, path

from crm.network import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("crm.network.two_factor.urls")),
    path("", include("crm.network.api_tokens.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.language_set, name="language_set"),
    path("acting-dealer/", views.acting_dealer_set, name="acting_dealer_set"),
    path("profile/phone/", views.staff_phone_set, name="staff_phone_set"),
    path("network/", views.network_overview, name="network_overview"),
    path("network/dealers/<int:dealer_id>/", views.dealer_staff, name="dealer_staff"),
    path(
        "network/dealers/<int:dealer_id>/staff/<int:assignment_id>/deactivate/",
        views.staff_deactivate,
        name="staff_deactivate",
    ),
    path(
        "network/dealers/<int:dealer_id>/staff/<int:assignment_id>/two-factor-reset/",
        views.staff_two_factor_reset,
        name="staff_two_factor_reset",
    ),
]
