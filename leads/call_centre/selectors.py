"""Reads of the phone-in pages. The call centre sees customers network-wide but not the dealers' funnel:
the only leads it reads are the ones its agent issued (found through the agent's lead.issued events)."""

from datetime import datetime

from django.db.models import IntegerField, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from crm.customers.models import Customer
from crm.customers.selectors import customer_search
from crm.network.access import access_for
from crm.network.models import Brand, Dealer
from crm.timeline.models import TimelineEvent
from leads import events
from leads.models import Lead, LeadSource
from leads.permissions import can_take_phone_ins

ISSUED_TODAY_LIMIT = 100
DEALER_OPTIONS_LIMIT = 50


def call_centre_sources() -> QuerySet[LeadSource]:
    """The OEM's own call-centre sources (no dealer): the lead's source when an agent issues it."""
    return LeadSource.objects.filter(
        is_active=True, channel=LeadSource.Channel.CALL_CENTRE, dealer__isnull=True
    ).order_by("name")


def oem_brands() -> QuerySet[Brand]:
    return Brand.objects.order_by("-is_oem_brand", "name")


def dealer_cities() -> list[str]:
    """Cities with an active dealer, for the city field's suggestions (a network has a few hundred)."""
    return list(
        Dealer.objects.filter(is_active=True).order_by("city").values_list("city", flat=True).distinct()[:500]
    )


def dealers_for_phone_in(*, user, city: str, brand_id: int | None, search: str = "") -> list[Dealer]:
    """Active dealers selling the brand, in the caller's city (its beginning is enough) or, when the agent
    searches (a caller in a city without a dealer), by name, code or city."""
    search, city = search.strip(), city.strip()
    if not can_take_phone_ins(access_for(user)) or not (search or city):
        return []
    dealers = Dealer.objects.filter(is_active=True)
    if search:
        dealers = dealers.filter(
            Q(name__icontains=search) | Q(city__istartswith=search) | Q(code__iexact=search)
        )
    else:
        dealers = dealers.filter(city__istartswith=city)
    if brand_id:
        dealers = dealers.filter(brands__id=brand_id)
    return list(dealers.order_by("city", "name").distinct()[:DEALER_OPTIONS_LIMIT])


def known_caller(*, user, phone: str) -> Customer | None:
    """The customer with exactly this phone, if the agent may see them (network-wide for the call centre)."""
    if not can_take_phone_ins(access_for(user)):
        return None
    query, customers = customer_search(user=user, text=phone, limit=1)
    if query.kind != "phone" or not customers:
        return None
    return customers[0]


def _today_start() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def leads_issued_today(*, user) -> QuerySet[Lead]:
    """The leads this agent issued today, with their dealer and customer, newest first: one query.

    Only the agent's own lead.issued events name the leads, so the funnel stays the dealers' own."""
    if not can_take_phone_ins(access_for(user)):
        return Lead.objects.none()
    issued = (
        TimelineEvent.objects.filter(kind=events.LEAD_ISSUED, actor=user, occurred_at__gte=_today_start())
        .annotate(lead_id=Cast(KeyTextTransform("lead", "data"), IntegerField()))
        .values("lead_id")
    )
    return (
        Lead.objects.filter(id__in=issued)
        .select_related("dealer", "customer")
        .order_by("-arrived_at", "-id")[:ISSUED_TODAY_LIMIT]
    )


def issued_today(*, user) -> list[Lead]:
    """leads_issued_today, each marked late when its first response is overdue."""
    now = timezone.now()
    leads = list(leads_issued_today(user=user))
    for lead in leads:
        lead.is_late = lead.first_contact_at is None and lead.sla_due_at is not None and lead.sla_due_at < now
    return leads
