"""A lead's loose ends: closing a lead closes its follow-ups (with the reason, never deleted), a new grade
replaces an overdue follow-up without erasing it, a delivered lead's call-backs reach My day and are done
by logging the call, closed leads show no countdown, and a dealer's rejection reaches the OEM."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from leads import services
from leads.exceptions import LeadClosed
from leads.models import FollowUp, Grade, Lead, Stage
from leads.selectors import sla_clock
from tests.factories import make_vin, walk_in, web_lead
from tests.leads.conftest import as_user

pytestmark = pytest.mark.django_db


def delivered(shop) -> Lead:
    seller = shop["seller"]
    lead = walk_in(seller, shop["dealer"], phone="+8613811120000", grade=Grade.H)
    with as_user(seller):
        order = services.order_quote(
            lead=lead, by=seller, model="A6", trim="", list_price=Decimal("300000"), discount=Decimal("0")
        )
        order = services.order_place(order=order, by=seller, deposit=Decimal("20000"))
        services.order_deliver(order=order, by=seller, vin=make_vin(serial=4242), plate="沪A42420")
    with network_wide(reason="test check"):
        return Lead.objects.get(id=lead.id)


def follow_ups(lead) -> list[tuple[str, str, bool]]:
    with network_wide(reason="test check"):
        rows = (
            FollowUp.objects.filter(lead=lead)
            .order_by("id")
            .values_list("reason", "closed_reason", "done_at")
        )
        return [(reason, closing, done_at is None) for reason, closing, done_at in rows]


def test_delivery_closes_the_open_follow_up_as_lead_closed_and_keeps_the_call_backs_open(shop):
    lead = delivered(shop)
    rows = follow_ups(lead)
    open_reasons = {reason for reason, _closing, is_open in rows if is_open}
    assert open_reasons == {"delivery_day_3", "delivery_day_7", "delivery_month_1"}
    assert ("ordered", "lead_closed", False) in rows or ("after_visit", "lead_closed", False) in rows
    assert lead.next_follow_up_at is None


def test_a_new_grade_replaces_an_overdue_follow_up_and_keeps_it_on_record(shop):
    lead = walk_in(shop["seller"], shop["dealer"], phone="+8613811120001", grade=Grade.B)
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(
            due_at=timezone.now() - timedelta(days=3)
        )
    with as_user(shop["seller"]):
        services.contact_log(lead=lead, by=shop["seller"], channel="call", outcome="reached")
        services.lead_grade(lead=lead, by=shop["seller"], grade=Grade.H, reason="")
    # The walk-in's own bookkeeping comes first; then the overdue call (done by the contact), the cadence
    # follow-up the contact scheduled (replaced by the new grade), and the new grade's one, open.
    assert [closing for _reason, closing, _open in follow_ups(lead)][-3:] == ["contacted", "replaced", ""]


def test_a_delivered_leads_call_backs_are_on_my_day_and_a_logged_call_closes_the_next_one(client, shop):
    lead = delivered(shop)
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead=lead, reason="delivery_day_3").update(
            due_at=timezone.now() - timedelta(hours=1)
        )
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:my_day"))
    assert [f.lead_id for f in page.context["follow_ups"]] == [lead.id]
    response = client.post(
        reverse("leads:contact_log", args=[lead.id]), {"channel": "call", "outcome": "reached"}
    )
    assert response.status_code == 302
    rows = {reason: (closing, is_open) for reason, closing, is_open in follow_ups(lead)}
    assert rows["delivery_day_3"] == ("contacted", False)
    assert rows["delivery_day_7"] == ("", True)


def test_a_closed_lead_without_call_backs_takes_no_contact_attempt(shop):
    lead = web_lead(shop["dealer"], phone="+8613811120002", owner=shop["seller"])
    with as_user(shop["manager"]):
        verdict = services.lost_propose(lead=lead, by=shop["manager"], reason="price")
        services.lost_decide(verdict=verdict, by=shop["manager"], approve=True)
    with as_user(shop["seller"]), pytest.raises(LeadClosed):
        services.contact_log(lead=lead, by=shop["seller"], channel="call", outcome="reached")


def test_a_closed_lead_shows_no_first_response_countdown(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613811120003")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
    with as_user(shop["manager"]):
        services.lead_reject(lead=lead, by=shop["manager"], reason="Customer lives in another province")
    with network_wide(reason="test check"):
        lead = Lead.objects.select_related("dealer").get(id=lead.id)
    assert lead.stage == Stage.LOST and sla_clock(lead) is None


def test_the_dealers_rejection_reason_reaches_the_oem_on_the_lead_page_and_timeline(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613811120004")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
    with as_user(shop["manager"]):
        services.lead_reject(lead=lead, by=shop["manager"], reason="Duplicate of a walk-in last week")
    client.force_login(shop["regional"])
    page = client.get(reverse("leads:detail", args=[lead.id])).content.decode()
    assert "Rejected by the dealer" in page and "Duplicate of a walk-in last week" in page
    timeline = client.get(reverse("customers:detail", args=[lead.customer_id])).content.decode()
    assert "Duplicate of a walk-in last week" in timeline


def test_the_lead_list_filters_oem_leads_by_acceptance(client, shop):
    pending = web_lead(shop["dealer"], phone="+8613811120005", name="Pending one")
    web_lead(shop["dealer"], phone="+8613811120006", name="Own one")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=pending.id).update(acceptance=Lead.Acceptance.PENDING)
    client.force_login(shop["manager"])
    response = client.get(reverse("leads:list"), {"acceptance": "pending"})
    assert [lead.customer.name for lead in response.context["leads"]] == ["Pending one"]
