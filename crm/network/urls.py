from django.contrib.auth import views as auth_views
from django.urls import path

from crm.network import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
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
]
