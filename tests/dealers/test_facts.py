"""The daily facts: kept from timeline events (a replayed or late event changes nothing twice), re-derived at
night, read by figure_values (falling back to the raw rows where a fact is unknown), scoped by row-level security,
and — the property — always equal to the measures' recomputation from the raw rows, on generated data."""

import random
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from crm.core import key_figures as kf
from crm.core.scope import Scope, network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.registry import subscribers_for
from crm.timeline.services import event_dispatch
from dealers.models import DailyFact, FactDay
from dealers.registrations import FACTS_SUBSCRIBER
from dealers.selectors.figures import Period, figure_values, figure_values_together, measure_totals
from dealers.services.facts import facts_on_event, facts_rederive
from leads import events, services
from leads.models import Lead, LostVerdict
from tests.factories import DealerFactory, RegionFactory, contact_witnessed, staff, web_lead

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_6 = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
EVERY_DAY_8_TO_8 = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
START = datetime(2026, 11, 2, 0, 0, tzinfo=ZoneInfo("UTC"))  # a Monday, a month before "today" in these tests
WINDOW = Period(date(2026, 10, 31), date(2026, 11, 30))


@contextmanager
def clock(at: datetime):
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def as_user(user):
    return scoped(access_for(user).scope)


class Events:
    """Hands every event written since the last call to the facts subscriber, as Celery would after commit."""

    def __init__(self):
        with network_wide(reason="test"):
            self.seen = TimelineEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        self.handled: list[int] = []

    def deliver(self) -> None:
        with network_wide(reason="test: the timeline subscriber"):
            for event in TimelineEvent.objects.filter(id__gt=self.seen).order_by("id"):
                facts_on_event(event)
                self.handled.append(event.id)
                self.seen = event.id

    def replay(self, rng: random.Random) -> None:
        """Every event again, shuffled, some twice: late and repeated deliveries."""
        ids = self.handled + rng.sample(self.handled, k=len(self.handled) // 2)
        rng.shuffle(ids)
        with network_wide(reason="test: replayed events"):
            events_by_id = {e.id: e for e in TimelineEvent.objects.filter(id__in=ids)}
            for event_id in ids:
                facts_on_event(events_by_id[event_id])


def facts_table(dealer_ids) -> dict[tuple[int, date, str], object]:
    with network_wide(reason="test check"):
        return {
            (row.dealer_id, row.day, row.measure): (sorted(row.values) if row.values is not None else row.number)
            for row in DailyFact.objects.filter(dealer_id__in=dealer_ids)
        }


def raw_cells(dealer_ids, period: Period) -> dict[tuple[int, date, str], object]:
    """Every non-empty cell of every measure, recomputed from the raw rows."""
    cells = {}
    with network_wide(reason="test check"):
        for measure in kf.measures():
            for dealer_id, day, value in measure.compute(
                dealer_ids=dealer_ids, first_day=period.first_day, last_day=period.last_day
            ):
                key = (dealer_id, day, measure.code)
                cells[key] = kf.add_to_total(measure.kind, cells.get(key, kf.empty_total(measure.kind)), value)
    return {key: (sorted(v) if isinstance(v, list) else v) for key, v in cells.items() if v}


def assert_facts_equal_raw(dealer_ids, period=WINDOW):
    facts, raw = facts_table(dealer_ids), raw_cells(dealer_ids, period)
    assert set(facts) == set(raw)
    for key, value in raw.items():
        assert facts[key] == value, key


# --- The property ---------------------------------------------------------------------------------------------------

contact_spec = st.tuples(
    st.integers(min_value=0, max_value=3 * 24 * 60),  # minutes after the arrival
    st.booleans(),  # verified
    st.sampled_from([0, 5, 90, 600]),  # minutes between the claimed time and the logging
)
lead_spec = st.fixed_dictionaries(
    {
        "dealer": st.integers(min_value=0, max_value=1),
        "arrival": st.integers(min_value=0, max_value=6 * 24 * 60),  # minutes after Monday 00:00 UTC
        "contacts": st.lists(contact_spec, max_size=3),
        "issued": st.sampled_from(["no", "pending", "accept", "reject"]),
        "grade_h": st.booleans(),
        "end": st.sampled_from(["open", "lost", "ordered"]),
    }
)


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking replays the services for minutes: report the example as is
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(specs=st.lists(lead_spec, min_size=1, max_size=5), seed=st.integers(min_value=0, max_value=10_000))
def test_the_facts_equal_the_recomputation_from_the_raw_rows(specs, seed):
    rng = random.Random(seed)
    region = RegionFactory(code="prop")
    dealers = [
        DealerFactory(region=region, business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai"),
        DealerFactory(region=region, business_hours=EVERY_DAY_8_TO_8, time_zone="America/New_York"),
    ]
    people = [
        (staff(Role.SALESPERSON, dealer=dealer), staff(Role.SALES_MANAGER, dealer=dealer)) for dealer in dealers
    ]
    feed = Events()
    for index, spec in enumerate(specs):
        dealer = dealers[spec["dealer"]]
        seller, manager = people[spec["dealer"]]
        arrived = START + timedelta(minutes=spec["arrival"])
        with clock(arrived):
            lead = web_lead(dealer, phone=f"+86139{seed:04d}{index:04d}", owner=seller, arrived_at=arrived)
        if spec["issued"] != "no":
            with network_wide(reason="test arrange"):
                Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
            with clock(arrived + timedelta(minutes=45)), as_user(manager):
                if spec["issued"] == "accept":
                    services.lead_accept(lead=lead, by=manager, assign_to=seller)
                elif spec["issued"] == "reject":
                    services.lead_reject(lead=lead, by=manager, reason="Not ours")
        feed.deliver()
        with network_wide(reason="test"):
            lead.refresh_from_db()
        for minutes, verified, delay in sorted(spec["contacts"]):
            if not lead.is_open or lead.acceptance == Lead.Acceptance.PENDING:
                break
            at = arrived + timedelta(minutes=minutes)
            if verified:  # witnessed: a click-to-call the provider reported
                with clock(at + timedelta(minutes=delay)):
                    contact_witnessed(lead, seller, at=at)
            else:
                with clock(at + timedelta(minutes=delay)), as_user(seller):
                    services.contact_log(lead=lead, by=seller, channel="call", outcome="reached", at=at)
            feed.deliver()
            with network_wide(reason="test"):
                lead.refresh_from_db()
        later = arrived + timedelta(days=4)
        if lead.is_open and spec["grade_h"]:
            with clock(later), as_user(seller):
                services.lead_grade(lead=lead, by=seller, grade="H", reason="Hot")
            feed.deliver()
        if lead.is_open and spec["end"] == "lost":
            with clock(later + timedelta(hours=1)):
                with as_user(seller):
                    verdict = services.lost_propose(lead=lead, by=seller, reason=LostVerdict.Reason.PRICE)
                with as_user(manager):
                    services.lost_decide(verdict=verdict, by=manager, approve=True)
            feed.deliver()
        elif lead.is_open and spec["end"] == "ordered":
            from decimal import Decimal

            with clock(later + timedelta(hours=2)), as_user(seller):
                order = services.order_quote(lead=lead, by=seller, model="A6", list_price=Decimal("200000"))
                services.order_place(order=order, by=seller)
            feed.deliver()

    dealer_ids = [dealer.id for dealer in dealers]
    # Kept incrementally from the events, the facts are the recomputation.
    assert_facts_equal_raw(dealer_ids)
    # Events delivered again, late, in another order, some twice: nothing changes.
    before = facts_table(dealer_ids)
    feed.replay(rng)
    assert facts_table(dealer_ids) == before
    # The nightly pass over the whole month agrees with both.
    with network_wide(reason="test: nightly"):
        facts_rederive(dealer_ids=dealer_ids, first_day=WINDOW.first_day, last_day=WINDOW.last_day)
    assert facts_table(dealer_ids) == before
    # And every figure read from the facts is the figure of the raw totals.
    codes = [figure.code for figure in kf.figures()]
    with network_wide(reason="test check"):
        read = figure_values(codes=codes, dealer_ids=dealer_ids, period=WINDOW)
        for dealer_id in dealer_ids:
            raw = kf.totals_from_raw(
                codes={m.code for m in kf.measures()},
                dealer_ids=[dealer_id],
                first_day=WINDOW.first_day,
                last_day=WINDOW.last_day,
            )
            for figure in kf.figures():
                assert read[figure.code][dealer_id] == figure.combine(raw), (figure.code, dealer_id)


# --- The subscriber, the nightly pass, reading, scope -------------------------------------------------------------


@pytest.fixture
def two_dealers():
    region = RegionFactory(code="east")
    first = DealerFactory(region=region, business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai")
    second = DealerFactory(region=region, business_hours=WEEKDAYS_9_TO_6, time_zone="Asia/Shanghai")
    return first, second


def lead_at(dealer, when: datetime, phone: str) -> Lead:
    with clock(when):
        return web_lead(dealer, phone=phone, arrived_at=when)


def test_the_subscriber_is_registered_for_every_kind_a_measure_names():
    names = {s.name for s in subscribers_for(events.LEAD_CONTACTED)}
    assert FACTS_SUBSCRIBER in names
    for measure in kf.measures():
        for kind in measure.changed_by:
            assert FACTS_SUBSCRIBER in {s.name for s in subscribers_for(kind)}, kind


def test_a_dispatched_event_refreshes_the_day_its_lead_arrived_on(two_dealers):
    dealer = two_dealers[0]
    lead = lead_at(dealer, datetime(2026, 11, 2, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000001")
    with network_wide(reason="test"):
        created = TimelineEvent.objects.get(kind=events.LEAD_CREATED, data__lead=lead.id)
    event_dispatch(event_id=created.id)
    with network_wide(reason="test check"):
        fact = DailyFact.objects.get(dealer=dealer, measure="leads.received")
        known = FactDay.objects.get(dealer=dealer, day=date(2026, 11, 2))
    assert (fact.day, fact.number) == (date(2026, 11, 2), 1)  # the Shanghai day, not the UTC one
    assert "leads.received" in known.measures
    event_dispatch(event_id=created.id)  # delivered once per subscriber
    with network_wide(reason="test check"):
        assert DailyFact.objects.get(dealer=dealer, measure="leads.received").number == 1


def test_a_replayed_event_changes_nothing_twice(two_dealers):
    dealer = two_dealers[0]
    lead = lead_at(dealer, datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000002")
    with network_wide(reason="test"):
        created = TimelineEvent.objects.get(kind=events.LEAD_CREATED, data__lead=lead.id)
        for _time in range(3):
            facts_on_event(created)
    assert facts_table([dealer.id])[(dealer.id, date(2026, 11, 3), "leads.received")] == 1


def test_a_late_event_recomputes_from_what_is_there_now(two_dealers):
    dealer = two_dealers[0]
    seller = staff(Role.SALESPERSON, dealer=dealer)
    arrived = datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock(arrived):
        lead = web_lead(dealer, phone="+8613900000003", owner=seller, arrived_at=arrived)
    with clock(arrived + timedelta(minutes=20)), as_user(seller):
        services.contact_log(lead=lead, by=seller, channel="call", outcome="reached", at=arrived + timedelta(minutes=20))
    with network_wide(reason="test"):
        created = TimelineEvent.objects.get(kind=events.LEAD_CREATED, data__lead=lead.id)
        facts_on_event(created)  # the creation arrives after the contact happened: it sees the contact
    assert facts_table([dealer.id])[(dealer.id, date(2026, 11, 3), "leads.first_response_minutes")] == [20.0]


def test_figure_values_read_the_facts_and_the_raw_rows_where_a_fact_is_unknown(two_dealers):
    first, second = two_dealers
    lead_at(first, datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000004")
    lead_at(first, datetime(2026, 11, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000005")
    lead_at(second, datetime(2026, 11, 4, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000006")
    period = Period(date(2026, 11, 1), date(2026, 11, 30))
    with network_wide(reason="test"):
        # Only the first dealer's 3 November is known as a fact, and it is (deliberately) wrong: the read must
        # take the fact there, and the raw rows everywhere else.
        facts_rederive(dealer_ids=[first.id], first_day=date(2026, 11, 3), last_day=date(2026, 11, 3))
        DailyFact.objects.filter(dealer=first, measure="leads.received").update(number=7)
        values = figure_values(codes=["leads.received"], dealer_ids=[first.id, second.id], period=period)
        together = figure_values_together(codes=["leads.received"], dealer_ids=[first.id, second.id], period=period)
    assert values["leads.received"][first.id].value == 7 + 1
    assert values["leads.received"][second.id].value == 1
    assert together["leads.received"].value == 9


def test_a_known_day_without_a_fact_row_is_zero_not_unknown(two_dealers):
    first, _second = two_dealers
    with network_wide(reason="test"):
        facts_rederive(dealer_ids=[first.id], first_day=date(2026, 11, 1), last_day=date(2026, 11, 30))
        assert FactDay.objects.filter(dealer=first).count() == 30
        assert not DailyFact.objects.filter(dealer=first).exists()
    # A lead recorded with no event delivered: the facts still say zero for its day (the nightly pass will see it).
    lead_at(first, datetime(2026, 11, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "+8613900000007")
    with network_wide(reason="test"):
        totals = measure_totals(
            codes=["leads.received"], dealer_ids=[first.id], period=Period(date(2026, 11, 1), date(2026, 11, 30))
        )
    assert totals[first.id]["leads.received"] == 0


def test_the_recent_days_are_read_from_the_raw_rows(two_dealers):
    from django.utils import timezone

    first, _second = two_dealers
    today = timezone.localdate()
    with network_wide(reason="test"):
        facts_rederive(dealer_ids=[first.id], first_day=today - timedelta(days=3), last_day=today)
    web_lead(first, phone="+8613900000008")  # just now, no event delivered
    with network_wide(reason="test"):
        values = figure_values(codes=["leads.received"], dealer_ids=[first.id], period=Period(today - timedelta(days=3), today))
    assert values["leads.received"][first.id].value == 1


def test_a_dealer_sees_only_its_own_facts_and_a_regional_manager_its_regions(two_dealers):
    first, second = two_dealers
    elsewhere = DealerFactory(region=RegionFactory(code="west"))
    with network_wide(reason="test"):
        for dealer in (first, second, elsewhere):
            DailyFact.objects.create(dealer=dealer, day=date(2026, 11, 3), measure="leads.received", number=1)
            FactDay.objects.create(dealer=dealer, day=date(2026, 11, 3), measures=["leads.received"])
    with scoped(Scope.dealers([first.id])):
        assert list(DailyFact.objects.values_list("dealer_id", flat=True)) == [first.id]
        assert list(FactDay.objects.values_list("dealer_id", flat=True)) == [first.id]
        with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - row-level security refuses it
            DailyFact.objects.create(dealer=second, day=date(2026, 11, 4), measure="leads.received", number=1)
    regional = staff(Role.REGIONAL_MANAGER, region=first.region)
    with as_user(regional):
        assert set(DailyFact.objects.values_list("dealer_id", flat=True)) == {first.id, second.id}
