"""Two customer records of one person merged (crm.customers.services.merge): their club memberships become one.

Run as a merge step (crm.customers.registry) inside the merge's transaction, network-wide:
- only the merged customer is a member: the membership moves to the survivor as it is;
- both are members: the survivor's membership stays; every unexpired point of the other moves to it by a pair
  of transfer entries per lot (loyalty.services.ledger.points_transfer_open_lots: no entry is edited, each lot
  keeps its expiry, earning dealer and funder), its pending points follow, and the other membership is kept
  as history marked `merged_into`. Its qualifying points count toward the survivor's tier from then on
  (loyalty.services.club.qualifying_points), and the tier is evaluated again at once;
- a redemption still reserved on the merged membership stays there; if its order is voided later, what it
  returns is passed on to the survivor (loyalty.services.redemption.redemptions_release).
"""

from django.db import transaction

from loyalty.models import Member, PendingPoints
from loyalty.services.club import member_tier_evaluate
from loyalty.services.ledger import points_transfer_open_lots


def transfer_reason(*, merged: Member, survivor: Member) -> str:
    return f"membership {merged.number} merged into {survivor.number}"


@transaction.atomic
def memberships_merge(*, survivor_id: int, merged_id: int, by=None) -> dict[str, int]:
    """The merge step: `survivor_id` and `merged_id` are customer ids (both rows locked by the merge)."""
    members = {
        member.customer_id: member
        for member in Member.objects.select_for_update(of=("self",))
        .filter(customer_id__in=[survivor_id, merged_id])
        .order_by("id")
    }
    merged, survivor = members.get(merged_id), members.get(survivor_id)
    if merged is None:
        return {}
    if survivor is None:
        Member.objects.filter(id=merged.id).update(customer_id=survivor_id)
        return {"loyalty.member.customer": 1}
    points = points_transfer_open_lots(
        source=merged,
        target=survivor,
        key_prefix=f"merge:member:{merged.id}",
        reason=transfer_reason(merged=merged, survivor=survivor),
    )
    pending = PendingPoints.objects.filter(member=merged, status=PendingPoints.Status.PENDING).update(member=survivor)
    Member.objects.filter(id=merged.id).update(merged_into=survivor)
    # Memberships merged into the merged one earlier now count toward the survivor too.
    Member.objects.filter(merged_into=merged).update(merged_into=survivor)
    member_tier_evaluate(member=survivor)
    return {"loyalty.memberships_merged": 1, "loyalty.points_transferred": points, "loyalty.pending_points": pending}
