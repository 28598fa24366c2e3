"""Reads of the owner club: the programme's settings, its tiers, members visible to a user."""

from datetime import date

from django.db.models import Q, QuerySet

from loyalty.models import Member, Programme, Tier


def programme_current() -> Programme:
    """The OEM's settings (the defaults until the OEM admin saves them)."""
    return Programme.objects.filter(id=1).first() or Programme(id=1)


def tiers_all() -> list[Tier]:
    return list(Tier.objects.order_by("rank"))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier, negative), clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def members_for(*, access, query: str = "") -> QuerySet[Member]:
    """Members visible to the user (row-level security narrows it to its dealers' customers)."""
    members = (
        Member.objects.filter(merged_into__isnull=True).select_related("customer", "home_dealer", "tier").order_by("number")
    )
    query = query.strip()
    if query:
        members = members.filter(
            Q(number__iexact=query)
            | Q(customer__name__icontains=query)
            | Q(customer__contact_points__value__endswith=query)
        ).distinct()
    return members


def member_for(*, customer_id: int) -> Member | None:
    return Member.objects.select_related("tier", "home_dealer").filter(customer_id=customer_id).first()
