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
from tests.factories import DealerFactory, RegionFactory, staff, walk_in, web_lead
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
    with clock(logged or at), as_user(by):
        services.contact_log(lead=lead, by=by, channel="call", outcome="reached", at=at, is_verified=verified)


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
