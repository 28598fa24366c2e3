"""Merging two records of one person, and settling possible duplicates."""

import pghistory.models
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.customers import events
from crm.customers.exceptions import MergeNotAllowed
from crm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerDealer,
    CustomerMerge,
    DuplicateCandidate,
)
from crm.customers.registry import handled_relations, merge_steps_run
from crm.network.access import access_for
from crm.timeline.services import event_record


@transaction.atomic
def duplicate_dismiss(*, candidate: DuplicateCandidate, by) -> DuplicateCandidate:
    if not access_for(by).can_merge_customers:
        raise PermissionDenied()
    DuplicateCandidate.objects.filter(id=candidate.id, status=DuplicateCandidate.Status.OPEN).update(
        status=DuplicateCandidate.Status.DISMISSED, resolved_at=timezone.now(), resolved_by=by
    )
    candidate.refresh_from_db()
    return candidate


# Rows that a merge handles itself, because their unique constraints need care; every other foreign key
# to Customer, in any app, is simply repointed to the survivor.
_MERGE_SPECIAL = {
    (CustomerDealer, "customer"),
    (ContactPoint, "customer"),
    (Consent, "customer"),
    (DuplicateCandidate, "customer"),
    (DuplicateCandidate, "other"),
    (CustomerMerge, "survivor"),
    (CustomerMerge, "merged"),
}


@transaction.atomic
def customers_merge(*, survivor: Customer, merged: Customer, by) -> CustomerMerge:
    """Merge `merged` into `survivor` in one transaction, losing nothing.

    Preconditions: `by` may merge and can see both customers (both were loaded through its scope).
    Guarantees: every relationship, contact point, consent, vehicle, timeline entry and every other row
    that points at `merged` (in any app) points at `survivor`, or is settled by the step its app registered
    (crm.customers.registry: two club memberships become one); where both had the same dealer link,
    contact point or consent, one row remains (for consents, an opt-out wins); `merged` is kept as an
    empty record that points at `survivor`; a CustomerMerge row records who, when, what it was and what moved.
    The moves run network-wide, because other dealers' rows about `merged` must move too."""
    if not access_for(by).can_merge_customers:
        raise PermissionDenied()
    if survivor.id == merged.id or survivor.is_merged or merged.is_merged:
        raise MergeNotAllowed()
    first, second = sorted((survivor.id, merged.id))
    # Lock both rows in primary-key order (and check they are still visible to the user).
    locked = list(Customer.objects.select_for_update().filter(id__in=[first, second]).order_by("id"))
    if len(locked) != 2:
        raise NotFound()
    snapshot = _snapshot(merged)
    with network_wide(reason=f"merge of customer {merged.id} into {survivor.id} by user {by.pk}"):
        moved = merge_steps_run(survivor_id=survivor.id, merged_id=merged.id, by=by)
        moved |= _merge_rows(survivor_id=survivor.id, merged_id=merged.id)
        Customer.objects.filter(id=merged.id).update(merged_into_id=survivor.id, updated_at=timezone.now())
        Customer.objects.filter(id=survivor.id).update(version=F("version") + 1, updated_at=timezone.now())
        DuplicateCandidate.objects.filter(
            Q(customer_id=first, other_id=second), status=DuplicateCandidate.Status.OPEN
        ).update(status=DuplicateCandidate.Status.MERGED, resolved_at=timezone.now(), resolved_by=by)
        record = CustomerMerge.objects.create(
            survivor=survivor, merged=merged, merged_by=by, snapshot=snapshot, moved=moved
        )
        event_record(
            customer_id=survivor.id,
            kind=events.CUSTOMER_MERGED,
            actor=by,
            data={"merged_id": merged.id, "merged_name": merged.name, "moved": moved},
        )
    survivor.refresh_from_db()
    merged.refresh_from_db()
    return record


def _snapshot(customer: Customer) -> dict:
    return {
        "customer": {
            f: str(getattr(customer, f)) for f in ("id", "name", "kind", "birthday", "city", "created_at")
        },
        "contact_points": list(customer.contact_points.values("kind", "value", "label", "is_primary")),
        "consents": [
            {**row, "recorded_at": row["recorded_at"].isoformat()}
            for row in customer.consents.values("channel", "purpose", "status", "source", "recorded_at")
        ],
    }


def _merge_rows(*, survivor_id: int, merged_id: int) -> dict[str, int]:
    moved: dict[str, int] = {}

    # Dealer links: keep the earliest-known one per dealer.
    survivor_dealers = set(
        CustomerDealer.objects.filter(customer_id=survivor_id).values_list("dealer_id", flat=True)
    )
    duplicates = CustomerDealer.objects.filter(customer_id=merged_id, dealer_id__in=survivor_dealers)
    moved["dealer_links_merged"] = duplicates.delete()[0]
    moved["dealer_links"] = CustomerDealer.objects.filter(customer_id=merged_id).update(
        customer_id=survivor_id
    )

    # Contact points: the same value once; the survivor keeps its primaries.
    survivor_points = set(ContactPoint.objects.filter(customer_id=survivor_id).values_list("kind", "value"))
    survivor_primary = set(
        ContactPoint.objects.filter(customer_id=survivor_id, is_primary=True).values_list("kind", flat=True)
    )
    same = [
        p.id
        for p in ContactPoint.objects.filter(customer_id=merged_id).only("id", "kind", "value")
        if (p.kind, p.value) in survivor_points
    ]
    moved["contact_points_merged"] = ContactPoint.objects.filter(id__in=same).delete()[0]
    ContactPoint.objects.filter(customer_id=merged_id, kind__in=survivor_primary, is_primary=True).update(
        is_primary=False
    )
    moved["contact_points"] = ContactPoint.objects.filter(customer_id=merged_id).update(
        customer_id=survivor_id
    )

    # Consents: one per channel and purpose; an opt-out on either side wins, else the most recent answer.
    moved_consents = 0
    for theirs in Consent.objects.filter(customer_id=merged_id):
        ours = Consent.objects.filter(
            customer_id=survivor_id, channel=theirs.channel, purpose=theirs.purpose
        ).first()
        if ours is None:
            Consent.objects.filter(id=theirs.id).update(customer_id=survivor_id)
            moved_consents += 1
            continue
        keep_theirs = (theirs.status == Consent.Status.OPT_OUT and ours.status != Consent.Status.OPT_OUT) or (
            theirs.status == ours.status == Consent.Status.OPT_IN and theirs.recorded_at > ours.recorded_at
        )
        if keep_theirs:
            Consent.objects.filter(id=ours.id).update(
                status=theirs.status,
                source=theirs.source,
                recorded_at=theirs.recorded_at,
                recorded_by_id=theirs.recorded_by_id,
            )
        theirs.delete()
    moved["consents"] = moved_consents

    # Possible-duplicate pairs with the merged customer are settled by the merge (its own pair is marked
    # merged by the caller).
    this_pair = Q(customer_id=min(survivor_id, merged_id), other_id=max(survivor_id, merged_id))
    moved["duplicate_candidates_closed"] = (
        DuplicateCandidate.objects.filter(Q(customer_id=merged_id) | Q(other_id=merged_id))
        .exclude(this_pair)
        .delete()[0]
    )

    # Everything else that points at a customer, in any app (vehicles, timeline, leads, repair orders…), but
    # what the apps' merge steps moved themselves (crm.customers.registry).
    by_steps = handled_relations()
    for relation in Customer._meta.related_objects:
        model, field_name = relation.related_model, relation.field.name
        if (
            (model, field_name) in _MERGE_SPECIAL
            or (model._meta.label_lower, field_name) in by_steps
            or issubclass(model, pghistory.models.Event)
        ):
            continue  # history rows describe the past as it was: they are never rewritten
        count = model._base_manager.filter(**{field_name: merged_id}).update(**{field_name: survivor_id})
        if count:
            moved[f"{model._meta.label_lower}.{field_name}"] = count
    return moved
