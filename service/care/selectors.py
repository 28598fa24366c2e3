"""Every read of complaints and call-backs: querysets already scoped to the user (the request's row-level
security scope, and the permission to read them at all) and already joined for their pages."""


from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.core.key_figures import on_local_days
from crm.customers.selectors import customer_get, customer_search
from crm.network.access import access_for, dealers_visible
from crm.network.models import Role, RoleAssignment
from service.care import permissions
from service.models import CallBack, Complaint, ComplaintEntry, RepairOrder

COMPLAINT_FILTERS = ("open", "overdue", "mine", "closed", "all")
CALL_BACK_FILTERS = ("due", "mine", "queue", "upcoming", "done")


def complaints_for_user(*, user, which: str = "open", dealer_id: int | None = None) -> QuerySet[Complaint]:
    access = access_for(user)
    if not permissions.can_read_complaints(access):
        return Complaint.objects.none()
    rows = Complaint.objects.select_related("dealer", "customer", "owner", "vehicle")
    if not access.scope.network_wide:
        rows = rows.filter(dealer_id__in=access.scope.dealer_ids)
    if dealer_id:
        rows = rows.filter(dealer_id=dealer_id)
    now = timezone.now()
    if which == "closed":
        return rows.filter(status=Complaint.Status.CLOSED).order_by("-closed_at", "-id")
    if which == "all":
        return rows.order_by("-opened_at", "-id")
    rows = rows.exclude(status=Complaint.Status.CLOSED)
    if which == "overdue":
        rows = rows.filter(
            Q(first_contacted_at__isnull=True, first_contact_due_at__lt=now)
            | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
        )
    elif which == "mine":
        rows = rows.filter(Q(owner=user) | Q(owner__isnull=True, opened_by=user))
    return rows.order_by("resolution_due_at", "id")


def complaint_get(*, user, complaint_id: int) -> Complaint:
    complaint = (
        complaints_for_user(user=user, which="all")
        .select_related("repair_order")
        .filter(id=complaint_id)
        .first()
    )
    if complaint is None:
        raise NotFound()
    return complaint


def complaint_entries(*, complaint: Complaint) -> QuerySet[ComplaintEntry]:
    return complaint.entries.select_related("by").order_by("at", "id")


def complaint_owner_choices(*, complaint: Complaint):
    """Who the complaint may be given to: the dealer's care staff."""
    from django.contrib.auth import get_user_model

    user_ids = RoleAssignment.objects.filter(
        dealer_id=complaint.dealer_id, role__in=permissions.CARE_DEALER_ROLES, is_active=True
    ).values("user_id")
    return get_user_model().objects.filter(id__in=user_ids, is_active=True).order_by("first_name", "username")


def complaint_dealer_choices(*, user):
    """Dealers the user may log a complaint about: any (the call centre), else the ones they work at."""
    access = access_for(user)
    dealers = dealers_visible(user)
    if permissions.logs_complaints_anywhere(access):
        return dealers.filter(is_active=True)
    return dealers.filter(id__in=access.dealers_where(*permissions.CARE_DEALER_ROLES))


def complaint_customer_matches(*, user, text: str):
    """Customers matching what the agent typed (phone, name, plate, VIN), as the customer search finds them."""
    if not (text or "").strip():
        return []
    _query, found = customer_search(user=user, text=text, limit=10)
    return found


def complaint_customer(*, user, customer_id: int):
    return customer_get(user=user, customer_id=customer_id)


def complaint_repair_orders(*, customer, dealer_id: int) -> QuerySet[RepairOrder]:
    """The customer's recent orders at the dealer (the complaint may concern one)."""
    return (
        RepairOrder.objects.filter(customer=customer, dealer_id=dealer_id)
        .exclude(status=RepairOrder.Status.VOIDED)
        .select_related("vehicle")
        .order_by("-opened_at")[:20]
    )


def call_backs_for_user(*, user, which: str = "due") -> QuerySet[CallBack]:
    access = access_for(user)
    if not permissions.can_read_call_backs(access):
        return CallBack.objects.none()
    rows = CallBack.objects.select_related(
        "dealer", "customer", "advisor", "assigned_to", "recorded_by", "repair_order", "repair_order__vehicle"
    )
    if not access.scope.network_wide:
        rows = rows.filter(dealer_id__in=access.scope.dealer_ids)
    now = timezone.now()
    if which == "done":
        return rows.filter(recorded_at__isnull=False).order_by("-recorded_at", "-id")
    rows = rows.filter(recorded_at__isnull=True)
    if which == "upcoming":
        return rows.filter(due_at__gt=now).order_by("due_at", "id")
    rows = rows.filter(due_at__lte=now)
    if which == "mine":
        rows = rows.filter(assigned_to=user)
    elif which == "queue":
        rows = rows.filter(assigned_to__isnull=True)
    elif access.has_role(Role.CALL_CENTRE_AGENT) and not access.dealer_ids:
        # The call centre's "due" is its queue, its own, and any dealer's call-back whose window has passed
        # unmade (the customer is still owed the call).
        rows = rows.filter(Q(assigned_to__isnull=True) | Q(assigned_to=user) | Q(due_by__lt=now))
    return rows.order_by("due_at", "id")


def call_back_get(*, user, call_back_id: int) -> CallBack:
    access = access_for(user)
    call_back = None
    if permissions.can_read_call_backs(access):
        call_back = (
            CallBack.objects.select_related("dealer", "customer", "advisor", "repair_order")
            .filter(id=call_back_id)
            .first()
        )
    if call_back is None or not access.can_see_dealer(call_back.dealer_id):
        raise NotFound()
    return call_back


# --- Key figures' measures (crm/core/key_figures.py): per dealer and local day, from the raw rows ------------


def measure_complaint_first_contact_hours(*, dealer_ids, first_day, last_day):
    """Hours from opening to the first contact, on the day of that contact."""
    rows = on_local_days(
        Complaint.objects.filter(first_contacted_at__isnull=False),
        "first_contacted_at",
        dealer_ids=dealer_ids,
        first_day=first_day,
        last_day=last_day,
    )
    for dealer_id, day, opened_at, contacted_at in rows.values_list(
        "dealer_id", "local_day", "opened_at", "first_contacted_at"
    ):
        yield dealer_id, day, [round((contacted_at - opened_at).total_seconds() / 3600, 2)]


def measure_complaint_closure_hours(*, dealer_ids, first_day, last_day):
    """Hours from opening to closing (with the customer's confirmation), on the day it closed."""
    rows = on_local_days(
        Complaint.objects.filter(status=Complaint.Status.CLOSED),
        "closed_at",
        dealer_ids=dealer_ids,
        first_day=first_day,
        last_day=last_day,
    )
    for dealer_id, day, opened_at, closed_at in rows.values_list(
        "dealer_id", "local_day", "opened_at", "closed_at"
    ):
        yield dealer_id, day, [round((closed_at - opened_at).total_seconds() / 3600, 2)]


def _call_backs_by_due_day(*, dealer_ids, first_day, last_day, reached: bool):
    rows = on_local_days(
        CallBack.objects.all(), "due_by", dealer_ids=dealer_ids, first_day=first_day, last_day=last_day
    )
    if reached:
        rows = rows.filter(
            recorded_at__lte=F("due_by"),
            outcome__in=[CallBack.Outcome.SATISFIED, CallBack.Outcome.DISSATISFIED],
        )
    for row in rows.values("dealer_id", "local_day").annotate(count=Count("id")).order_by():
        yield row["dealer_id"], row["local_day"], row["count"]


def measure_call_backs_due(*, dealer_ids, first_day, last_day):
    """Call-backs whose window closed on the day."""
    return _call_backs_by_due_day(
        dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, reached=False
    )


def measure_call_backs_reached(*, dealer_ids, first_day, last_day):
    """Of those, the customers reached (satisfied or not) within the window."""
    return _call_backs_by_due_day(dealer_ids=dealer_ids, first_day=first_day, last_day=last_day, reached=True)
