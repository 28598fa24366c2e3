"""Changes to a known customer: details, contact points, consents, vehicles, notes."""

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm.core.exceptions import ConcurrentEdit, NotFound, PermissionDenied
from crm.core.scope import scope_current
from crm.customers import events
from crm.customers.exceptions import ConsentWithdrawn, ContactPointExists, VinAlreadyRegistered
from crm.customers.models import Consent, ContactPoint, Customer, CustomerDealer, Vehicle
from crm.customers.normalize import (
    birthday_check,
    email_normalize,
    phone_normalize,
    plate_normalize,
    vin_normalize,
)
from crm.customers.services.identity import CUSTOMER_EDITABLE_FIELDS
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_record

VEHICLE_EDITABLE_FIELDS = (
    "make",
    "model",
    "trim",
    "year",
    "colour",
    "plate",
    "purchase_date",
    "insurance_expires_on",
)


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
    if "birthday" in changes:
        birthday_check(changes["birthday"])
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
            dealer_id=_acting_dealer_id(by, customer.id),
            actor=by,
            data={"fields": sorted(changed)},
        )
    customer.refresh_from_db()
    return customer


def _acting_dealer_id(by, customer_id: int) -> int | None:
    """The dealer an action is taken at: the user's own dealer that knows the customer, if any."""
    dealer_ids = access_for(by).dealer_ids
    if not dealer_ids:
        return None
    return (
        CustomerDealer.objects.filter(customer_id=customer_id, dealer_id__in=dealer_ids)
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
        dealer_id=_acting_dealer_id(by, customer.id),
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
    """Record a vehicle (VIN validated, check digit where the region uses one) and its owner.

    `by` None is system intake (a public booking authenticated by its source key): it must name the dealer
    and already run in a scope that covers it, as customer_resolve requires."""
    if by is None:
        if dealer is None or not scope_current().allows_dealer(dealer.id):
            raise PermissionDenied()
    elif not access_for(by).can_edit_customers:
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
        if (
            getattr(getattr(error.__cause__, "diag", None), "constraint_name", "")
            != "customers_vehicle_vin_key"
        ):
            raise
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
            dealer_id=_acting_dealer_id(by, vehicle.owner_id),
            actor=by,
            data={
                "vehicle": str(vehicle),
                "vehicle_id": vehicle.id,
                "fields": sorted(changed),
            },
        )
    return vehicle


@transaction.atomic
def timeline_note_add(*, customer: Customer, by, text: str) -> TimelineEvent:
    """A free-text note on the customer's timeline, at the user's dealer."""
    if not access_for(by).can_edit_customers:
        raise PermissionDenied()
    return event_record(
        customer_id=customer.id,
        kind=events.NOTE_ADDED,
        dealer_id=_acting_dealer_id(by, customer.id),
        actor=by,
        data={"text": text.strip()[:2000]},
    )
