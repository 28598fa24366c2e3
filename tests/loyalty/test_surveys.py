"""Satisfaction surveys: frozen questionnaire versions, invitations from the timeline with who is judged frozen
at send, the one-time signed link (409 on a resubmit, 410 after expiry, 404 for a forged link, never a 500),
the fatigue rule, staff contact changes flagged, one reminder, call-back entry, and one complaint per low
response."""

import threading
from datetime import timedelta

import pghistory
import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.customers.models import ContactPoint
from crm.messaging.models import OutboxMessage
from crm.network.access import access_for
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_dispatch, event_record
from leads.events import LEAD_DELIVERED
from leads.models import Lead
from loyalty.exceptions import QuestionnaireFrozen, SurveyAlreadyAnswered, SurveyAnswersInvalid, SurveyExpired
from loyalty.models import SurveyInvitation, SurveyKind, SurveyQuestion, SurveyResponse
from loyalty.services import questionnaires
from loyalty.services import surveys as services
from service import services as workshop_services
from service.models import Complaint
from tests.factories import VehicleFactory, consent_give, customer_with, walk_in
from tests.loyalty import surveys_setup
from tests.loyalty.surveys_setup import answer, invite, questionnaire_live

pytestmark = pytest.mark.django_db
survey_world = surveys_setup.survey_world  # the shared fixture
Status = SurveyInvitation.Status


def link(invitation) -> str:
    return reverse("loyalty:surveys:answer", args=[services.survey_token(invitation)])


def form_data(invitation, *, nps=None, scale=None, text=None) -> dict:
    with network_wide(reason="test"):
        questions = {q.type: q.id for q in invitation.version.questions.all()}
    data = {}
    if nps is not None:
        data[f"q{questions['nps']}"] = str(nps)
    if scale is not None:
        data[f"q{questions['scale']}"] = str(scale)
    if text is not None:
        data[f"q{questions['text']}"] = text
    return data


# --- Questionnaires -------------------------------------------------------------------------------------


def test_a_published_version_is_frozen_even_for_raw_writes(survey_world):
    version = survey_world["csi"]
    with pytest.raises(QuestionnaireFrozen):
        questionnaires.question_add(
            by=survey_world["admin"], version=version, type="text", text_en="New?", text_zh="新？"
        )
    question = version.questions.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyQuestion.objects.filter(id=question.id).update(text_en="Changed behind the builder's back")
    assert SurveyQuestion.objects.get(id=question.id).text_en == question.text_en


def test_a_new_draft_copies_the_questions_and_invitations_keep_their_version(survey_world):
    admin = survey_world["admin"]
    sent = invite(survey_world)
    draft = questionnaires.version_draft_from(by=admin, version=survey_world["csi"])
    assert draft.number == 2 and draft.questions.count() == 4
    questionnaires.question_add(by=admin, version=draft, type="text", text_en="New?", text_zh="新？")
    questionnaires.version_publish(by=admin, version=draft)
    later = invite(survey_world, customer=customer_with(survey_world["dealer"]))
    assert (sent.version_id, later.version_id) == (survey_world["csi"].id, draft.id)


def test_only_the_oem_admin_builds_questionnaires(survey_world):
    with pytest.raises(PermissionDenied):
        questionnaires.questionnaire_create(by=survey_world["manager"], kind="csi", name_en="x", name_zh="x")


# --- Invitations from the timeline ----------------------------------------------------------------------


def test_a_delivery_invites_to_the_sales_survey_judging_the_salesperson_of_that_moment(survey_world):
    dealer, seller = survey_world["dealer"], survey_world["seller"]
    lead = walk_in(seller, dealer, name="李女士")
    with network_wide(reason="test: the delivery"):
        vehicle = VehicleFactory(owner=lead.customer)
        ContactPoint.objects.filter(customer=lead.customer).update(is_primary=True)
        event = event_record(
            customer_id=lead.customer_id,
            kind=LEAD_DELIVERED,
            dealer_id=dealer.id,
            data={"lead": lead.id, "order": None, "vehicle": vehicle.id, "vin": vehicle.vin, "model": "A6"},
        )
    assert event_dispatch(event_id=event.id) >= 1
    assert event_dispatch(event_id=event.id) == 0  # a second hand-off changes nothing
    with network_wide(reason="test check"):
        invitation = SurveyInvitation.objects.get(source_event=event)
        Lead.objects.filter(id=lead.id).update(owner=survey_world["manager"])
        invitation.refresh_from_db()
        message = OutboxMessage.objects.get(id=invitation.message_id)
    assert (invitation.kind, invitation.salesperson_id, invitation.model) == (SurveyKind.SSI, seller.id, "A6")
    assert invitation.version_id == survey_world["ssi"].id
    assert message.purpose == "service" and message.channel == "sms"
    # The link's signed part names this invitation (its timestamp is the second it was signed).
    assert services.survey_token(invitation).split(":")[0] in message.body_text
    assert message.language == "zh-hans" and message.recipient.startswith("+86")


def test_a_settled_repair_order_invites_to_the_service_survey_judging_its_advisor(survey_world):
    dealer, advisor, owner = survey_world["dealer"], survey_world["advisor"], survey_world["owner"]
    vehicle = VehicleFactory(owner=owner, recorded_by_dealer=dealer, model="A8")
    with scoped(access_for(advisor).scope):
        repair_order = workshop_services.repair_order_open(
            dealer=dealer, vehicle=vehicle, by=advisor, concern="First service"
        )
        workshop_services.labour_line_add(
            job=repair_order.jobs.get(), by=advisor, operation_code="MNT", hours="1", rate="100"
        )
        workshop_services.repair_order_settle(repair_order=repair_order, by=advisor)
    with network_wide(reason="test"):
        event = TimelineEvent.objects.get(kind="service.repair_order_settled")
    event_dispatch(event_id=event.id)
    with network_wide(reason="test check"):
        invitation = SurveyInvitation.objects.get(source_event=event)
    assert (invitation.kind, invitation.advisor_id, invitation.repair_order_id) == ("csi", advisor.id, repair_order.id)
    assert invitation.model == "A8" and invitation.status == Status.SENT


def test_no_active_questionnaire_means_no_invitation(survey_world):
    with network_wide(reason="test"):
        assert invite(survey_world, kind=SurveyKind.NPS) is None
        assert not SurveyInvitation.objects.filter(kind="nps").exists()


def test_a_customer_who_opted_out_of_service_messages_is_not_sent_one(survey_world):
    customer = customer_with(survey_world["dealer"])
    consent_give(customer, channel="sms", purpose="service", status="opt_out")
    invitation = invite(survey_world, customer=customer)
    assert invitation.status == Status.UNREACHABLE and invitation.message_id is None


# --- Fatigue and interference -------------------------------------------------------------------------


def test_one_survey_per_customer_per_fatigue_window(survey_world, settings):
    settings.SURVEY_FATIGUE_DAYS = 30
    now = timezone.now()
    first = invite(survey_world, at=now - timedelta(days=29))
    second = invite(survey_world, kind=SurveyKind.SSI, at=now)
    third = invite(survey_world, at=now + timedelta(days=2))
    assert (first.status, second.status, third.status) == (Status.SENT, Status.SKIPPED_FATIGUE, Status.SENT)
    assert second.message_id is None
    with network_wide(reason="test"):
        assert OutboxMessage.objects.filter(customer=survey_world["owner"]).count() == 2


def test_a_contact_changed_by_staff_shortly_before_is_flagged(survey_world, settings):
    settings.SURVEY_CONTACT_CHANGE_DAYS = 14
    untouched = invite(survey_world)
    assert untouched.contact_changed_at is None
    customer = customer_with(survey_world["dealer"])
    with network_wide(reason="test: back-date the record"):
        customer.__class__.objects.filter(id=customer.id).update(created_at=timezone.now() - timedelta(days=90))
        with pghistory.context(user=survey_world["seller"].id):
            ContactPoint.objects.filter(customer=customer, kind="phone").update(value="+8613900001111")
    flagged = invite(survey_world, customer=customer)
    assert flagged.contact_changed_at is not None
    assert flagged.contact_changed_by_id == survey_world["seller"].id
    assert flagged.status == Status.SENT  # still sent: the flag is for the reviewer, not a block
    client = Client()
    client.force_login(survey_world["manager"])
    listed = client.get(reverse("loyalty:surveys:invitations"), {"status": "all", "flagged": "1"})
    assert listed.status_code == 200 and listed.context["page"].object_list[0].id == flagged.id
    assert len(listed.context["page"].object_list) == 1


# --- The public link -----------------------------------------------------------------------------------


def test_the_link_opens_without_login_and_accepts_one_response(survey_world):
    invitation = invite(survey_world)
    client = Client()
    page = client.get(link(invitation))
    assert page.status_code == 200 and "您会推荐我们吗" in page.content.decode()
    done = client.post(link(invitation), form_data(invitation, nps=9, scale=5, text="很好"))
    assert done.status_code == 200
    again = client.post(link(invitation), form_data(invitation, nps=0, scale=1))
    assert again.status_code == 409
    assert client.get(link(invitation)).status_code == 409
    with network_wide(reason="test check"):
        response = SurveyResponse.objects.get(invitation=invitation)
        assert response.answers.count() == 3 and not response.is_low_score
        assert SurveyInvitation.objects.get(id=invitation.id).status == Status.ANSWERED


def test_the_database_refuses_a_second_response_whatever_the_path(survey_world):
    invitation = invite(survey_world)
    answer(invitation, nps=10)
    with pytest.raises(SurveyAlreadyAnswered):
        answer(invitation, nps=1)
    with network_wide(reason="test"), pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            invitation=invitation, dealer=invitation.dealer, kind="csi", submitted_at=timezone.now(), channel="web"
        )


def test_an_expired_link_answers_410_and_records_nothing(survey_world, settings):
    invitation = invite(survey_world, at=timezone.now() - timedelta(days=settings.SURVEY_LINK_VALID_DAYS + 1))
    client = Client()
    assert client.get(link(invitation)).status_code == 410
    assert client.post(link(invitation), form_data(invitation, nps=9)).status_code == 410
    with pytest.raises(SurveyExpired):
        answer(invitation, nps=9, at=timezone.now())
    with network_wide(reason="test"):
        assert not SurveyResponse.objects.exists()


def test_a_forged_or_stale_link_answers_404(survey_world):
    invitation = invite(survey_world)
    client = Client()
    assert client.get(reverse("loyalty:surveys:answer", args=["forged"])).status_code == 404
    token = services.survey_token(invitation)
    assert client.get(reverse("loyalty:surveys:answer", args=[token[:-2] + "xx"])).status_code == 404
    with network_wide(reason="test"):
        SurveyInvitation.objects.filter(id=invitation.id).update(nonce="replaced")
    assert client.get(link(invitation)).status_code == 404


def test_a_missing_required_answer_is_shown_beside_the_question(survey_world):
    customer = customer_with(survey_world["dealer"])
    version = questionnaire_live(survey_world["admin"], kind=SurveyKind.NPS, nps_required=True)
    with network_wide(reason="test"):
        invitation = services.invitation_create(kind="nps", dealer_id=survey_world["dealer"].id, customer_id=customer.id)
    assert invitation.version_id == version.id
    page = Client().post(link(invitation), form_data(invitation, scale=4, text="ok"))
    assert page.status_code == 400
    assert "Please answer this question." in page.content.decode() or "请回答" in page.content.decode()
    with pytest.raises(SurveyAnswersInvalid):
        answer(invitation, nps=11)
    with network_wide(reason="test"):
        assert not SurveyResponse.objects.exists()


# --- Reminders --------------------------------------------------------------------------------------------


def test_one_reminder_for_an_unanswered_invitation_even_if_the_job_runs_twice(survey_world, settings):
    settings.SURVEY_REMINDER_AFTER_DAYS = 3
    sent = timezone.now() - timedelta(days=4)
    waiting = invite(survey_world, at=sent)
    answered = invite(survey_world, customer=customer_with(survey_world["dealer"]), at=sent)
    answer(answered, nps=8)
    with network_wide(reason="test: the beat"):
        assert services.invitations_remind_due() == 1
        assert services.invitations_remind_due() == 0
        reminders = OutboxMessage.objects.filter(kind="survey_reminder")
        assert [m.customer_id for m in reminders] == [waiting.customer_id]
        assert services.survey_token(waiting) in reminders.get().body_text


# --- Call-backs -------------------------------------------------------------------------------------------


def test_an_agent_records_the_answers_of_a_call_back(survey_world):
    invitation = invite(survey_world, advisor_id=survey_world["advisor"].id)
    client = Client()
    client.force_login(survey_world["agent"])
    url = reverse("loyalty:surveys:call_back", args=[invitation.id])
    assert client.get(url).status_code == 200
    assert client.post(url, form_data(invitation, nps=7, scale=4)).status_code == 302
    with network_wide(reason="test check"):
        response = SurveyResponse.objects.get(invitation=invitation)
    assert (response.channel, response.recorded_by_id) == ("phone", survey_world["agent"].id)


def test_the_advisor_judged_cannot_record_their_own_call_back(survey_world):
    invitation = invite(survey_world, advisor_id=survey_world["advisor"].id)
    with pytest.raises(PermissionDenied):
        answer(invitation, nps=10, channel="phone", by=survey_world["advisor"])
    client = Client()
    client.force_login(survey_world["advisor"])
    url = reverse("loyalty:surveys:call_back", args=[invitation.id])
    assert client.post(url, form_data(invitation, nps=10)).status_code == 404
    with network_wide(reason="test"):
        assert not SurveyResponse.objects.exists()


# --- Low scores and complaints ---------------------------------------------------------------------------


def complaints_of(customer_id):
    with network_wide(reason="test check"):
        return list(Complaint.objects.filter(customer_id=customer_id))


def test_a_detractor_is_marked_and_opens_exactly_one_complaint(survey_world):
    invitation = invite(survey_world, advisor_id=survey_world["advisor"].id)
    response = answer(invitation, nps=3, scale=4, text="等了三个小时")
    assert response.is_low_score and response.complaint_due_at is not None
    with network_wide(reason="test: the sweep, twice"):
        services._open_complaint_for(response)
        services.complaints_open_due()
        services.complaints_open_due()
        response.refresh_from_db()
    [complaint] = complaints_of(invitation.customer_id)
    assert response.complaint_id == complaint.id
    assert complaint.source == Complaint.Source.SURVEY and complaint.dealer_id == invitation.dealer_id
    assert "等了三个小时" in complaint.summary


def test_the_bottom_of_a_scale_is_low_and_a_passive_is_not(survey_world):
    bottom_invitation = invite(survey_world)
    bottom = answer(bottom_invitation, nps=9, scale=1)
    passive_customer = customer_with(survey_world["dealer"])
    passive = answer(invite(survey_world, customer=passive_customer), nps=7, scale=3)
    assert bottom.is_low_score and not passive.is_low_score
    assert len(complaints_of(bottom_invitation.customer_id)) == 1
    assert complaints_of(passive_customer.id) == []


def test_a_response_holds_a_complaint_only_when_it_was_due(survey_world):
    response = answer(invite(survey_world), nps=10, scale=5)
    assert response.complaint_due_at is None
    with network_wide(reason="test"), pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.filter(id=response.id).update(complaint_due_at=None, complaint_id=5)


def test_the_oem_admin_builds_and_publishes_a_questionnaire_through_the_pages(survey_world):
    client = Client()
    client.force_login(survey_world["admin"])
    created = client.post(
        reverse("loyalty:surveys:questionnaire_new"), {"kind": "nps", "name_en": "Brand NPS", "name_zh": "品牌推荐"}
    )
    assert created.status_code == 302
    version_url = created["Location"]
    refused = client.post(
        version_url, {"action": "add", "type": "scale", "text_en": "Rate", "text_zh": "评分", "scale_min": "5"}
    )
    assert refused.status_code == 400 and "at most 10 steps apart" in refused.content.decode()
    assert client.post(
        version_url, {"action": "add", "type": "nps", "text_en": "Recommend?", "text_zh": "推荐吗？"}
    ).status_code == 302
    assert client.post(
        version_url,
        {"action": "add", "type": "single", "text_en": "Why?", "text_zh": "为什么？", "choices": "Price | 价格\nCar | 车"},
    ).status_code == 302
    assert client.post(version_url, {"action": "publish"}).status_code == 302
    assert client.post(version_url, {"action": "activate"}).status_code == 302
    customer = customer_with(survey_world["dealer"])
    with network_wide(reason="test"):
        invitation = services.invitation_create(kind="nps", dealer_id=survey_world["dealer"].id, customer_id=customer.id)
        choices = invitation.version.questions.get(type="single").choices
    assert [c["zh"] for c in choices] == ["价格", "车"]
    page = client.get(version_url)
    assert "frozen" in page.content.decode() or "冻结" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_make_one_response_and_one_409(survey_world):
    invitation = invite(survey_world)
    barrier, outcomes = threading.Barrier(2), []

    def submit(score: int) -> None:
        try:
            barrier.wait()
            answer(invitation, nps=score, at=timezone.now())
            outcomes.append("saved")
        except SurveyAlreadyAnswered:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(score,)) for score in (2, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "saved"]
    with network_wide(reason="test check"):
        assert SurveyResponse.objects.filter(invitation=invitation).count() == 1


def test_the_call_back_list_query_count_does_not_grow_with_rows(survey_world, django_assert_max_num_queries):
    client = Client()
    client.force_login(survey_world["agent"])
    url = reverse("loyalty:surveys:invitations")
    invite(survey_world)
    with django_assert_max_num_queries(20) as first:
        assert client.get(url).status_code == 200
    for _ in range(8):
        invite(survey_world, customer=customer_with(survey_world["dealer"]), advisor_id=survey_world["advisor"].id)
    with django_assert_max_num_queries(len(first.captured_queries)):
        page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("Record answers") == 9
