"""The filters' pick-lists, and the leads behind a figure as export rows."""

import zoneinfo

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.core.names import staff_name
from crm.network.access import access_for, dealers_visible
from crm.network.models import Role, RoleAssignment
from leads.dashboard.selectors.filters import EXPORT_ROW_LIMIT, FunnelFilters, funnel_leads
from leads.models import LeadSource


def funnel_dealer_choices(*, user):
    return dealers_visible(user).filter(is_active=True).order_by("code")


def funnel_owner_choices(*, user, dealer_ids) -> QuerySet:
    """Sales staff (current and former) of the given dealers in the user's scope, for the owner filter."""
    scope = access_for(user).scope
    assignments = RoleAssignment.objects.filter(
        dealer_id__in=dealer_ids, role__in=(Role.SALESPERSON, Role.SALES_MANAGER)
    )
    if not scope.network_wide:
        assignments = assignments.filter(dealer_id__in=scope.dealer_ids)
    return (
        get_user_model()
        .objects.filter(id__in=assignments.values("user_id"))
        .order_by("first_name", "last_name", "username")
    )


def funnel_source_choices(*, user) -> QuerySet[LeadSource]:
    scope = access_for(user).scope
    sources = LeadSource.objects.order_by("name")
    return (
        sources
        if scope.network_wide
        else sources.filter(Q(dealer__isnull=True) | Q(dealer_id__in=scope.dealer_ids))
    )


def funnel_lead_rows(*, user, filters: FunnelFilters, limit: int = EXPORT_ROW_LIMIT) -> list[tuple]:
    """The leads the filters select, as export rows (at most `limit` + 1, so the caller can say it cut)."""
    leads = funnel_leads(user=user, filters=filters).select_related("campaign").order_by("-arrived_at", "-id")
    zone = zoneinfo.ZoneInfo(timezone.get_current_timezone_name())
    return [
        (
            lead.id,
            lead.arrived_at.astimezone(zone).replace(tzinfo=None),
            lead.dealer.code,
            lead.dealer.name,
            lead.customer.name,
            str(lead.get_type_display()),
            lead.source.name if lead.source else "",
            lead.campaign.name if lead.campaign else "",
            ", ".join(lead.models_of_interest),
            str(lead.get_stage_display()),
            lead.grade,
            staff_name(lead.owner),
            lead.sla_due_at.astimezone(zone).replace(tzinfo=None) if lead.sla_due_at else None,
            lead.first_contact_at.astimezone(zone).replace(tzinfo=None) if lead.first_contact_at else None,
            lead.first_response_minutes,
            lead.is_sla_breached,
            lead.is_first_contact_verified,
            lead.closed_at.astimezone(zone).replace(tzinfo=None) if lead.closed_at else None,
        )
        for lead in leads[: limit + 1]
    ]
