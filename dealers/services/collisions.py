"""The OEM's decision on a cross-dealer collision: recorded once per set of colliding leads. It changes no
dealer's lead; it is the OEM's record of what it told the dealers."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from dealers import permissions
from dealers.exceptions import CollisionInvalid
from dealers.models import CollisionDecision
from dealers.selectors.collisions import collisions_for_user


@transaction.atomic
def collision_decide(*, by, customer_id: int, lead_ids: list[int], decision: str, kept_dealer_id=None, note: str = ""):
    """Record `decision` on the collision of `customer_id` made of exactly `lead_ids` (as the user sees it
    now: a lead closed or added since means the page was stale)."""
    permissions.require(permissions.can_see_collisions(access_for(by)))
    current = next(
        (c for c in collisions_for_user(user=by) if c.customer.id == customer_id), None
    )
    if current is None:
        raise NotFound()
    if sorted(lead_ids) != current.lead_ids:
        raise CollisionInvalid(_("The leads of this collision changed since the page was opened: look again."))
    dealer_ids = sorted({lead.dealer_id for lead in current.leads})
    if decision not in CollisionDecision.Decision.values:
        raise CollisionInvalid(_("Choose a decision."), field="decision")
    if decision == CollisionDecision.Decision.ASSIGN and kept_dealer_id not in dealer_ids:
        raise CollisionInvalid(_("Choose which of the dealers keeps the customer."), field="kept_dealer")
    try:
        with transaction.atomic():
            return CollisionDecision.objects.create(
                customer_id=customer_id,
                lead_ids=current.lead_ids,
                dealer_ids=dealer_ids,
                decision=decision,
                kept_dealer_id=kept_dealer_id if decision == CollisionDecision.Decision.ASSIGN else None,
                note=note.strip(),
                decided_by=by,
                decided_at=timezone.now(),
            )
    except IntegrityError as error:
        raise CollisionInvalid(_("A decision on this collision was already recorded.")) from error
