from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("my-day/", views.my_day, name="my_day"),
    path("team/", views.team, name="team"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/lookup/", views.visit_lookup, name="visit_lookup"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/verdicts/<int:verdict_id>/", views.verdict_decide, name="verdict_decide"),
    path("approvals/reassign/", views.reassign_all, name="reassign_all"),
    path("<int:lead_id>/", views.lead_detail, name="detail"),
    path("<int:lead_id>/contact/", views.contact_log, name="contact_log"),
    path("<int:lead_id>/call/", views.call_start, name="call_start"),
    path("<int:lead_id>/calls/<int:call_id>/", views.call_status, name="call_status"),
    path("<int:lead_id>/sms/", views.sms_send, name="sms_send"),
    path("<int:lead_id>/claim/", views.claim, name="claim"),
    path("<int:lead_id>/answers/", views.answers_record, name="answers"),
    path("<int:lead_id>/grade/", views.grade_set, name="grade"),
    path("<int:lead_id>/move/", views.stage_move, name="move"),
    path("<int:lead_id>/test-drives/", views.test_drive_book, name="test_drive_book"),
    path("<int:lead_id>/quotes/", views.quote_add, name="quote"),
    path("<int:lead_id>/orders/<int:order_id>/place/", views.order_place, name="order_place"),
    path("<int:lead_id>/orders/<int:order_id>/deliver/", views.order_deliver, name="order_deliver"),
    path("<int:lead_id>/lost/", views.lost_propose, name="lost_propose"),
    path("<int:lead_id>/assign/", views.assign, name="assign"),
    path("<int:lead_id>/accept/", views.accept, name="accept"),
    path("<int:lead_id>/reject/", views.reject, name="reject"),
]
