# ruff: noqa: F811 - `pudong` is test_figures.py's fixture, imported to be used here
"""The funnel figures added in leads/figures/registrations/follow_through.py and the figures' person dimension, on the hand-made
Pudong data of test_figures.py (Mon–Fri 9–18 Shanghai): first response within the same business day, leads
untouched for N days, the lost-reason mix, and each salesperson's share of a figure — with the rows behind every
number listing exactly what it counts."""

from datetime import timedelta

import pytest

from crm.core import key_figures as kf
from crm.core.scope import network_wide
from crm.network.models import Role
from leads import services
from leads.models import Lead, LostVerdict
from tests.factories import staff
from tests.leads.conftest import as_user
from tests.leads.test_figures import FRIDAY, MONDAY, TUESDAY, clock, local, pudong, values  # noqa: F401

pytestmark = pytest.mark.django_db


def listed(client, user, url) -> tuple[set[int], int]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return {lead.id for lead in response.context["leads"]}, response.context["figure_rows"].count


def test_first_response_within_the_same_business_day(pudong, client):
    # A arrived Friday 17:50 (open): its business day was Friday; contacted Monday -> not within.
    # B arrived Monday 07:30 (closed): its clock started Monday 09:00; contacted 09:03 -> within.
    # C arrived Monday 10:00, first contact claimed for 13:00 -> within. D: never contacted -> not within.
    code = "leads.first_response_within_business_day"
    got = values(code, dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)[code]
    assert (got.numerator, got.denominator, got.value) == (2, 4, 50)
    ids, count = listed(client, pudong["manager"], kf.figure_get(code).rows_url(pudong["dealer"].id, FRIDAY, MONDAY))
    assert ids == {pudong["leads"]["B"].id, pudong["leads"]["C"].id} and count == 2


def test_leads_untouched_for_seven_days_count_open_leads_by_their_last_attempt(pudong, client):
    leads, seller, manager = pudong["leads"], pudong["seller"], pudong["manager"]
    with clock(local(TUESDAY, "10:00")), as_user(seller):
        verdict = services.lost_propose(lead=leads["D"], by=seller, reason=LostVerdict.Reason.PRICE)
    with clock(local(TUESDAY, "10:05")), as_user(manager):
        services.lost_decide(verdict=verdict, by=manager, approve=True)
    # Seven days after Monday 12:00: A (last attempt 09:15) and B (09:30) are untouched; C's attempt at 13:00 is
    # younger; D is lost (closed); W (a walk-in, logged at 11:00 on arrival) depends on its own attempts.
    now = local(MONDAY, "12:00") + timedelta(days=7)
    with network_wide(reason="test check"):
        walk_in_attempts = list(leads["W"].contact_attempts.values_list("at", flat=True))
    w_untouched = max([leads["W"].arrived_at, *walk_in_attempts]) <= now - timedelta(days=7)
    expected = {"A", "B"} | ({"W"} if w_untouched else set())
    with clock(now):
        got = values("leads.untouched", dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)["leads.untouched"]
        ids, count = listed(
            client, manager, kf.figure_get("leads.untouched").rows_url(pudong["dealer"].id, FRIDAY, MONDAY)
        )
    assert got.value == len(expected) == count
    assert ids == {leads[key].id for key in expected}
    # A day later C is untouched too.
    with clock(now + timedelta(days=1)):
        later = values("leads.untouched", dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)
    assert later["leads.untouched"].value == len(expected) + 1


def test_the_untouched_limit_is_a_setting(pudong, settings):
    settings.LEADS_UNTOUCHED_DAYS = 30
    with clock(local(MONDAY, "12:00") + timedelta(days=8)):
        got = values("leads.untouched", dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)
    assert got["leads.untouched"].value == 0


def test_the_lost_reason_mix_shares_the_lost_leads_by_their_approved_reason(pudong, client):
    leads, seller, manager = pudong["leads"], pudong["seller"], pudong["manager"]
    for key, reason in (("C", LostVerdict.Reason.PRICE), ("D", LostVerdict.Reason.PRICE), ("B", LostVerdict.Reason.TIMING)):
        with clock(local(TUESDAY, "10:00")), as_user(seller):
            verdict = services.lost_propose(lead=leads[key], by=seller, reason=reason)
        with clock(local(TUESDAY, "11:00")), as_user(manager):
            services.lost_decide(verdict=verdict, by=manager, approve=True)
    mix = [f"leads.lost_reason.{reason.value}" for reason in LostVerdict.Reason]
    got = values(*mix, dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)
    assert (got["leads.lost_reason.price"].numerator, got["leads.lost_reason.price"].denominator) == (2, 3)
    assert round(got["leads.lost_reason.timing"].value, 2) == 33.33
    assert got["leads.lost_reason.other"].numerator == 0  # the merged duplicate's loss is not a lead of its own
    assert sum(got[code].numerator for code in mix) == 3
    ids, count = listed(
        client, manager, kf.figure_get("leads.lost_reason.price").rows_url(pudong["dealer"].id, FRIDAY, MONDAY)
    )
    assert ids == {leads["C"].id, leads["D"].id} and count == 2
    assert all(kf.figure_get(code).group == "lost_reasons" and not kf.figure_get(code).is_scorable for code in mix)


def test_each_salespersons_share_of_a_figure_adds_up_and_lists_their_rows(pudong, client):
    leads, manager = pudong["leads"], pudong["manager"]
    other = staff(Role.SALESPERSON, dealer=pudong["dealer"])
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id__in=[leads["C"].id, leads["D"].id]).update(owner=other)
    codes = ["leads.first_response_median", "leads.first_response_within_sla", "leads.first_contact_verified"]
    measures = {m for code in codes for m in kf.figure_get(code).measures}
    with network_wide(reason="test check"):
        per_person = kf.person_totals(codes=measures, dealer_id=pudong["dealer"].id, first_day=FRIDAY, last_day=MONDAY)
    seller_values = {code: kf.figure_get(code).combine(per_person[pudong["seller"].id]) for code in codes}
    other_values = {code: kf.figure_get(code).combine(per_person[other.id]) for code in codes}
    # The seller keeps A (25 min, verified, within the SLA) and B (3 min, claimed, within); the other has C
    # (180 min, claimed, breached) and the never-contacted D.
    assert seller_values["leads.first_response_median"].value == 14
    assert (seller_values["leads.first_response_within_sla"].numerator, seller_values["leads.first_response_within_sla"].denominator) == (2, 2)
    assert (other_values["leads.first_response_within_sla"].numerator, other_values["leads.first_response_within_sla"].denominator) == (0, 2)
    assert (seller_values["leads.first_contact_verified"].numerator, other_values["leads.first_contact_verified"].numerator) == (1, 0)
    whole = values(*codes, dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)
    assert whole["leads.first_response_within_sla"].denominator == 4  # the parts add up to the dealer's
    url = kf.figure_get("leads.first_response_within_sla").rows_url(pudong["dealer"].id, FRIDAY, MONDAY, person_id=other.id)
    ids, count = listed(client, manager, url)
    assert ids == set() and count == 0  # nobody of the other's leads was contacted within the SLA
    url = kf.figure_get("leads.never_contacted").rows_url(pudong["dealer"].id, FRIDAY, MONDAY, person_id=other.id)
    assert listed(client, manager, url) == ({leads["D"].id}, 1)


def test_a_malformed_owner_in_a_drill_down_is_not_found(pudong, client):
    client.force_login(pudong["manager"])
    url = kf.figure_get("leads.never_contacted").rows_url(pudong["dealer"].id, FRIDAY, MONDAY)
    assert client.get(url + "&owner=x").status_code == 404
