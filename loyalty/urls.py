"""Loyalty's pages. Each feature area is a namespace of its own inside "loyalty"."""

from django.urls import include, path

from loyalty.views import club, redemption, settlement, surveys

app_name = "loyalty"

# --- Satisfaction surveys: loyalty:surveys:* ---------------------------------------------------------------
survey_patterns = [
    path("s/<str:token>/", surveys.answer, name="answer"),
    path("statistics/", surveys.statistics, name="statistics"),
    path("statistics/export/", surveys.statistics_export, name="statistics_export"),
    path("call-backs/", surveys.invitations, name="invitations"),
    path("call-backs/<int:invitation_id>/", surveys.call_back, name="call_back"),
    path("questionnaires/", surveys.questionnaires, name="questionnaires"),
    path("questionnaires/new/", surveys.questionnaire_new, name="questionnaire_new"),
    path("questionnaires/versions/<int:version_id>/", surveys.version, name="version"),
    path("questionnaires/questions/<int:question_id>/remove/", surveys.question_remove, name="question_remove"),
]

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
    path("surveys/", include((survey_patterns, "surveys"))),
]
