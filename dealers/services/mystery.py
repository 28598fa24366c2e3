"""Mystery shops: the OEM records a shopper's visit or call, and the system reconciles it with the dealer's
own records, read through the funnel's selectors (a dealer may have imported its leads, typed a visit, or
taken the call as a lead):

- logged: a showroom visit, or a lead, at that dealer with the shopper's phone, within a day of the shop;
- followed up: a contact attempt on that lead after the shop, within the dealer's cadence for the lead's
  grade. Until the cadence has run out without one, the answer is "not yet known" (None).

Reconciling again recomputes the answer (the dealer's records may have changed); a failed reconciliation may
open one finding.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.core.scope import network_wide, scoped
from crm.customers.models import ContactPoint
from crm.customers.normalize import phone_normalize
from crm.network.access import access_for
from crm.network.models import Dealer
from dealers import permissions
from dealers.exceptions import AlreadyReconciled
from dealers.models import MysteryShop
from dealers.models.findings import Severity
from dealers.services.findings import finding_raise
from leads import selectors as lead_selectors
from leads.setup.selectors import dealer_cadence

WINDOW = timedelta(days=1)
UNGRADED_CADENCE_GRADE = "B"


@transaction.atomic
def mystery_shop_record(
    *,
    dealer: Dealer,
    by,
    kind: str,
    occurred_at: datetime,
    shopper_phone: str,
    scenario: str,
    behaviours: list[dict],
    shopper_name: str = "",
) -> MysteryShop:
    permissions.require(permissions.can_record_mystery_shop(access_for(by), dealer.id))
    return MysteryShop.objects.create(
        dealer=dealer,
        kind=kind,
        occurred_at=occurred_at,
        shopper_phone=phone_normalize(shopper_phone),
        shopper_name=shopper_name.strip(),
        scenario=scenario.strip(),
        behaviours=[
            {"label": str(item["label"]).strip()[:200], "observed": bool(item.get("observed"))}
            for item in behaviours
            if str(item.get("label", "")).strip()
        ],
        recorded_by=by,
    )


def _customers_with_phone(phone: str):
    return ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=phone).values("customer_id")


def _cadence_days(dealer_id: int, grade: str) -> int:
    days = {row.grade: row.days for row in dealer_cadence(dealer_id=dealer_id)}
    return days.get(grade) or days[UNGRADED_CADENCE_GRADE]


def reconciliation_of(*, shop: MysteryShop, user, now: datetime | None = None) -> dict:
    """What the dealer's records say about `shop`, read as `user` (an OEM user over the dealer)."""
    now = now or timezone.now()
    start, end = shop.occurred_at - WINDOW, shop.occurred_at + WINDOW
    customers = _customers_with_phone(shop.shopper_phone)
    visit = (
        lead_selectors.visits_for_user(user=user)
        .filter(dealer_id=shop.dealer_id, customer_id__in=customers, arrived_at__gte=start, arrived_at__lte=end)
        .order_by("arrived_at", "id")
        .first()
    )
    lead = visit.lead if visit is not None and visit.lead_id else None
    if lead is None:
        lead = (
            lead_selectors.leads_for_user(user=user)
            .filter(dealer_id=shop.dealer_id, customer_id__in=customers)
            .filter(Q(arrived_at__gte=start, arrived_at__lte=end) | Q(created_at__gte=start, created_at__lte=end))
            .order_by("arrived_at", "id")
            .first()
        )
    answer = {
        "is_logged": visit is not None or lead is not None,
        "logged_lead": lead,
        "logged_at": visit.created_at if visit is not None else (lead.created_at if lead is not None else None),
        "is_followed_up": False,
        "followed_up_at": None,
        "follow_up_due_at": None,
    }
    if lead is None:
        return answer
    due_at = shop.occurred_at + timedelta(days=_cadence_days(shop.dealer_id, lead.grade))
    attempt = (
        lead_selectors.contact_attempts_for_user(user=user)
        .filter(lead=lead, at__gt=shop.occurred_at)
        .order_by("at", "id")
        .first()
    )
    answer["follow_up_due_at"] = due_at
    if attempt is not None:
        answer["followed_up_at"] = attempt.at
        answer["is_followed_up"] = attempt.at <= due_at
    elif now <= due_at:
        answer["is_followed_up"] = None  # the cadence has not run out yet
    return answer


@transaction.atomic
def mystery_shop_reconcile(*, shop: MysteryShop, by, now: datetime | None = None) -> MysteryShop:
    """Recompute the reconciliation of `shop` from the dealer's records now."""
    shop = MysteryShop.objects.select_for_update().filter(pk=shop.pk).first()
    if shop is None:
        raise NotFound()
    permissions.require(permissions.can_record_mystery_shop(access_for(by), shop.dealer_id))
    answer = reconciliation_of(shop=shop, user=by, now=now)
    for attribute, value in answer.items():
        setattr(shop, attribute, value)
    shop.reconciled_at = now or timezone.now()
    shop.save()
    return shop


@transaction.atomic
def mystery_shop_finding_open(*, shop: MysteryShop, by, due_on, owner=None):
    """A finding from a failed reconciliation (the visit was not logged, or not followed up in time)."""
    shop = MysteryShop.objects.select_for_update().select_related("dealer").filter(pk=shop.pk).first()
    if shop is None:
        raise NotFound()
    if shop.findings.exists():
        raise AlreadyReconciled()
    if shop.is_passed is not False:
        raise AlreadyReconciled(_("Only a reconciliation that failed opens a finding."))
    when = timezone.localtime(shop.occurred_at).strftime("%Y-%m-%d %H:%M")
    if not shop.is_logged:
        title = _("Mystery shop on %(when)s is not in the dealer's records") % {"when": when}
    else:
        title = _("Mystery shop on %(when)s was not followed up within the cadence") % {"when": when}
    return finding_raise(
        dealer=shop.dealer,
        by=by,
        title=title[:200],
        description=shop.scenario,
        severity=Severity.MAJOR,
        due_on=due_on,
        owner=owner,
        mystery_shop=shop,
    )


def mystery_shops_reconcile_pending(*, now: datetime | None = None, days: int = 45) -> int:
    """The beat's job: reconcile again the recent shops whose follow-up was not yet known, as the OEM user
    who recorded each (so the funnel's selectors scope the reads as they would for that user)."""
    now = now or timezone.now()
    with network_wide(reason="mystery shops: pending reconciliations"):
        pending = list(
            MysteryShop.objects.filter(occurred_at__gte=now - timedelta(days=days), occurred_at__lte=now)
            .filter(Q(reconciled_at__isnull=True) | Q(is_followed_up__isnull=True))
            .select_related("recorded_by")
            .order_by("id")
        )
    done = 0
    for shop in pending:
        with scoped(access_for(shop.recorded_by).scope):
            try:
                mystery_shop_reconcile(shop=shop, by=shop.recorded_by, now=now)
            except (NotFound, permissions.PermissionDenied):
                continue
        done += 1
    return done
