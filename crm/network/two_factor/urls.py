from django.urls import path

from crm.network.two_factor import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", views.verify, name="two_factor_verify"),
    path("account/two-factor/", views.enrol, name="two_factor_enrol"),
    path("account/two-factor/recovery-codes/", views.recovery_codes_renew, name="two_factor_recovery_codes"),
    path("account/two-factor/off/", views.disable, name="two_factor_disable"),
]
