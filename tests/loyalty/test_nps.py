"""NPS-only surveys — N days after a delivery and once per period to each club member, through the same
invitation path as SSI/CSI (fatigue rule, signed link, outbox), at most once per occasion however often the job
runs — and messaging's "latest NPS answer" segment filter."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Customer
from crm.messaging.models import OutboxMessage
from crm.messaging.registry import segment_filter_get
from leads.models import Lead, Order
from loyalty.models import Member, SurveyInvitation, SurveyKind
from loyalty.services.surveys import nps_invitations_due
from loyalty.tasks import nps_invitations
from tests.factories import customer_with
from tests.loyalty import surveys_setup
from tests.loyalty.surveys_setup import answer, invite, questionnaire_live

pytestmark = pytest.mark.django_db
survey_world = surveys_setup.survey_world  # the shared fixture


def _nps_live(world):
    with network_wide(reason="test"):
        world["nps"] = questionnaire_live(world["admin"], kind=SurveyKind.NPS)


def _nps_invitations():
    with network_wide(reason="test"):
        return list(SurveyInvitation.objects.filter(kind=SurveyKind.NPS).order_by("id"))


@override_settings(SURVEY_NPS_AFTER_DELIVERY_DAYS=90, SURVEY_NPS_MEMBER_PERIOD_DAYS=0)
def test_an_nps_survey_goes_out_90_days_after_a_delivery_once_judging_the_seller(survey_world):
    from tests.loyalty.test_earning import delivered

    _nps_live(survey_world)
    lead = delivered(survey_world["seller"], survey_world["dealer"], customer_phone="+8613811170001")
    with network_wide(reason="test"):
        order = Order.objects.get(lead=lead)
        delivered_at = order.delivered_at
    # Too early: nothing; a day after the 90th: one invitation, judged as it was delivered.
    with network_wide(reason="test"):
        assert nps_invitations_due(now=delivered_at + timedelta(days=89)) == 0
        assert nps_invitations_due(now=delivered_at + timedelta(days=91)) == 1
        assert nps_invitations_due(now=delivered_at + timedelta(days=91)) == 0
        assert nps_invitations_due(now=delivered_at + timedelta(days=92)) == 0
    [invitation] = _nps_invitations()
    with network_wide(reason="test"):
        customer_id = Lead.objects.get(id=lead.id).customer_id
        assert (invitation.customer_id, invitation.dealer_id, invitation.salesperson_id, invitation.lead_id) == (
            customer_id, survey_world["dealer"].id, survey_world["seller"].id, lead.id,
        )  # fmt: skip
        assert invitation.version_id == survey_world["nps"].id and invitation.occasion == f"nps:order:{order.id}"
        assert invitation.status == SurveyInvitation.Status.SENT
        assert OutboxMessage.objects.filter(id=invitation.message_id, kind="survey_invitation").exists()


@override_settings(SURVEY_NPS_AFTER_DELIVERY_DAYS=0, SURVEY_NPS_MEMBER_PERIOD_DAYS=365)
def test_members_are_asked_once_a_year_and_the_fatigue_rule_still_holds(survey_world):
    from loyalty.services.club import member_enrol

    _nps_live(survey_world)
    dealer = survey_world["dealer"]
    now = timezone.now()
    with network_wide(reason="test"):
        old = member_enrol(customer=survey_world["owner"], dealer=dealer, has_consent=True)
        recent = member_enrol(customer=customer_with(dealer), dealer=dealer, has_consent=True)
        tired_customer = customer_with(dealer)
        tired = member_enrol(customer=tired_customer, dealer=dealer, has_consent=True)
        Member.objects.filter(id__in=[old.id, tired.id]).update(joined_at=now - timedelta(days=400))
        Member.objects.filter(id=recent.id).update(joined_at=now - timedelta(days=100))
    # The tired member had a service survey last week: recorded, not sent (the fatigue rule).
    invite(survey_world, customer=tired_customer, at=now - timedelta(days=7))
    assert nps_invitations() == 2
    assert nps_invitations() == 0  # the same day again: nobody twice
    by_customer = {i.customer_id: i for i in _nps_invitations()}
    assert set(by_customer) == {old.customer_id, tired.customer_id}
    assert by_customer[old.customer_id].status == SurveyInvitation.Status.SENT
    assert by_customer[tired.customer_id].status == SurveyInvitation.Status.SKIPPED_FATIGUE
    assert by_customer[old.customer_id].occasion == f"nps:member:{old.id}:1"
    # A year on: asked again (a new occasion).
    with network_wide(reason="test"):
        assert nps_invitations_due(now=now + timedelta(days=366)) == 3  # the recent member's first year too


@override_settings(SURVEY_NPS_AFTER_DELIVERY_DAYS=90, SURVEY_NPS_MEMBER_PERIOD_DAYS=365)
def test_no_nps_questionnaire_no_invitations(survey_world):
    with network_wide(reason="test"):
        assert nps_invitations_due() == 0
        assert not SurveyInvitation.objects.filter(kind=SurveyKind.NPS).exists()


def test_the_latest_nps_answer_segment_filter(survey_world):
    dealer = survey_world["dealer"]
    fan, lukewarm, unhappy, changed, silent = (customer_with(dealer) for _ in range(5))
    now = timezone.now()
    for customer, scores in ((fan, [10]), (lukewarm, [7]), (unhappy, [2]), (changed, [3, 9]), (silent, [None])):
        for days_ago, score in zip((90, 40), scores, strict=False):
            answer(invite(survey_world, customer=customer, at=now - timedelta(days=days_ago)), nps=score, scale=4)
    with network_wide(reason="test"):
        customers = Customer.objects.all()

        def chosen(value, dealer_id=None):
            return set(segment_filter_get("loyalty_last_nps").apply(customers, value, dealer_id).values_list("id", flat=True))

        assert chosen(["promoter"]) == {fan.id, changed.id}  # the later answer counts
        assert chosen(["passive"]) == {lukewarm.id}
        assert chosen(["detractor"]) == {unhappy.id}
        assert chosen(["detractor", "passive"]) == {unhappy.id, lukewarm.id}
        assert chosen(["promoter"], dealer_id=dealer.id) == {fan.id, changed.id}
        assert chosen(["promoter"], dealer_id=dealer.id + 1000) == set()
        assert chosen(["nonsense"]) == set() and chosen("promoter") == {fan.id, changed.id}
