"""The funnel's scoped querysets: every read of leads starts here (row-level security enforces the same
scope again)."""

from datetime import timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.models import DEALER_MANAGER_ROLES, Role
from leads.models import (
    CALLBACK_REASONS,
    OPEN_STAGES,
    ContactAttempt,
    FollowUp,
    Lead,
    LostVerdict,
    ShowroomVisit,
    TestDrive,
)


def _grade_rank(field: str) -> Case:
    """Grades in follow-up priority order: ordered first, then the hottest prospects."""
    return Case(
        *[When(**{field: grade}, then=Value(rank)) for rank, grade in enumerate(["O", "H", "A", "B", "C"])],
        default=Value(9),
        output_field=IntegerField(),
    )


def _dealer_scope(queryset: QuerySet, user) -> QuerySet:
    access = access_for(user)
    if not access.is_authenticated or access.roles <= {Role.CALL_CENTRE_AGENT}:
        return queryset.none()  # the call centre works customers and complaints, not dealers' funnels
    if access.scope.network_wide:
        return queryset
    return queryset.filter(dealer_id__in=access.scope.dealer_ids)


def leads_for_user(*, user) -> QuerySet[Lead]:
    """Leads the user may see: their dealers' (salespeople's own first), their regions' for OEM staff."""
    leads = _dealer_scope(Lead.objects.select_related("customer", "owner", "dealer", "source"), user)
    return leads.annotate(
        is_mine=Case(When(owner_id=user.pk, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("is_mine", "-arrived_at", "-id")


def lead_get(*, user, lead_id: int) -> Lead:
    lead = leads_for_user(user=user).filter(id=lead_id).first()
    if lead is None:
        raise NotFound()
    return lead


def follow_ups_due(*, user, until=None) -> QuerySet[FollowUp]:
    """The user's open follow-ups due by `until` (default: end of today), overdue first, then by grade: an
    open lead's next contact, and a delivered lead's call-backs (day 3, day 7, one month)."""
    until = until or timezone.localtime().replace(hour=23, minute=59, second=59)
    return (
        _dealer_scope(FollowUp.objects.all(), user)
        .filter(assigned_to=user, done_at__isnull=True, due_at__lte=until)
        .filter(Q(lead__stage__in=OPEN_STAGES) | Q(reason__in=CALLBACK_REASONS))
        .select_related("lead__customer", "lead__dealer")
        .annotate(grade_rank=_grade_rank("lead__grade"))
        .order_by("grade_rank", "due_at")
    )


def follow_ups_for_user(*, user) -> QuerySet[FollowUp]:
    """Follow-ups at the dealers the user may see (a manager's team view counts them per salesperson)."""
    return _dealer_scope(FollowUp.objects.all(), user)


def contact_attempts_for_user(*, user) -> QuerySet[ContactAttempt]:
    return _dealer_scope(ContactAttempt.objects.all(), user)


def leads_with_first_response_clock(*, user) -> QuerySet[Lead]:
    """Open leads whose first-response clock is running, whoever owns them (the user's scope)."""
    return leads_for_user(user=user).filter(
        first_contact_at__isnull=True, sla_due_at__isnull=False, stage__in=OPEN_STAGES
    )


def leads_awaiting_first_response(*, user) -> QuerySet[Lead]:
    """New leads whose first-response clock is running: the user's own, or unowned at their dealers."""
    return (
        leads_with_first_response_clock(user=user)
        .filter(Q(owner=user) | Q(owner__isnull=True))
        .order_by("sla_due_at")
    )


def test_drives_today(*, user) -> QuerySet[TestDrive]:
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        _dealer_scope(TestDrive.objects.all(), user)
        .filter(starts_at__gte=start, starts_at__lt=start + timedelta(days=1), status=TestDrive.Status.BOOKED)
        .filter(Q(lead__owner=user) | Q(booked_by=user))
        .select_related("lead__customer", "demo_car")
        .order_by("starts_at")
    )


def lost_verdicts_pending(*, user) -> QuerySet[LostVerdict]:
    """Verdicts waiting for a manager at the dealers where the user manages."""
    dealer_ids = access_for(user).dealers_where(*DEALER_MANAGER_ROLES)
    return (
        LostVerdict.objects.filter(status=LostVerdict.Status.PROPOSED, dealer_id__in=dealer_ids)
        .select_related("lead__customer", "proposed_by")
        .order_by("proposed_at")
    )


def visits_for_user(*, user) -> QuerySet[ShowroomVisit]:
    return _dealer_scope(
        ShowroomVisit.objects.select_related("lead", "customer", "salesperson"), user
    ).order_by("-arrived_at")
