"""Cross-dealer collisions, read through the funnel's selectors (so a regional manager sees the collisions
among the dealers of their region, the OEM admin the network's) and shown only to the OEM."""

from dataclasses import dataclass

from django.db.models import Count

from crm.network.access import access_for
from dealers import permissions
from dealers.models import CollisionDecision
from leads import selectors as lead_selectors
from leads.models import OPEN_STAGES

LIMIT = 200


@dataclass(frozen=True)
class Collision:
    customer: object
    leads: list
    decision: CollisionDecision | None

    @property
    def lead_ids(self) -> list[int]:
        return sorted(lead.id for lead in self.leads)


def collisions_for_user(*, user, include_decided: bool = False) -> list[Collision]:
    """Customers with open leads at two or more dealers the user oversees, with those leads and the OEM's
    decision if one was recorded for exactly these leads. Three queries."""
    if not permissions.can_see_collisions(access_for(user)):
        return []
    open_leads = lead_selectors.leads_for_user(user=user).filter(stage__in=OPEN_STAGES)
    customer_ids = list(
        open_leads.order_by()
        .values("customer_id")
        .annotate(dealers=Count("dealer_id", distinct=True))
        .filter(dealers__gte=2)
        .values_list("customer_id", flat=True)[:LIMIT]
    )
    leads = list(
        open_leads.filter(customer_id__in=customer_ids)
        .select_related("customer", "dealer", "owner", "source")
        .order_by("customer_id", "arrived_at", "id")
    )
    decisions = {
        (decision.customer_id, tuple(decision.lead_ids)): decision
        for decision in CollisionDecision.objects.filter(customer_id__in=customer_ids).select_related(
            "decided_by", "kept_dealer"
        )
    }
    by_customer: dict[int, list] = {}
    for lead in leads:
        by_customer.setdefault(lead.customer_id, []).append(lead)
    collisions = []
    for customer_leads in by_customer.values():
        ids = tuple(sorted(lead.id for lead in customer_leads))
        decision = decisions.get((customer_leads[0].customer_id, ids))
        if decision is None or include_decided:
            collisions.append(Collision(customer_leads[0].customer, customer_leads, decision))
    return sorted(collisions, key=lambda c: c.leads[-1].arrived_at, reverse=True)
