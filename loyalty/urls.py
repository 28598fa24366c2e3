from django.urls import path

from loyalty.views import club, redemption, settlement

app_name = "loyalty"

urlpatterns = [
    path("members/", club.member_list, name="members"),
    path("members/<int:member_id>/", club.member_detail, name="member"),
    path("members/<int:member_id>/statement/", club.member_statement, name="statement"),
    path("members/<int:member_id>/adjust/", club.member_adjust, name="adjust"),
    path("customers/<int:customer_id>/enrol/", club.member_enrol_view, name="enrol"),
    path("repair-orders/<int:repair_order_id>/redeem/", redemption.redeem, name="redeem"),
    path("repair-orders/<int:repair_order_id>/tier-discount/", redemption.tier_discount, name="tier_discount"),
    path("programme/", club.programme, name="programme"),
    path("programme/campaigns/", club.campaign_add, name="campaign_add"),
    path("settlement/", settlement.settlement, name="settlement"),
]
