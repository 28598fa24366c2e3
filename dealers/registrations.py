"""What the dealers app lends to the core's registries, imported once by DealersConfig.ready(): its header
entries, and the regional manager's landing page (the region's dealers, worst first).

What the dealers app lends to the core's registries, imported once by DealersConfig.ready(): its own key
figures (what mystery shops and field audits measure, so a scorecard may weigh them like any other figure)
and the header entries of its pages.

What `dealers` lends to the core's registries, imported once by DealersConfig.ready() (after every app below
it has registered its measures): the timeline subscriber that keeps the daily facts, for every event kind a
registered measure says may change it.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from crm.core import key_figures as kf
from crm.core.navigation import Landing, NavEntry, in_namespace, landing_register, nav_register
from crm.timeline.registry import subscribe
from dealers import permissions
from dealers.models import Audit, MysteryShop
from dealers.services.facts import facts_on_event

nav_register(
    NavEntry(
        key="dealers_network",
        label=_("Dealer figures"),
        url_name="dealers:network",
        icon="speedometer2",
        order=11,
        allowed=permissions.oversees_dealers,
        is_here=in_namespace("dealers", names={"network", "dealer"}),
    ),
    NavEntry(
        key="dealers_own",
        label=_("Our figures"),
        url_name="dealers:own",
        icon="speedometer2",
        order=35,
        allowed=permissions.own_figures_in_header,
        is_here=in_namespace("dealers", names={"own"}),
    ),
    NavEntry(
        key="dealers_own_menu",
        label=_("Our figures"),
        url_name="dealers:own",
        icon="speedometer2",
        order=89,
        allowed=permissions.own_figures_in_menu,
        is_here=in_namespace("dealers", names={"own"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_oem_reads",
        label=_("OEM reads of our data"),
        url_name="dealers:oem_reads",
        icon="eye",
        order=91,
        allowed=permissions.can_see_oem_reads,
        is_here=in_namespace("dealers", names={"oem_reads"}),
        is_secondary=True,
    ),
)
landing_register(
    # Before the network overview (order 10): a regional manager's day starts with the worst dealers.
    Landing(key="dealers_network", order=5, applies=permissions.is_regional_manager_only, url_name="dealers:network"),
)


def _shops_counted(condition: Q):
    """Reconciled mystery shops of `condition`, counted on the dealer's local day of the visit or call."""

    def compute(*, dealer_ids, first_day, last_day):
        shops = MysteryShop.objects.filter(condition, reconciled_at__isnull=False)
        rows = kf.on_local_days(shops, "occurred_at", dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
        counted = rows.values("dealer_id", "local_day").annotate(n=Count("id")).order_by()
        return [(row["dealer_id"], row["local_day"], row["n"]) for row in counted]

    return compute


# A shop still waiting to see whether the follow-up came (logged, cadence not yet over) is not reconciled yet.
_shops_reconciled = _shops_counted(~Q(is_logged=True, is_followed_up=None))
_shops_passed = _shops_counted(Q(is_logged=True, is_followed_up=True))


def _audit_rows(value_of, *, dealer_ids, first_day, last_day):
    """Audits count on the day of the visit (the dealer's own date), whenever they were completed."""
    totals: dict[tuple, float] = defaultdict(float)
    audits = Audit.objects.filter(
        status=Audit.Status.COMPLETED, dealer_id__in=dealer_ids, visited_on__gte=first_day, visited_on__lte=last_day
    )
    for audit in audits.only("dealer_id", "visited_on", "score"):
        totals[(audit.dealer_id, audit.visited_on)] += value_of(audit)
    return [(dealer_id, day, value) for (dealer_id, day), value in totals.items()]


def _audits_completed(*, dealer_ids, first_day, last_day):
    return [
        (dealer_id, day, int(value))
        for dealer_id, day, value in _audit_rows(lambda audit: 1, dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
    ]


def _audit_points(*, dealer_ids, first_day, last_day):
    return _audit_rows(lambda audit: float(audit.score), dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)


kf.measure_register(
    kf.Measure("dealers.mystery_shops_reconciled", kf.MeasureKind.COUNT, _shops_reconciled),
    kf.Measure("dealers.mystery_shops_passed", kf.MeasureKind.COUNT, _shops_passed),
    kf.Measure("dealers.audits_completed", kf.MeasureKind.COUNT, _audits_completed),
    kf.Measure("dealers.audit_points", kf.MeasureKind.SUM, _audit_points),
)
kf.figure_register(
    kf.KeyFigure(
        code="dealers.mystery_shops_passed",
        owner="dealers",
        label=_("Mystery shops logged and followed up"),
        unit=kf.Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Of the mystery shops reconciled with the dealer's records, the share found in its showroom log or "
            "leads within a day, with the shopper's phone, and followed up within the cadence."
        ),
        measures=("dealers.mystery_shops_passed", "dealers.mystery_shops_reconciled"),
        combine=kf.ratio("dealers.mystery_shops_passed", "dealers.mystery_shops_reconciled"),
        group="audits",
        order=10,
    ),
    kf.KeyFigure(
        code="dealers.audit_score",
        owner="dealers",
        label=_("Field audit score"),
        unit=kf.Unit.SCORE,
        higher_is_better=True,
        definition=_("The mean score (0–100) of the completed field audits whose visit fell in the period."),
        measures=("dealers.audit_points", "dealers.audits_completed"),
        combine=kf.ratio("dealers.audit_points", "dealers.audits_completed", percent=False),
        group="audits",
        order=20,
    ),
)


# --- Header ---------------------------------------------------------------------------------------------------


def _sees_findings(access) -> bool:
    return permissions.oversees_dealers(access) or permissions.reads_own_dealer(access)


def _dealer_side_only(access) -> bool:
    return permissions.reads_own_dealer(access) and not permissions.oversees_dealers(access)


def _for_oem_and_dealer(*, key: str, **entry) -> tuple[NavEntry, NavEntry]:
    """In the OEM's header; in a dealer manager's user menu (their header is full with the funnel's pages)."""
    return (
        NavEntry(key=key, allowed=permissions.oversees_dealers, **entry),
        NavEntry(key=f"{key}_dealer", allowed=_dealer_side_only, is_secondary=True, **entry),
    )


nav_register(
    *_for_oem_and_dealer(
        key="dealers_scorecards",
        label=_("Scorecards"),
        url_name="dealers:scorecard_list",
        icon="speedometer2",
        order=50,
        is_here=in_namespace(
            "dealers", names={"scorecard_list", "scorecard_detail", "scorecard_history", "scorecard_export"}
        ),
    ),
    *_for_oem_and_dealer(
        key="dealers_findings",
        label=_("Findings"),
        url_name="dealers:finding_list",
        icon="flag",
        order=51,
        is_here=in_namespace("dealers", names={"finding_list", "finding_new", "finding_detail"}),
    ),
    NavEntry(
        key="dealers_audits",
        label=_("Field audits"),
        url_name="dealers:audit_list",
        icon="card-checklist",
        order=52,
        allowed=_sees_findings,
        is_here=in_namespace("dealers", names={"audit_list", "audit_detail"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_mystery_shops",
        label=_("Mystery shops"),
        url_name="dealers:shop_list",
        icon="incognito",
        order=53,
        allowed=permissions.can_see_mystery_shops,
        is_here=in_namespace("dealers", names={"shop_list", "shop_new", "shop_detail"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_scorecard_templates",
        label=_("Scorecard templates"),
        url_name="dealers:template_list",
        icon="sliders",
        order=62,
        allowed=permissions.can_edit_scorecard_templates,
        is_here=in_namespace("dealers", names={"template_list", "template_new", "template_edit"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_checklists",
        label=_("Audit checklists"),
        url_name="dealers:checklist_list",
        icon="list-check",
        order=63,
        allowed=permissions.can_edit_checklists,
        is_here=in_namespace("dealers", names={"checklist_list", "checklist_new", "checklist_edit"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_collisions",
        label=_("Collisions"),
        url_name="dealers:collision_list",
        icon="intersect",
        order=54,
        allowed=permissions.can_see_collisions,
        is_here=in_namespace("dealers", names={"collision_list"}),
        is_secondary=True,
    ),
    NavEntry(
        key="dealers_value_ledger",
        label=_("What the OEM's leads brought"),
        url_name="dealers:value_ledger",
        icon="graph-up",
        order=55,
        allowed=permissions.can_see_value_ledger,
        is_here=in_namespace("dealers", names={"value_ledger"}),
        is_secondary=True,
    ),
)


FACTS_SUBSCRIBER = "dealers.facts"


def facts_subscribe() -> None:
    kinds = {kind for measure in kf.measures() for kind in measure.changed_by}
    if kinds:
        subscribe(name=FACTS_SUBSCRIBER, kinds=kinds, handler=facts_on_event)


facts_subscribe()
