"""Every write to the customer record. Each function is one transaction and writes its timeline event in it."""

from dataclasses import dataclass, field
from datetime import date

import pghistory.models
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import ConcurrentEdit, NotFound, PermissionDenied
from crm.core.scope import network_wide
from crm.customers import events
from crm.customers.exceptions import (
    ConsentWithdrawn,
    ContactPointExists,
    MergeNotAllowed,
    VinAlreadyRegistered,
)
from crm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerDealer,
    CustomerMerge,
    DuplicateCandidate,
    Vehicle,
)
from crm.customers.normalize import digits, email_normalize, phone_normalize, plate_normalize, vin_normalize
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_record

CUSTOMER_EDITABLE_FIELDS = (
    "kind",
    "name",
    "contact_person",
    "birthday",
    "preferred_language",
    "preferred_channel",
    "province",
    "city",
    "district",
    "street",
    "postal_code",
)
VEHICLE_EDITABLE_FIELDS = ("make", "model", "trim", "year", "colour", "plate", "purchase_date")


@dataclass
class CustomerResolution:
    """What `customer_resolve` did: found the same person (`created` False) or made a new record."""

    customer: Customer
    created: bool
    possible_duplicates: list[int] = field(default_factory=list)


def _require_editor(by, dealer: Dealer | None) -> None:
    access = access_for(by)
    if not access.can_edit_customers:
        raise PermissionDenied()
    if dealer is not None and not access.can_see_dealer(dealer.id):
        raise PermissionDenied()
    if dealer is None and not access.is_network_wide:
        raise PermissionDenied(_("Choose the dealer this customer is recorded for."))


def _lock_identity_keys(keys: list[str]) -> None:
    """Serialise concurrent intake of the same phone/email, so two requests cannot both miss the match and
    create the person twice. Locks are taken in a fixed order and released at commit."""
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["identity:" + key])


def identity_match(*, phones: list[str], emails: list[str]) -> int | None:
    """The id of the network's customer with one of these (normalised) phones or emails, if any.

    Goes through the one privileged database function, which answers only an id: the caller learns
    nothing else about a customer it has no relationship with."""
    if not phones and not emails:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_identity_match(%s::text[], %s::text[])", [phones, emails])
        return cursor.fetchone()[0]


def identity_candidates(*, name: str, phones: list[str], exclude_id: int) -> dict[int, float]:
    """Customers that may be the same person: same last four phone digits and a close name."""
    found: dict[int, float] = {}
    with connection.cursor() as cursor:
        for phone in phones:
            cursor.execute(
                "SELECT customer_id, score FROM crm_identity_candidates(%s, %s, %s)",
                [name, digits(phone)[-4:], exclude_id],
            )
            for customer_id, score in cursor.fetchall():
                found[customer_id] = max(score, found.get(customer_id, 0.0))
    return found


@transaction.atomic
def customer_resolve(
    *,
    by,
    dealer: Dealer | None,
    name: str,
    phones: list[str] = (),
    emails: list[str] = (),
    reason: str = CustomerDealer.Reason.MANUAL,
    source: str = "staff",
    **details,
) -> CustomerResolution:
    """Find the same person in the whole network or create them, and link them to `dealer`.

    Phones and emails are normalised first (InvalidPhone / InvalidEmail on bad input, before anything is
    written). An exact match on a phone or email attaches to the existing customer: new contact points
    are added, empty details filled in, nothing overwritten. Otherwise a new customer is created, and
    customers with a close name and the same phone tail are queued for review as possible duplicates."""
    _require_editor(by, dealer)
    phones_e164 = list(dict.fromkeys(phone_normalize(p) for p in phones if p and p.strip()))
    emails_clean = list(dict.fromkeys(email_normalize(e) for e in emails if e and e.strip()))
    unknown = set(details) - set(CUSTOMER_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    _lock_identity_keys(phones_e164 + emails_clean)

    existing_id = identity_match(phones=phones_e164, emails=emails_clean)
    if existing_id is not None:
        if dealer is not None:
            customer_link(customer_id=existing_id, dealer=dealer, reason=reason, by=by)
        customer = Customer.objects.get(id=existing_id)
        _fill_blanks(customer=customer, name=name, details=details)
        _add_contact_points(customer=customer, phones=phones_e164, emails=emails_clean, by=by, dealer=dealer)
        return CustomerResolution(customer=customer, created=False)

    customer = Customer.objects.create(name=name.strip(), origin_dealer=dealer, **details)
    event_record(
        customer_id=customer.id,
        kind=events.CUSTOMER_CREATED,
        dealer_id=dealer.id if dealer else None,
        actor=by,
        data={"source": source, "name": customer.name},
    )
    if dealer is not None:
        customer_link(customer_id=customer.id, dealer=dealer, reason=reason, by=by)
    _add_contact_points(
        customer=customer, phones=phones_e164, emails=emails_clean, by=by, dealer=dealer, quiet=True
    )
    candidates = identity_candidates(name=customer.name, phones=phones_e164, exclude_id=customer.id)
    for other_id, score in candidates.items():
        low, high = sorted((customer.id, other_id))
        DuplicateCandidate.objects.get_or_create(
            customer_id=low,
            other_id=high,
            defaults={"score": score, "reason": _("Same phone ending and a similar name")},
        )
    return CustomerResolution(customer=customer, created=True, possible_duplicates=sorted(candidates))


def _fill_blanks(*, customer: Customer, name: str, details: dict) -> None:
    """An intake of a known person fills what the record lacks; it never overwrites what staff recorded."""
    changes = {k: v for k, v in details.items() if v not in (None, "") and getattr(customer, k) in (None, "")}
    if not customer.name and name:
        changes["name"] = name
    if changes:
        Customer.objects.filter(id=customer.id).update(
            **changes, version=F("version") + 1, updated_at=timezone.now()
        )
        customer.refresh_from_db()


def _add_contact_points(*, customer, phones, emails, by, dealer, quiet: bool = False) -> None:
    have = set(customer.contact_points.values_list("kind", "value"))
    kinds_with_primary = set(customer.contact_points.filter(is_primary=True).values_list("kind", flat=True))
    for kind, values in ((ContactPoint.Kind.PHONE, phones), (ContactPoint.Kind.EMAIL, emails)):
        for value in values:
            if (kind, value) in have:
                continue
            ContactPoint.objects.create(
                customer=customer, kind=kind, value=value, is_primary=kind not in kinds_with_primary
            )
            kinds_with_primary.add(kind)
            if not quiet:
                event_record(
                    customer_id=customer.id,
                    kind=events.CONTACT_ADDED,
                    dealer_id=dealer.id if dealer else None,
                    actor=by,
                    data={"kind": kind, "value": value},
                )


@transaction.atomic
def customer_link(*, customer_id: int, dealer: Dealer, reason: str, by=None) -> CustomerDealer:
    """Record that `dealer` knows the customer (idempotent). From then on the dealer can see them."""
    link, created = CustomerDealer.objects.get_or_create(
        customer_id=customer_id, dealer=dealer, defaults={"reason": reason}
    )
    if created:
        event_record(
            customer_id=customer_id,
            kind=events.CUSTOMER_LINKED,
            dealer_id=dealer.id,
            actor=by,
            data={"dealer": dealer.name, "reason": reason},
        )
    else:
        CustomerDealer.objects.filter(id=link.id).update(last_seen_at=timezone.now())
    return link


@transaction.atomic
def customer_update(*, customer: Customer, by, expected_version: int, changes: dict) -> Customer:
    """Change the customer's details if nobody else changed them since `expected_version` was read.

    Raises ConcurrentEdit when the version moved on: a compare-and-set in one UPDATE, never read-decide-write."""
    access = access_for(by)
    if not access.can_edit_customers:
        raise PermissionDenied()
    unknown = set(changes) - set(CUSTOMER_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
    updated = Customer.objects.filter(
        id=customer.id, version=expected_version, merged_into__isnull=True
    ).update(**changed, version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        if not Customer.objects.filter(id=customer.id).exists():
            raise NotFound()
        raise ConcurrentEdit(
            extra={"current_version": Customer.objects.values_list("version", flat=True).get(id=customer.id)}
        )
    if changed:
        event_record(
            customer_id=customer.id,
            kind=events.CUSTOMER_UPDATED,
            dealer_id=_acting_dealer_id(by, customer),
            actor=by,
            data={"fields": sorted(changed)},
        )
    customer.refresh_from_db()
    return customer


def _acting_dealer_id(by, customer: Customer) -> int | None:
    """The dealer an action is taken at: the user's own dealer that knows the customer, if any."""
    dealer_ids = access_for(by).dealer_ids
    if not dealer_ids:
        return None
    return (
        CustomerDealer.objects.filter(customer=customer, dealer_id__in=dealer_ids)
        .order_by("first_seen_at")
        .values_list("dealer_id", flat=True)
        .first()
    )


@transaction.atomic
def contact_point_add(
    *, customer: Customer, by, kind: str, value: str, label: str = "", is_primary: bool = False
) -> ContactPoint:
    access = access_for(by)
    if not access.can_edit_customers:
        raise PermissionDenied()
    if kind == ContactPoint.Kind.PHONE:
        value = phone_normalize(value)
    elif kind == ContactPoint.Kind.EMAIL:
        value = email_normalize(value)
    else:
        value = value.strip()
    if is_primary:
        ContactPoint.objects.filter(customer=customer, kind=kind, is_primary=True).update(is_primary=False)
    elif not ContactPoint.objects.filter(customer=customer, kind=kind, is_primary=True).exists():
        is_primary = True
    try:
        with transaction.atomic():
            point = ContactPoint.objects.create(
                customer=customer, kind=kind, value=value, label=label, is_primary=is_primary
            )
    except IntegrityError as error:
        raise ContactPointExists() from error
    event_record(
        customer_id=customer.id,
        kind=events.CONTACT_ADDED,
        dealer_id=_acting_dealer_id(by, customer),
        actor=by,
        data={"kind": kind, "value": value},
    )
    return point


@transaction.atomic
def consent_record(
    *,
    customer: Customer,
    channel: str,
    purpose: str,
    status: str,
    source: str,
    by=None,
    dealer: Dealer | None = None,
) -> Consent:
    """Record the customer's answer for a channel and purpose.

    A withdrawn consent (opt-out) is never turned back into an opt-in by an imported list: only the
    customer, in person or through their own action, can give it back (ConsentWithdrawn)."""
    current = (
        Consent.objects.select_for_update()
        .filter(customer=customer, channel=channel, purpose=purpose)
        .first()
    )
    if current is not None and current.status == status:
        return current
    if (
        current is not None
        and current.status == Consent.Status.OPT_OUT
        and status == Consent.Status.OPT_IN
        and source == Consent.Source.IMPORT
    ):
        raise ConsentWithdrawn()
    now = timezone.now()
    values = {
        "status": status,
        "source": source,
        "recorded_at": now,
        "recorded_by": by if getattr(by, "is_authenticated", False) else None,
        "dealer": dealer,
    }
    if current is None:
        consent = Consent.objects.create(customer=customer, channel=channel, purpose=purpose, **values)
    else:
        for key, value in values.items():
            setattr(current, key, value)
        current.save(update_fields=[*values.keys()])
        consent = current
    event_record(
        customer_id=customer.id,
        kind=events.CONSENT_CHANGED,
        dealer_id=dealer.id if dealer else None,
        actor=by,
        data={"channel": channel, "purpose": purpose, "status": status, "source": source},
    )
    return consent


@transaction.atomic
def vehicle_register(
    *,
    by,
    owner: Customer | None,
    vin: str,
    make: str,
    model: str,
    dealer: Dealer | None = None,
    trim: str = "",
    year: int | None = None,
    colour: str = "",
    plate: str = "",
    purchase_date: date | None = None,
    selling_dealer: Dealer | None = None,
) -> Vehicle:
    """Record a vehicle (VIN validated, check digit where the region uses one) and its owner."""
    access = access_for(by)
    if not access.can_edit_customers:
        raise PermissionDenied()
    vin = vin_normalize(vin)
    try:
        with transaction.atomic():
            vehicle = Vehicle.objects.create(
                vin=vin,
                make=make.strip(),
                model=model.strip(),
                trim=trim.strip(),
                year=year,
                colour=colour.strip(),
                plate=plate_normalize(plate),
                purchase_date=purchase_date,
                owner=owner,
                selling_dealer=selling_dealer,
                recorded_by_dealer=dealer,
            )
    except IntegrityError as error:
        raise VinAlreadyRegistered() from error
    if owner is not None:
        event_record(
            customer_id=owner.id,
            kind=events.VEHICLE_ADDED,
            dealer_id=dealer.id if dealer else None,
            actor=by,
            data={"vehicle": str(vehicle), "vin": vin},
        )
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle: Vehicle, by, expected_version: int, changes: dict) -> Vehicle:
    access = access_for(by)
    if not access.can_edit_customers:
        raise PermissionDenied()
    unknown = set(changes) - set(VEHICLE_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown vehicle fields: {sorted(unknown)}")
    if "plate" in changes:
        changes = {**changes, "plate": plate_normalize(changes["plate"])}
    changed = {k: v for k, v in changes.items() if getattr(vehicle, k) != v}
    updated = Vehicle.objects.filter(id=vehicle.id, version=expected_version).update(
        **changed, version=F("version") + 1, updated_at=timezone.now()
    )
    if not updated:
        raise ConcurrentEdit(
            extra={"current_version": Vehicle.objects.values_list("version", flat=True).get(id=vehicle.id)}
        )
    vehicle.refresh_from_db()
    if changed and vehicle.owner_id:
        event_record(
            customer_id=vehicle.owner_id,
            kind=events.VEHICLE_UPDATED,
            dealer_id=_acting_dealer_id(by, vehicle.owner),
            actor=by,
            data={
                "vehicle": str(vehicle),
                "fields": sorted(changed),
            },
        )
    return vehicle


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
    that points at `merged` (in any app) points at `survivor`; where both had the same dealer link,
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
        moved = _merge_rows(survivor_id=survivor.id, merged_id=merged.id)
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

    # Everything else that points at a customer, in any app (vehicles, timeline, leads, repair orders…).
    for relation in Customer._meta.related_objects:
        model, field_name = relation.related_model, relation.field.name
        if (model, field_name) in _MERGE_SPECIAL or issubclass(model, pghistory.models.Event):
            continue  # history rows describe the past as it was: they are never rewritten
        count = model._base_manager.filter(**{field_name: merged_id}).update(**{field_name: survivor_id})
        if count:
            moved[f"{model._meta.label_lower}.{field_name}"] = count
    return moved


@transaction.atomic
def timeline_note_add(*, customer: Customer, by, text: str) -> TimelineEvent:
    """A free-text note on the customer's timeline, at the user's dealer."""
    if not access_for(by).can_edit_customers:
        raise PermissionDenied()
    return event_record(
        customer_id=customer.id,
        kind=events.NOTE_ADDED,
        dealer_id=_acting_dealer_id(by, customer),
        actor=by,
        data={"text": text.strip()[:2000]},
    )
