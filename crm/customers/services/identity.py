"""Identity resolution: is this person already a customer anywhere in the network?"""

from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scope_current
from crm.customers import events
from crm.customers.exceptions import ImplausibleBirthday
from crm.customers.models import ContactPoint, Customer, CustomerDealer, DuplicateCandidate
from crm.customers.normalize import digits, email_normalize, phone_normalize
from crm.network.access import access_for
from crm.network.models import Dealer
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


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def customer_details_check(details: dict) -> None:
    """The details a person can have: a birthday between 1900-01-01 and today (ImplausibleBirthday)."""
    birthday = details.get("birthday")
    if birthday is not None and not EARLIEST_BIRTHDAY <= birthday <= timezone.localdate():
        raise ImplausibleBirthday()


@dataclass
class CustomerResolution:
    """What `customer_resolve` did: found the same person (`created` False) or made a new record."""

    customer: Customer
    created: bool
    possible_duplicates: list[int] = field(default_factory=list)


def _require_editor(by, dealer: Dealer | None) -> None:
    """A person must be allowed to edit customers at `dealer`; system intake (`by` None: a web form or a
    lead site authenticated by its source key) must already run in a scope that covers the dealer."""
    if by is None:
        if not scope_current().allows_dealer(dealer.id if dealer else None):
            raise PermissionDenied()
        return
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
    if not keys:
        return
    with connection.cursor() as cursor:
        # One round trip, the locks still taken one by one in the array's (sorted) order.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS keys(key, position) ORDER BY position",
            [["identity:" + key for key in sorted(set(keys))]],
        )


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
    customer_details_check(details)
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
        _link_new(customer_id=customer.id, dealer=dealer, reason=reason, by=by)
    # A new record has no contact points yet: all of them in one INSERT, the first of each kind primary.
    ContactPoint.objects.bulk_create(
        ContactPoint(customer=customer, kind=kind, value=value, is_primary=position == 0)
        for kind, values in ((ContactPoint.Kind.PHONE, phones_e164), (ContactPoint.Kind.EMAIL, emails_clean))
        for position, value in enumerate(values)
    )
    candidates = identity_candidates(name=customer.name, phones=phones_e164, exclude_id=customer.id)
    if candidates:
        # The lookalike may be another dealer's customer: the pair is recorded network-wide, and shows in a
        # review list only to those who can see both.
        with network_wide(reason="possible duplicates found at intake"):
            # One INSERT; a pair already recorded stays as it is (the customer is new, so none should be).
            DuplicateCandidate.objects.bulk_create(
                (
                    DuplicateCandidate(
                        customer_id=min(customer.id, other_id),
                        other_id=max(customer.id, other_id),
                        score=score,
                        reason=DuplicateCandidate.Reason.PHONE_TAIL_AND_NAME,
                    )
                    for other_id, score in candidates.items()
                ),
                ignore_conflicts=True,
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


def _add_contact_points(*, customer, phones, emails, by, dealer) -> None:
    existing = list(customer.contact_points.values_list("kind", "value", "is_primary"))
    have = {(kind, value) for kind, value, _is_primary in existing}
    kinds_with_primary = {kind for kind, _value, is_primary in existing if is_primary}
    for kind, values in ((ContactPoint.Kind.PHONE, phones), (ContactPoint.Kind.EMAIL, emails)):
        for value in values:
            if (kind, value) in have:
                continue
            ContactPoint.objects.create(
                customer=customer, kind=kind, value=value, is_primary=kind not in kinds_with_primary
            )
            kinds_with_primary.add(kind)
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


def _link_new(*, customer_id: int, dealer: Dealer, reason: str, by) -> CustomerDealer:
    """`customer_link` for a customer created in this transaction: no link can exist yet, so no lookup
    and no savepoint."""
    link = CustomerDealer.objects.create(customer_id=customer_id, dealer=dealer, reason=reason)
    event_record(
        customer_id=customer_id,
        kind=events.CUSTOMER_LINKED,
        dealer_id=dealer.id,
        actor=by,
        data={"dealer": dealer.name, "reason": reason},
    )
    return link
