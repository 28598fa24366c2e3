"""The reads behind the salesperson's and manager's pages, composed from the scoped reads (so they are
scoped the same way) and shaped for one page each. Writes never live here: they are services."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Value
from django.utils import timezone

from crm.customers.models import ContactPoint
from crm.customers.selectors import customer_search, customer_timeline_queryset
from crm.messaging.models import PhoneCall
from crm.network.models import StaffProfile
from leads import sla
from leads.models import (
    OPEN_STAGES,
    ContactAttempt,
    FollowUp,
    Lead,
    LostVerdict,
    Order,
    ShowroomVisit,
    TestDrive,
)
from leads.selectors import reference
from leads.selectors import scoped as selectors
from leads.services.witnessed import LEAD_CALL_KIND

MY_DAY_LIMIT = 50


@dataclass
class SlaClock:
    minutes_left: int  # business minutes; negative once breached
    is_breached: bool
    is_open_now: bool

    @property
    def minutes_late(self) -> int:
        return max(0, -self.minutes_left)


def sla_clock(lead: Lead, now: datetime | None = None) -> SlaClock | None:
    """The first-response countdown of a lead whose clock runs, in business minutes of its dealer."""
    if lead.sla_due_at is None or lead.first_contact_at is not None or not lead.is_open:
        return None
    now = now or timezone.now()
    dealer = lead.dealer
    hours, zone = dealer.business_hours, dealer.time_zone
    if now < lead.sla_due_at:
        left = sla.business_minutes_between(now, lead.sla_due_at, business_hours=hours, time_zone=zone)
    else:
        left = -sla.business_minutes_between(lead.sla_due_at, now, business_hours=hours, time_zone=zone)
    breached = now >= lead.sla_due_at
    return SlaClock(
        minutes_left=left,
        is_breached=breached,
        is_open_now=sla.is_open(now, business_hours=hours, time_zone=zone),
    )


def _today_start() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _has_phone(customer_field: str) -> Exists:
    """Whether the lead's customer has a valid phone number: what click-to-call dials (one subquery per list)."""
    return Exists(
        ContactPoint.objects.filter(
            customer_id=OuterRef(customer_field), kind=ContactPoint.Kind.PHONE, is_invalid=False
        )
    )


def _awaiting_first_response(*, user, limit: int) -> list[Lead]:
    """The first `limit` of `leads_awaiting_first_response`, soonest due first: the user's own and the
    unowned ones are each a limited walk down the waiting leads' index (dealer, owner, due), merged in one
    statement, then those leads are read with their customers. Flat in the dealer's number of leads."""
    # The two owners' parts of leads_awaiting_first_response, each alone: with the "own or unowned"
    # condition beside them the planner reads every waiting lead of both through a bitmap.
    waiting = selectors.leads_with_first_response_clock(user=user)
    columns = ("id", "sla_due_at")
    own = waiting.filter(owner_id=user.pk).order_by("sla_due_at", "id").values_list(*columns)[:limit]
    unowned = waiting.filter(owner__isnull=True).order_by("sla_due_at", "id").values_list(*columns)[:limit]
    ids = [row[0] for row in own.union(unowned, all=True).order_by("sla_due_at", "id")[:limit]]
    return _rows_in_order(waiting.annotate(has_phone=_has_phone("customer_id")), ids)


def my_day(*, user) -> dict:
    """Everything a salesperson works through today, in a fixed number of queries. A lead whose customer has a
    valid phone gets a Call button (click-to-call) when the user has a phone of their own for it to ring."""
    new_leads = _awaiting_first_response(user=user, limit=MY_DAY_LIMIT)
    now = timezone.now()
    for lead in new_leads:
        lead.clock = sla_clock(lead, now)
    follow_ups = list(
        selectors.follow_ups_due(user=user)
        .select_related("lead__owner", "lead__source")
        .annotate(lead_has_phone=_has_phone("lead__customer_id"))[:MY_DAY_LIMIT]
    )
    for follow_up in follow_ups:
        follow_up.is_overdue = follow_up.due_at < now
    drives = list(selectors.test_drives_today(user=user).select_related("lead__dealer")[:MY_DAY_LIMIT])
    return {
        "new_leads": new_leads,
        "follow_ups": follow_ups,
        "overdue_count": sum(1 for f in follow_ups if f.is_overdue),
        "test_drives": drives,
        "can_call": StaffProfile.objects.filter(user_id=user.pk, phone__gt="").exists(),
    }


def visits_today(*, user, dealer_id: int) -> tuple[list[ShowroomVisit], dict]:
    """Today's showroom traffic at the dealer (anonymous walk-ins included)."""
    visits = list(
        selectors.visits_for_user(user=user)
        .filter(dealer_id=dealer_id, arrived_at__gte=_today_start())
        .select_related("lead__owner")
    )
    traffic = {
        "visits": len(visits),
        "people": sum(v.party_size for v in visits),
        "anonymous": sum(1 for v in visits if v.customer_id is None),
        "first_visits": sum(1 for v in visits if v.customer_id and v.is_first_visit),
    }
    return visits, traffic


@dataclass
class ReturningCustomer:
    customer: object
    open_lead: Lead | None
    last_visit: ShowroomVisit | None


def returning_customer(*, user, dealer_id: int, phone: str) -> ReturningCustomer | None:
    """Who this phone number is, among the customers the user's dealer already knows (the network's
    other customers stay invisible until the visit is logged and identity resolution links them)."""
    query, customers = customer_search(user=user, text=phone, limit=1)
    if query.kind != "phone" or not customers:
        return None
    customer = customers[0]
    open_lead = (
        selectors.leads_for_user(user=user)
        .filter(customer=customer, dealer_id=dealer_id, stage__in=OPEN_STAGES)
        .first()
    )
    last_visit = selectors.visits_for_user(user=user).filter(customer=customer, dealer_id=dealer_id).first()
    return ReturningCustomer(customer=customer, open_lead=open_lead, last_visit=last_visit)


LIST_PAGE = 25
# Newest first; the id breaks ties so that pages never overlap or skip a lead.
_NEWEST_FIRST = ("-arrived_at", "-id")


def _page_of(leads, *, user, start: int, size: int, split_own: bool) -> list[int]:
    """The ids of rows `start`..`start + size` of `leads` ordered own leads first (when `split_own`), then
    newest first: one statement of two limited walks (own, others'), each down an index on (dealer, owner,
    arrived) or (dealer, arrived) over open leads, merged and cut to the page. Its cost follows the page's
    depth, never the number of rows `leads` selects: a page-1 read of a dealer with 50,000 open leads
    reads about 2 × 26 index entries."""
    reach = start + size
    if not split_own:
        return list(leads.order_by(*_NEWEST_FIRST).values_list("id", flat=True)[start:reach])
    columns = ("id", "part", "arrived_at")
    own = leads.filter(owner_id=user.pk).annotate(part=Value(0)).order_by(*_NEWEST_FIRST)
    others = leads.exclude(owner_id=user.pk).annotate(part=Value(1)).order_by(*_NEWEST_FIRST)
    both = own.values_list(*columns)[:reach].union(others.values_list(*columns)[:reach], all=True)
    return [row[0] for row in both.order_by("part", "-arrived_at", "-id")[start:reach]]


def _rows_in_order(leads, ids: list[int]) -> list[Lead]:
    """The page's leads with what the list shows of them (customer, owner, source, dealer), joined after
    the page was cut: by primary key, a page's worth of rows."""
    by_id = {
        lead.id: lead
        for lead in leads.order_by().filter(id__in=ids).select_related("customer", "owner", "dealer", "source")
    }
    return [by_id[lead_id] for lead_id in ids if lead_id in by_id]


def leads_list(*, user, filters: dict, page: int, base=None) -> tuple[list[Lead], bool]:
    """One small page of the lead list (own leads first, newest first) and whether there is a next one.

    No total count: a dealer group's list can hold hundreds of thousands of leads, and a count is the one
    read that would grow with them; the page says "Page N" and offers "Next" when a further row exists.
    The list's own reads are two statements whatever the data size: the page's ids (`_page_of`), then
    those leads with their customers. `base`, when given, is a dashboard drill-down's exact selection
    (closed leads included, one statement as before), which the list's own filters then narrow."""
    leads = selectors.leads_for_user(user=user) if base is None else base
    if filters.get("stage"):
        leads = leads.filter(stage=filters["stage"])
    elif base is None and filters.get("acceptance") != Lead.Acceptance.REJECTED:
        # Open leads unless asked otherwise; a rejected OEM lead is closed, so that filter shows them all.
        leads = leads.filter(stage__in=OPEN_STAGES)
    if filters.get("grade"):
        leads = leads.filter(grade=filters["grade"])
    owner = filters.get("owner")
    if owner == "mine":
        leads = leads.filter(owner=user)
    elif owner == "unassigned":
        leads = leads.filter(owner__isnull=True)
    elif str(owner or "").isdigit():
        leads = leads.filter(owner_id=int(owner))
    if filters.get("source"):
        leads = leads.filter(source_id=filters["source"])
    if filters.get("type"):
        leads = leads.filter(type=filters["type"])
    if filters.get("acceptance"):
        leads = leads.filter(acceptance=filters["acceptance"])
    if filters.get("overdue"):
        now = timezone.now()
        leads = leads.filter(stage__in=OPEN_STAGES).filter(
            Q(next_follow_up_at__lt=now) | Q(first_contact_at__isnull=True, sla_due_at__lt=now)
        )
    start = (page - 1) * LIST_PAGE
    if base is not None:
        rows = list(leads[start : start + LIST_PAGE + 1])
    else:
        # An owner filter leaves one part only (all the user's, or none of them): no split to make.
        ids = _page_of(leads, user=user, start=start, size=LIST_PAGE + 1, split_own=not owner)
        rows = _rows_in_order(leads, ids)
    now = timezone.now()
    for lead in rows:
        lead.is_overdue = lead.is_open and (
            (lead.next_follow_up_at is not None and lead.next_follow_up_at < now)
            or (lead.first_contact_at is None and lead.sla_due_at is not None and lead.sla_due_at < now)
        )
    return rows[:LIST_PAGE], len(rows) > LIST_PAGE


def lead_page(*, user, lead_id: int) -> dict:
    """Everything the lead page shows, in a fixed number of queries. Raises NotFound like lead_get."""
    lead = selectors.lead_get(user=user, lead_id=lead_id)
    phones = list(
        ContactPoint.objects.filter(customer_id=lead.customer_id, kind=ContactPoint.Kind.PHONE).order_by(
            "-is_primary", "id"
        )
    )
    attempts = list(ContactAttempt.objects.filter(lead=lead).select_related("by").order_by("-at", "-id")[:50])
    follow_ups = list(
        FollowUp.objects.filter(lead=lead).select_related("assigned_to").order_by("-due_at")[:20]
    )
    drives = list(
        TestDrive.objects.filter(lead=lead).select_related("demo_car", "booked_by").order_by("-starts_at")
    )
    orders = list(Order.objects.filter(lead=lead).order_by("-created_at"))
    verdicts = list(
        LostVerdict.objects.filter(lead=lead)
        .select_related("proposed_by", "decided_by")
        .order_by("-proposed_at")
    )
    events = list(
        customer_timeline_queryset(user=user, customer=lead.customer).filter(data__lead=lead.id)[:50]
    )
    my_phone = StaffProfile.objects.filter(user_id=user.pk).values_list("phone", flat=True).first() or ""
    return {
        "lead": lead,
        "phones": phones,
        "attempts": attempts,
        "verified_count": sum(1 for attempt in attempts if attempt.is_verified),
        "claimed_count": sum(1 for attempt in attempts if not attempt.is_verified),
        "my_phone": my_phone,
        "follow_ups": follow_ups,
        "test_drives": drives,
        "orders": orders,
        "verdicts": verdicts,
        "pending_verdict": next((v for v in verdicts if v.status == LostVerdict.Status.PROPOSED), None),
        "events": events,
        "clock": sla_clock(lead),
    }


def lead_call_status(*, lead: Lead, call_id: int) -> dict:
    """A click-to-call of this lead as its page shows it: the call (None when it is not this lead's), the
    contact attempt its record became (None until then), and whether the page should keep polling."""
    call = PhoneCall.objects.filter(id=call_id, kind=LEAD_CALL_KIND, reference_id=lead.id).first()
    attempt = ContactAttempt.objects.filter(call_id=call_id, lead=lead).first() if call is not None else None
    # A record that never comes (a provider that lost it) must not keep an open page polling all day.
    recent = call is not None and call.requested_at > timezone.now() - timedelta(minutes=15)
    waiting = recent and attempt is None and call.status != PhoneCall.Status.FAILED
    return {"call": call, "attempt": attempt, "is_waiting": waiting}


def order_get(*, lead: Lead, order_id: int) -> Order | None:
    return Order.objects.filter(lead=lead, id=order_id).first()


def approvals(*, user, dealer_id: int) -> dict:
    verdicts = list(
        selectors.lost_verdicts_pending(user=user).filter(dealer_id=dealer_id).select_related("lead__owner")
    )
    awaiting = list(
        selectors.leads_for_user(user=user)
        .filter(dealer_id=dealer_id, acceptance=Lead.Acceptance.PENDING, stage__in=OPEN_STAGES)
        .order_by("arrived_at")[:100]
    )
    return {"verdicts": verdicts, "awaiting": awaiting}


def verdict_get(*, user, verdict_id: int) -> LostVerdict | None:
    return selectors.lost_verdicts_pending(user=user).filter(id=verdict_id).first()


def open_leads_of(*, user, dealer_id: int, owner_id: int) -> int:
    """How many open leads a departing salesperson holds (one person's leads: a small count)."""
    return (
        selectors.leads_for_user(user=user)
        .filter(dealer_id=dealer_id, owner_id=owner_id, stage__in=OPEN_STAGES)
        .count()
    )


@dataclass
class TeamMember:
    """One salesperson's day as the sales manager sees it."""

    person: object
    open_leads: int = 0
    waiting_first_response: int = 0
    breached: int = 0
    overdue_follow_ups: int = 0
    oldest_overdue_at: datetime | None = None
    due_today: int = 0
    visits_today: int = 0
    last_contact_at: datetime | None = None

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue_follow_ups or self.breached)


TEAM_LIST_LIMIT = 20


def team_day(*, user, dealer) -> dict:
    """The sales manager's morning at `dealer`: per salesperson, the open leads, the new leads still waiting
    for a first contact (and how many breached the deadline), the overdue follow-ups and the oldest of
    them, what is due today, today's visits and the last contact attempt; then the new leads nobody owns
    and the most overdue follow-ups. A fixed number of queries, whatever the team's size."""
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(dealer.time_zone)
    local_now = now.astimezone(zone)
    day_start = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    day_end = day_start + timedelta(days=1)
    members = {person.id: TeamMember(person=person) for person in reference.salespeople(dealer_id=dealer.id)}

    leads = selectors.leads_for_user(user=user).filter(dealer=dealer, stage__in=OPEN_STAGES).order_by()
    waiting = Q(first_contact_at__isnull=True, sla_due_at__isnull=False)
    for row in (
        leads.filter(owner_id__in=members)
        .values("owner_id")
        .annotate(
            open_leads=Count("id"),
            waiting_first_response=Count("id", filter=waiting),
            breached=Count("id", filter=waiting & Q(sla_due_at__lt=now)),
        )
    ):
        member = members[row.pop("owner_id")]
        for name, value in row.items():
            setattr(member, name, value)

    follow_ups = selectors.follow_ups_for_user(user=user).filter(
        dealer=dealer, done_at__isnull=True, lead__stage__in=OPEN_STAGES
    )
    for row in (
        follow_ups.filter(assigned_to_id__in=members)
        .order_by()
        .values("assigned_to_id")
        .annotate(
            overdue_follow_ups=Count("id", filter=Q(due_at__lt=now)),
            oldest_overdue_at=Min("due_at", filter=Q(due_at__lt=now)),
            due_today=Count("id", filter=Q(due_at__gte=now, due_at__lt=day_end)),
        )
    ):
        member = members[row.pop("assigned_to_id")]
        for name, value in row.items():
            setattr(member, name, value)

    for salesperson_id, count in (
        selectors.visits_for_user(user=user)
        .filter(dealer=dealer, arrived_at__gte=day_start, arrived_at__lt=day_end, salesperson_id__in=members)
        .order_by()
        .values_list("salesperson_id")
        .annotate(count=Count("id"))
    ):
        members[salesperson_id].visits_today = count
    for by_id, last in (
        selectors.contact_attempts_for_user(user=user)
        .filter(dealer=dealer, by_id__in=members)
        .order_by()
        .values_list("by_id")
        .annotate(last=Max("at"))
    ):
        members[by_id].last_contact_at = last

    waiting_unowned = leads.filter(waiting, owner__isnull=True).exclude(acceptance=Lead.Acceptance.PENDING)
    unowned = list(
        waiting_unowned.select_related("customer", "dealer", "source").order_by("sla_due_at")[
            :TEAM_LIST_LIMIT
        ]
    )
    for lead in unowned:
        lead.clock = sla_clock(lead, now)
    unowned_counts = waiting_unowned.aggregate(
        total=Count("id"), breached=Count("id", filter=Q(sla_due_at__lt=now))
    )
    most_overdue = list(
        follow_ups.filter(due_at__lt=now)
        .select_related("lead__customer", "assigned_to")
        .order_by("due_at")[:TEAM_LIST_LIMIT]
    )
    team = sorted(
        members.values(),
        key=lambda m: (-m.overdue_follow_ups, -m.breached, -m.waiting_first_response, str(m.person)),
    )
    return {
        "team": team,
        "unowned": unowned,
        "unowned_count": unowned_counts["total"],
        "pending_acceptance": leads.filter(acceptance=Lead.Acceptance.PENDING).count(),
        "most_overdue": most_overdue,
        "totals": {
            # Everyone's, the unassigned ones included (they are in the list below too).
            "overdue_follow_ups": follow_ups.filter(due_at__lt=now).count(),
            "waiting_first_response": sum(m.waiting_first_response for m in team) + unowned_counts["total"],
            "breached": sum(m.breached for m in team) + unowned_counts["breached"],
            "visits_today": sum(m.visits_today for m in team),
        },
        "now": now,
    }
