"""What messaging's segments and care programmes ask of the club: customers by tier, by spendable balance,
with points expiring within N days, by their latest NPS answer, and those whose points reach their last day N
days from a given day."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.customers.models import Customer, CustomerDealer
from loyalty.models import Member, PointsLot, SurveyAnswer, SurveyQuestion

# The NPS groups by the score of the customer's latest answer to an NPS question (0–10).
NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}

EXPIRY_REMINDER_DAYS = 30


def _open_lots(now: datetime):
    return PointsLot.objects.filter(member__customer_id=OuterRef("pk"), remaining__gt=0, expires_at__gt=now)


def by_tier(customers: QuerySet, codes: list[str]) -> QuerySet:
    return customers.filter(Exists(Member.objects.filter(customer_id=OuterRef("pk"), tier__code__in=codes)))


def by_balance_at_least(customers: QuerySet, points: int) -> QuerySet:
    balance = Subquery(
        _open_lots(timezone.now()).values("member__customer_id").annotate(total=Sum("remaining")).values("total")[:1],
        output_field=IntegerField(),
    )
    members = customers.filter(Exists(Member.objects.filter(customer_id=OuterRef("pk"))))
    return members.annotate(points_balance=Coalesce(balance, Value(0))).filter(points_balance__gte=points)


def by_expiring_within(customers: QuerySet, days: int) -> QuerySet:
    now = timezone.now()
    return customers.filter(Exists(_open_lots(now).filter(expires_at__lte=now + timedelta(days=days))))


def by_last_nps(customers: QuerySet, groups: list[str], dealer_id: int | None) -> QuerySet:
    """Customers whose latest answer to an NPS question (in any survey, skipped ones aside) falls in one of
    `groups`; for a dealer's segment, their latest answer about that dealer."""
    answers = SurveyAnswer.objects.filter(
        response__invitation__customer_id=OuterRef("pk"),
        question__type=SurveyQuestion.Type.NPS,
        number__isnull=False,
    )
    if dealer_id is not None:
        answers = answers.filter(dealer_id=dealer_id)
    latest = Subquery(answers.order_by("-response__submitted_at", "-id").values("number")[:1])
    wanted = Q()
    for group in groups:
        low, high = NPS_GROUPS[group]
        wanted |= Q(last_nps__gte=low, last_nps__lte=high)
    return customers.annotate(last_nps=latest).filter(wanted) if groups else customers.none()


def expiring_on_reminder_day(day: date, dealer_id: int | None) -> QuerySet:
    """Customers with points whose last spendable day is `EXPIRY_REMINDER_DAYS` after `day` (a lot expires
    at the start of the day after its last day): one occasion per lot's last day, so one reminder."""
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day + timedelta(days=EXPIRY_REMINDER_DAYS + 1), time.min, tzinfo=zone)
    customers = Customer.objects.filter(merged_into__isnull=True).filter(
        Exists(
            PointsLot.objects.filter(
                member__customer_id=OuterRef("pk"),
                remaining__gt=0,
                expires_at__gte=start,
                expires_at__lt=start + timedelta(days=1),
            )
        )
    )
    if dealer_id is not None:
        customers = customers.filter(
            Exists(CustomerDealer.objects.filter(customer=OuterRef("pk"), dealer_id=dealer_id))
        )
    return customers
