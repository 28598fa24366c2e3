"""The funnel's key figures on hand-made data with known answers: a dealer in Shanghai open Monday to Friday 9–18,
leads arriving across a night and a weekend, first contacts verified, claimed and back-dated, a duplicate merged
into an earlier lead, OEM-issued leads accepted, rejected and pending. Every figure's rows URL lists exactly the
leads it counts."""

from contextlib import contextmanager
from datetime import date, datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from crm.core import key_figures as kf
from crm.core.scope import network_wide
from crm.customers.services.merge import customers_merge
from crm.network.models import Role
from leads import services
from leads.models import Lead, LostVerdict
from tests.factories import DealerFactory, RegionFactory, contact_witnessed, staff, walk_in, web_lead
from tests.leads.conftest import as_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS_9_TO_6 = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY, SATURDAY, SUNDAY, MONDAY, TUESDAY = (date(2026, 11, day) for day in (6, 7, 8, 9, 10))


def local(day: date, hh_mm: str) -> datetime:
    hours, minutes = map(int, hh_mm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=SHANGHAI)


@contextmanager
def clock(at: datetime):
    """Now is `at` (a contact logged now is logged at `at`)."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield at


def contact(lead, by, *, at: datetime, logged: datetime | None = None, verified: bool = False):
    if verified:  # witnessed: a click-to-call the provider reported (leads/verification.py)
        with clock(logged or at):
            contact_witnessed(lead, by, at=at)
        return
    with clock(logged or at), as_user(by):
        services.contact_log(lead=lead, by=by, channel="call", outcome="reached", at=at)


def values(*codes, dealer, first_day, last_day=None):
    with network_wide(reason="test check"):
        totals = kf.totals_from_raw(
            codes={m for code in codes for m in kf.figure_get(code).measures},
            dealer_ids=[dealer.id],
            first_day=first_day,
            last_day=last_day or first_day,
        )
    return {code: kf.figure_get(code).combine(totals) for code in codes}


@pytest.fixture
def pudong():
    """Five clocked leads and a walk-in, with known first responses (business minutes, Mon–Fri 9–18 Shanghai):

    - A: Friday 17:50, first contact Monday 09:15, verified            → 10 + 15 = 25 min, within the SLA
    - B: Monday 07:30 (Sunday 23:30 UTC), contacted 09:03, claimed      → 3 min (the clock starts at 9:00)
    - C: Monday 10:00, claimed for 13:00 but logged at 14:30           → 180 min, SLA breached, back-dated
    - D: Monday 10:30, never contacted
    - Dup: Monday 12:00 for a second record of A's customer, closed, then the records merged: counts once (as A)
    - W: a walk-in Monday 11:00 (no first-response clock)
    """
    region = RegionFactory(code="east")
    dealer = DealerFactory(code="PD01", region=region, business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai")
    seller = staff(Role.SALESPERSON, dealer=dealer)
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    leads = {
        "A": web_lead(dealer, phone="+8613800000001", owner=seller, arrived_at=local(FRIDAY, "17:50")),
        "B": web_lead(dealer, phone="+8613800000002", owner=seller, arrived_at=local(MONDAY, "07:30")),
        "C": web_lead(dealer, phone="+8613800000003", owner=seller, arrived_at=local(MONDAY, "10:00")),
        "D": web_lead(dealer, phone="+8613800000004", owner=seller, arrived_at=local(MONDAY, "10:30")),
        "Dup": web_lead(dealer, phone="+8613800000005", owner=seller, arrived_at=local(MONDAY, "12:00")),
    }
    contact(leads["A"], seller, at=local(MONDAY, "09:15"), verified=True)
    contact(leads["B"], seller, at=local(MONDAY, "09:03"))
    contact(leads["B"], seller, at=local(MONDAY, "09:30"), verified=True)  # a later verified call: not the first
    contact(leads["C"], seller, at=local(MONDAY, "13:00"), logged=local(MONDAY, "14:30"))
    with clock(local(MONDAY, "12:30")):
        with as_user(seller):
            verdict = services.lost_propose(lead=leads["Dup"], by=seller, reason=LostVerdict.Reason.OTHER)
        with as_user(manager):
            services.lost_decide(verdict=verdict, by=manager, approve=True)
    with clock(local(MONDAY, "11:00")):
        leads["W"] = walk_in(seller, dealer, phone="+8613800000006", arrived_at=local(MONDAY, "11:00"))
    with as_user(manager):
        customers_merge(survivor=leads["A"].customer, merged=leads["Dup"].customer, by=manager)
    return {"dealer": dealer, "seller": seller, "manager": manager, "leads": leads, "region": region}


def test_first_responses_count_business_minutes_across_the_night_and_the_weekend(pudong):
    with network_wide(reason="test check"):
        minutes = dict(Lead.objects.filter(dealer=pudong["dealer"]).values_list("id", "first_response_minutes"))
    leads = pudong["leads"]
    assert [minutes[leads[k].id] for k in "ABCD"] == [25, 3, 180, None]
    got = values(
        "leads.first_response_median",
        "leads.first_response_p90",
        "leads.first_response_within_5",
        "leads.first_response_within_30",
        "leads.first_response_within_24h",
        "leads.first_response_within_sla",
        "leads.never_contacted",
        dealer=pudong["dealer"],
        first_day=FRIDAY,
        last_day=MONDAY,
    )
    assert got["leads.first_response_median"].value == 25
    assert got["leads.first_response_p90"].value == 180
    # Shares are of every clocked lead: the never-contacted D counts against them.
    assert (got["leads.first_response_within_5"].numerator, got["leads.first_response_within_5"].denominator) == (1, 4)
    assert got["leads.first_response_within_30"].value == 50
    assert got["leads.first_response_within_24h"].value == 75
    assert (got["leads.first_response_within_sla"].numerator, got["leads.first_response_within_sla"].value) == (2, 50)
    assert (got["leads.never_contacted"].numerator, got["leads.never_contacted"].value) == (1, 25)


def test_a_lead_counts_on_the_dealers_local_day_not_the_servers(pudong):
    # B arrived Monday 07:30 in Shanghai, which is still Sunday in UTC.
    assert values("leads.received", dealer=pudong["dealer"], first_day=SUNDAY)["leads.received"].value == 0
    got = values("leads.received", "leads.received.walk_in", dealer=pudong["dealer"], first_day=MONDAY)
    # B, C, D and the walk-in; the merged duplicate does not count.
    assert got["leads.received"].value == 4
    assert got["leads.received.walk_in"].value == 1
    assert values("leads.received", dealer=pudong["dealer"], first_day=FRIDAY)["leads.received"].value == 1


def test_a_merged_duplicate_counts_once(pudong):
    leads = pudong["leads"]
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=leads["Dup"].id).customer_id == leads["A"].customer_id
    got = values("leads.received", dealer=pudong["dealer"], first_day=FRIDAY, last_day=TUESDAY)
    assert got["leads.received"].value == 5  # A, B, C, D, W — not Dup


def test_verified_claimed_and_backdated_first_contacts(pudong):
    got = values(
        "leads.first_contact_verified",
        "leads.first_contact_claimed",
        "leads.first_contact_backdated",
        dealer=pudong["dealer"],
        first_day=FRIDAY,
        last_day=MONDAY,
    )
    # A's first contact was witnessed; B's first was only claimed (its later verified call does not make the
    # first one verified); C's was claimed and logged an hour and a half after the time it claims.
    verified, claimed, backdated = (got[f"leads.first_contact_{k}"] for k in ("verified", "claimed", "backdated"))
    assert (verified.numerator, verified.denominator) == (1, 3)
    assert (claimed.numerator, claimed.denominator) == (2, 3)
    assert (backdated.numerator, backdated.denominator) == (1, 3)


def test_nothing_to_measure_is_no_value(pudong):
    got = values("leads.first_response_median", "leads.first_response_within_sla", dealer=pudong["dealer"], first_day=SATURDAY)
    assert got["leads.first_response_median"].value is None
    assert got["leads.first_response_within_sla"].value is None


@pytest.fixture
def issuing():
    """Three OEM-issued leads at a second dealer: accepted after 45 business minutes, rejected after 90 (over the
    night: Monday 17:00 → Tuesday 09:30), one still pending."""
    dealer = DealerFactory(code="PD02", business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai")
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    staff(Role.SALESPERSON, dealer=dealer)

    def issued(phone, at):
        lead = web_lead(dealer, phone=phone, arrived_at=at)
        with network_wide(reason="test arrange"):
            Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
            lead.refresh_from_db()
        return lead

    accepted = issued("+8613800000011", local(MONDAY, "10:00"))
    rejected = issued("+8613800000012", local(MONDAY, "17:00"))
    pending = issued("+8613800000013", local(MONDAY, "17:30"))
    with clock(local(MONDAY, "10:45")), as_user(manager):
        services.lead_accept(lead=accepted, by=manager)
    with clock(local(TUESDAY, "09:30")), as_user(manager):
        services.lead_reject(lead=rejected, by=manager, reason="Outside our city")
    return {"dealer": dealer, "manager": manager, "accepted": accepted, "rejected": rejected, "pending": pending}


def test_oem_issued_leads_accepted_rejected_and_the_business_minutes_to_decide(issuing):
    got = values(
        "leads.issued",
        "leads.issued_accepted",
        "leads.issued_rejected",
        "leads.issued_pending",
        "leads.issued_time_to_decide",
        dealer=issuing["dealer"],
        first_day=MONDAY,
        last_day=TUESDAY,
    )
    assert got["leads.issued"].value == 3
    assert (got["leads.issued_accepted"].numerator, got["leads.issued_accepted"].denominator) == (1, 3)
    assert (got["leads.issued_rejected"].numerator, got["leads.issued_rejected"].denominator) == (1, 3)
    assert got["leads.issued_pending"].value == 1
    assert got["leads.issued_time_to_decide"].value == (45 + 90) / 2


# --- The rows behind each number ---------------------------------------------------------------------------------

EXPECTED_ROWS = {
    # figure code: the leads of the pudong fixture its rows URL lists (Friday … Monday)
    "leads.received": {"A", "B", "C", "D", "W"},
    "leads.received.walk_in": {"W"},
    "leads.received.internet": {"A", "B", "C", "D"},
    "leads.first_response_median": {"A", "B", "C"},
    "leads.first_response_within_5": {"B"},
    "leads.first_response_within_30": {"A", "B"},
    "leads.first_response_within_24h": {"A", "B", "C"},
    "leads.first_response_within_sla": {"A", "B"},
    "leads.never_contacted": {"D"},
    "leads.first_contact_verified": {"A"},
    "leads.first_contact_claimed": {"B", "C"},
    "leads.first_contact_backdated": {"C"},
    "leads.conversion.contacted": {"A", "B", "C", "W"},
    "leads.conversion.visited": {"W"},
    "leads.lost_rate": set(),  # the lost duplicate is not a lead of its own
    "leads.valid_phone": {"A", "B", "C", "D", "W"},
    "leads.source_filled": {"A", "B", "C", "D"},
}


@pytest.mark.parametrize("code", sorted(EXPECTED_ROWS))
def test_a_figures_rows_url_lists_exactly_the_leads_it_counts(pudong, client, code):
    figure = kf.figure_get(code)
    value = values(code, dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)[code]
    client.force_login(pudong["manager"])
    response = client.get(figure.rows_url(pudong["dealer"].id, FRIDAY, MONDAY))
    assert response.status_code == 200
    listed = {lead.id for lead in response.context["leads"]}
    expected = {pudong["leads"][key].id for key in EXPECTED_ROWS[code]}
    assert listed == expected
    counted = value.numerator if value.numerator is not None else value.denominator
    if figure.unit == kf.Unit.COUNT:
        counted = value.value
    assert response.context["figure_rows"].count == len(expected) == counted


def test_the_rows_of_another_dealer_are_not_listed(pudong, issuing, client):
    client.force_login(issuing["manager"])
    url = kf.figure_get("leads.received").rows_url(pudong["dealer"].id, FRIDAY, MONDAY)
    assert client.get(url).status_code == 404  # a dealer outside the reader's scope is not a valid choice
    url = kf.figure_get("leads.received").rows_url(None, FRIDAY, MONDAY)
    assert {lead.id for lead in client.get(url).context["leads"]} == {
        issuing[k].id for k in ("accepted", "rejected", "pending")
    }


def test_a_regional_manager_drills_into_a_dealer_of_the_region(pudong, client):
    regional = staff(Role.REGIONAL_MANAGER, region=pudong["region"])
    client.force_login(regional)
    url = kf.figure_get("leads.never_contacted").rows_url(pudong["dealer"].id, FRIDAY, MONDAY)
    response = client.get(url)
    assert [lead.id for lead in response.context["leads"]] == [pudong["leads"]["D"].id]


def test_the_list_filters_narrow_a_figures_rows_by_type(pudong, client):
    client.force_login(pudong["manager"])
    url = kf.figure_get("leads.received").rows_url(pudong["dealer"].id, FRIDAY, MONDAY) + "&type=walk_in"
    assert [lead.id for lead in client.get(url).context["leads"]] == [pudong["leads"]["W"].id]


def test_a_malformed_drill_down_is_not_found(pudong, client):
    client.force_login(pudong["manager"])
    assert client.get("/leads/?rows=nothing&day_from=2026-11-01&day_to=2026-11-02").status_code == 404
    assert client.get("/leads/?rows=received&day_from=2026-11-05&day_to=2026-11-02").status_code == 404


def test_every_lead_figure_is_fully_described():
    for figure in kf.figures():
        if figure.owner != "leads":
            continue
        assert figure.rows_url is not None, figure.code
        assert str(figure.label) and str(figure.definition), figure.code
        assert set(figure.measures) <= {m.code for m in kf.measures()}
        for code in figure.measures:
            assert kf.measure_get(code).changed_by, code


# --- Follow-ups, call-backs, the overdue backlog -----------------------------------------------------------------

TUESDAY_NOV_3, WEDNESDAY_NOV_4 = date(2026, 11, 3), date(2026, 11, 4)


@pytest.fixture
def follow_ups():
    """Hand-made follow-ups of two leads (the first-response follow-ups the capture opened were answered at once):

    - F1 by grade, due Tue 10:00, done 09:50            → owed, on time
    - F2 by grade, due Tue 15:00, done 16:00            → owed, late
    - F3 by grade, due Wed 10:00, still open            → owed, missed, overdue
    - F4 by grade, due Wed 12:00, replaced at 11:00     → never owed
    - F5 by grade, due Wed 12:00, replaced at 13:00     → owed, missed
    - call-back day 3 due Tue 10:00, done; day 7 due Wed 10:00, open (overdue); one month due 30 Dec, open
    """
    from leads.models import FollowUp

    dealer = DealerFactory(code="FU01", business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai")
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    first = web_lead(dealer, phone="+8613800000021", arrived_at=local(date(2026, 11, 2), "09:00"))
    second = web_lead(dealer, phone="+8613800000022", arrived_at=local(date(2026, 11, 2), "09:00"))
    contacted, replaced = FollowUp.Closing.CONTACTED, FollowUp.Closing.REPLACED
    cadence = FollowUp.Reason.CADENCE

    def follow_up(lead, reason, due, done=None, closed=""):
        return FollowUp.objects.create(
            lead=lead, dealer=dealer, reason=reason, due_at=due, done_at=done, closed_reason=closed
        )

    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead__in=[first, second]).update(
            done_at=local(date(2026, 11, 2), "09:01"), closed_reason=contacted
        )
        follow_up(first, cadence, local(TUESDAY_NOV_3, "10:00"), local(TUESDAY_NOV_3, "09:50"), contacted)
        follow_up(first, cadence, local(TUESDAY_NOV_3, "15:00"), local(TUESDAY_NOV_3, "16:00"), contacted)
        follow_up(second, cadence, local(WEDNESDAY_NOV_4, "10:00"))
        follow_up(first, cadence, local(WEDNESDAY_NOV_4, "12:00"), local(WEDNESDAY_NOV_4, "11:00"), replaced)
        follow_up(first, cadence, local(WEDNESDAY_NOV_4, "12:00"), local(WEDNESDAY_NOV_4, "13:00"), replaced)
        follow_up(
            first,
            FollowUp.Reason.DELIVERY_DAY_3,
            local(TUESDAY_NOV_3, "10:00"),
            local(TUESDAY_NOV_3, "11:00"),
            contacted,
        )
        follow_up(first, FollowUp.Reason.DELIVERY_DAY_7, local(WEDNESDAY_NOV_4, "10:00"))
        follow_up(first, FollowUp.Reason.DELIVERY_MONTH_1, local(date(2026, 12, 30), "10:00"))
    return {"dealer": dealer, "manager": manager, "first": first, "second": second}


def test_follow_ups_done_on_time_count_each_owed_follow_up_on_its_due_day(follow_ups):
    got = values("leads.follow_ups_on_time", dealer=follow_ups["dealer"], first_day=TUESDAY_NOV_3, last_day=WEDNESDAY_NOV_4)
    on_time = got["leads.follow_ups_on_time"]
    assert (on_time.numerator, on_time.denominator, on_time.value) == (1, 4, 25)


def test_the_overdue_backlog_and_its_age(follow_ups):
    got = values(
        "leads.overdue", "leads.overdue_age", dealer=follow_ups["dealer"], first_day=date(2026, 11, 1), last_day=date(2026, 12, 31)
    )
    assert got["leads.overdue"].value == 2  # F3 and the day-7 call-back; the one-month call-back is not due yet
    from django.utils import timezone

    assert got["leads.overdue_age"].value == (timezone.localdate() - WEDNESDAY_NOV_4).days


def test_sales_call_backs_done(follow_ups):
    got = values(
        "leads.call_backs_done",
        "leads.call_backs_done.delivery_day_3",
        "leads.call_backs_done.delivery_day_7",
        "leads.call_backs_done.delivery_month_1",
        dealer=follow_ups["dealer"],
        first_day=date(2026, 11, 1),
        last_day=date(2026, 12, 31),
    )
    assert (got["leads.call_backs_done"].numerator, got["leads.call_backs_done"].denominator) == (1, 2)
    assert got["leads.call_backs_done.delivery_day_3"].value == 100
    assert got["leads.call_backs_done.delivery_day_7"].value == 0
    assert got["leads.call_backs_done.delivery_month_1"].value is None


@pytest.mark.parametrize(
    ("code", "leads", "count"),
    [
        ("leads.follow_ups_on_time", {"first"}, 1),
        ("leads.overdue", {"first", "second"}, 2),
        ("leads.call_backs_done", {"first"}, 1),
    ],
)
def test_a_follow_up_figures_rows_list_the_leads_and_count_the_follow_ups(follow_ups, client, code, leads, count):
    client.force_login(follow_ups["manager"])
    url = kf.figure_get(code).rows_url(follow_ups["dealer"].id, date(2026, 11, 1), date(2026, 12, 31))
    response = client.get(url)
    assert {lead.id for lead in response.context["leads"]} == {follow_ups[key].id for key in leads}
    assert response.context["figure_rows"].count == count
    assert str(response.context["figure_rows"].noun) == "follow-ups"


# --- The funnel, grades, data quality, approvals ------------------------------------------------------------------


def test_conversion_stage_to_stage_and_the_lost_rate_count_a_merged_duplicate_once(pudong):
    leads, seller, manager = pudong["leads"], pudong["seller"], pudong["manager"]
    with clock(local(TUESDAY, "10:00")):
        with as_user(seller):
            verdict = services.lost_propose(lead=leads["D"], by=seller, reason=LostVerdict.Reason.TIMING)
        with as_user(manager):
            services.lost_decide(verdict=verdict, by=manager, approve=True)
    got = values(
        "leads.conversion.contacted",
        "leads.conversion.visited",
        "leads.lost_rate",
        dealer=pudong["dealer"],
        first_day=FRIDAY,
        last_day=MONDAY,
    )
    # Received: A, B, C, D, W (the lost duplicate is not a lead of its own). Contacted: A, B, C, and the walk-in
    # W, which jumped to "visited". Lost: D only.
    assert (got["leads.conversion.contacted"].numerator, got["leads.conversion.contacted"].denominator) == (4, 5)
    assert (got["leads.conversion.visited"].numerator, got["leads.conversion.visited"].denominator) == (1, 4)
    assert (got["leads.lost_rate"].numerator, got["leads.lost_rate"].denominator) == (1, 5)


def test_grade_inflation_counts_h_leads_that_ordered_within_30_days(pudong):
    from decimal import Decimal

    from leads.models import Order

    leads, seller = pudong["leads"], pudong["seller"]
    with clock(local(MONDAY, "16:00")), as_user(seller):
        for key in ("A", "B", "C"):
            services.lead_grade(lead=leads[key], by=seller, grade="H", reason="Ready to buy")
    with clock(local(date(2026, 11, 20), "10:00")), as_user(seller):
        for key in ("A", "B"):
            order = services.order_quote(lead=leads[key], by=seller, model="A6", list_price=Decimal("250000"))
            services.order_place(order=order, by=seller)
    with network_wide(reason="test arrange"):  # B's order was in fact placed 40 days after its H grade
        Order.objects.filter(lead=leads["B"]).update(ordered_at=local(date(2026, 12, 19), "10:00"))
    got = values("leads.grade_h_ordered", dealer=pudong["dealer"], first_day=FRIDAY, last_day=MONDAY)
    assert (got["leads.grade_h_ordered"].numerator, got["leads.grade_h_ordered"].denominator) == (1, 3)


def test_data_quality_valid_phone_source_and_possible_duplicates(pudong):
    from crm.customers.models import ContactPoint, DuplicateCandidate

    leads = pudong["leads"]
    with network_wide(reason="test arrange"):
        ContactPoint.objects.filter(customer=leads["C"].customer).update(is_invalid=True)
        Lead.objects.filter(id=leads["D"].id).update(source=None)
        low, high = sorted((leads["B"].customer_id, leads["W"].customer_id))
        DuplicateCandidate.objects.create(customer_id=low, other_id=high, score=0.9, reason="phone_tail_and_name")
    got = values(
        "leads.valid_phone",
        "leads.source_filled",
        "leads.possible_duplicates",
        dealer=pudong["dealer"],
        first_day=FRIDAY,
        last_day=MONDAY,
    )
    assert got["leads.valid_phone"].numerator == 4  # every lead but C
    assert got["leads.source_filled"].numerator == 3  # D has none, nor has the walk-in
    assert got["leads.possible_duplicates"].numerator == 2  # B and W


def test_manager_approval_turnaround_in_business_minutes(pudong):
    leads, seller, manager = pudong["leads"], pudong["seller"], pudong["manager"]
    with clock(local(MONDAY, "17:30")), as_user(seller):
        verdict = services.lost_propose(lead=leads["C"], by=seller, reason=LostVerdict.Reason.PRICE)
    with clock(local(MONDAY, "17:45")), as_user(seller):
        services.lost_propose(lead=leads["B"], by=seller, reason=LostVerdict.Reason.PRICE)
    with clock(local(TUESDAY, "09:30")), as_user(manager):
        services.lost_decide(verdict=verdict, by=manager, approve=False)
    got = values(
        "leads.approval_turnaround", "leads.approvals_pending", dealer=pudong["dealer"], first_day=MONDAY, last_day=TUESDAY
    )
    with network_wide(reason="test check"):
        totals = kf.totals_from_raw(
            codes=["leads.verdict_decide_minutes"], dealer_ids=[pudong["dealer"].id], first_day=MONDAY, last_day=TUESDAY
        )
    # C's: 30 minutes on Monday evening, 30 on Tuesday morning; Dup's (approved at once at 12:30) took none.
    assert sorted(totals["leads.verdict_decide_minutes"]) == [0, 60]
    assert got["leads.approval_turnaround"].value == 30
    assert got["leads.approvals_pending"].value == 1
