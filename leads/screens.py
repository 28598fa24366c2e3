"""The reads behind the salesperson's and manager's pages, composed from `leads.selectors` (so they are
scoped the same way) and shaped for one page each. Writes never live here: they are services."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.customers.models import ContactPoint
from crm.customers.selectors import customer_search, customer_timeline_queryset
from crm.network.access import access_for
from crm.network.models import Dealer, Role
from leads import selectors, sla
from leads.models import (
    OPEN_STAGES,
    ContactAttempt,
    DemoCar,
    FollowUp,
    Lead,
    LeadSource,
    LostVerdict,
    Order,
    ShowroomVisit,
    TestDrive,
)
from leads.services.common import MANAGER_ROLES, SALES_ROLES

User = get_user_model()

MY_DAY_LIMIT = 50
READ_ROLES = (
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.DEALER_ADMIN,
    Role.REGIONAL_MANAGER,
    Role.OEM_ADMIN,
)


def can_read_leads(access) -> bool:
    return access.is_authenticated and access.has_role(*READ_ROLES)


def sales_dealer_ids(access) -> list[int]:
    """Dealers where the user sells or manages sales, in a stable order (the first is "their" dealer)."""
    return sorted(access.dealers_where(*SALES_ROLES))


def manager_dealer_ids(access) -> list[int]:
    return sorted(access.dealers_where(*MANAGER_ROLES))


def can_work_lead(access, lead: Lead) -> bool:
    """Sales staff of the lead's dealer (and OEM admins) act on it; everyone else only reads."""
    return access.has_role(Role.OEM_ADMIN) or access.has_role(*SALES_ROLES, dealer_id=lead.dealer_id)


def can_manage_lead(access, lead: Lead) -> bool:
    return access.has_role(*MANAGER_ROLES, dealer_id=lead.dealer_id)


def can_contact_lead(access, user, lead: Lead) -> bool:
    """Mirrors the contact service's rule: the owner, a salesperson on an unowned lead, the managers."""
    if can_manage_lead(access, lead) or access.has_role(Role.OEM_ADMIN):
        return True
    return access.has_role(Role.SALESPERSON, dealer_id=lead.dealer_id) and lead.owner_id in (None, user.pk)


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
    if lead.sla_due_at is None or lead.first_contact_at is not None:
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


def my_day(*, user) -> dict:
    """Everything a salesperson works through today, in a fixed number of queries."""
    new_leads = list(selectors.leads_awaiting_first_response(user=user)[:MY_DAY_LIMIT])
    now = timezone.now()
    for lead in new_leads:
        lead.clock = sla_clock(lead, now)
    follow_ups = list(
        selectors.follow_ups_due(user=user).select_related("lead__owner", "lead__source")[:MY_DAY_LIMIT]
    )
    for follow_up in follow_ups:
        follow_up.is_overdue = follow_up.due_at < now
    drives = list(selectors.test_drives_today(user=user).select_related("lead__dealer")[:MY_DAY_LIMIT])
    return {
        "new_leads": new_leads,
        "follow_ups": follow_ups,
        "overdue_count": sum(1 for f in follow_ups if f.is_overdue),
        "test_drives": drives,
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


def dealer_models(*, dealer_id: int) -> list[str]:
    """Models a salesperson taps on the visit log: the distinct models of the dealer's demo cars."""
    return list(
        DemoCar.objects.filter(dealer_id=dealer_id)
        .order_by("model")
        .values_list("model", flat=True)
        .distinct()[:30]
    )


def demo_cars(*, dealer_id: int) -> QuerySet[DemoCar]:
    return DemoCar.objects.filter(dealer_id=dealer_id, is_active=True).order_by("model", "plate")


def dealer_get(*, user, dealer_id: int) -> Dealer | None:
    if not access_for(user).can_see_dealer(dealer_id):
        return None
    return Dealer.objects.filter(id=dealer_id).first()


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


def leads_list(*, user, filters: dict, page: int, base=None) -> tuple[list[Lead], bool]:
    """One small page of the lead list (own leads first) and whether there is a next one. No COUNT: a
    dealer group's list can hold hundreds of thousands of leads. `base`, when given, is a dashboard
    drill-down's exact selection (closed leads included), which the list's own filters then narrow."""
    leads = selectors.leads_for_user(user=user) if base is None else base
    if filters.get("stage"):
        leads = leads.filter(stage=filters["stage"])
    elif not filters.get("include_closed") and base is None:
        leads = leads.filter(stage__in=OPEN_STAGES)
    if filters.get("grade"):
        leads = leads.filter(grade=filters["grade"])
    if filters.get("owner") == "mine":
        leads = leads.filter(owner=user)
    elif filters.get("owner") == "unassigned":
        leads = leads.filter(owner__isnull=True)
    if filters.get("source"):
        leads = leads.filter(source_id=filters["source"])
    if filters.get("type"):
        leads = leads.filter(type=filters["type"])
    if filters.get("overdue"):
        now = timezone.now()
        leads = leads.filter(stage__in=OPEN_STAGES).filter(
            Q(next_follow_up_at__lt=now) | Q(first_contact_at__isnull=True, sla_due_at__lt=now)
        )
    start = (page - 1) * LIST_PAGE
    rows = list(leads[start : start + LIST_PAGE + 1])
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
    return {
        "lead": lead,
        "phones": phones,
        "attempts": attempts,
        "follow_ups": follow_ups,
        "test_drives": drives,
        "orders": orders,
        "verdicts": verdicts,
        "pending_verdict": next((v for v in verdicts if v.status == LostVerdict.Status.PROPOSED), None),
        "events": events,
        "clock": sla_clock(lead),
    }


def order_get(*, lead: Lead, order_id: int) -> Order | None:
    return Order.objects.filter(lead=lead, id=order_id).first()


def lead_sources(*, user) -> QuerySet[LeadSource]:
    """Sources a filter may offer: the OEM's and the user's dealers' own."""
    scope = access_for(user).scope
    sources = LeadSource.objects.order_by("name")
    if not scope.network_wide:
        sources = sources.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))
    return sources[:200]


def salespeople(*, dealer_id: int, active_only: bool = True) -> QuerySet:
    """The dealer's salespeople (a departing one may already be inactive: reassignment still needs them)."""
    people = User.objects.filter(
        role_assignments__dealer_id=dealer_id, role_assignments__role=Role.SALESPERSON
    )
    if active_only:
        people = people.filter(is_active=True, role_assignments__is_active=True)
    return people.distinct().order_by("first_name", "username")


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


def drive_slot_default() -> datetime:
    """The next half hour, the usual start of a test drive booked on the spot."""
    now = timezone.localtime()
    return (now + timedelta(minutes=30 - now.minute % 30)).replace(second=0, microsecond=0)
