from django.urls import path

from leads.call_centre import views

app_name = "leads_call_centre"
urlpatterns = [
    path("", views.phone_in, name="phone_in"),
    path("lookup/", views.phone_in_lookup, name="phone_in_lookup"),
    path("dealers/", views.phone_in_dealers, name="phone_in_dealers"),
    path("dealer/", views.dealer_phone_in, name="dealer_phone_in"),
    path("dealer/lookup/", views.dealer_phone_in_lookup, name="dealer_phone_in_lookup"),
    path("referral/<int:customer_id>/", views.referral, name="referral"),
]
