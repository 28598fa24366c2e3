"""Scorecard templates and monthly scorecards.

Guarantees:
- Only registered, scorable key figures go on a template; its weights sum to 100 (checked here, and by the
  database when the transaction commits); the target and floor follow the figure's direction.
- A published template is never changed: `template_draft_save` on it makes the next version.
- `scorecards_draft_month` is safe to run any number of times: per dealer and month it creates the first
  draft, recomputes a draft in place, or, when the published version's figures changed since (late data),
  drafts a restatement (the next version, pointing at it). A published scorecard is never changed (the
  database refuses it).

Arithmetic: each key figure maps linearly from its floor (0 points) to its target (100 points), clamped,
whichever way round the figure reads. The total is the weighted mean of the figures that have a value (a
dealer with no leads has no response time: that figure's weight goes to the others, rather than scoring 0
or 100). The tier follows the template's thresholds; a veto gate (a critical finding overdue at the month's
end, or a finding of data falsification open during the month) caps the tier and cancels the rebate.
"""

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core import key_figures
from crm.core.exceptions import NotFound
from crm.core.scope import network_wide
from crm.network.access import access_for
from crm.network.models import Dealer
from dealers import permissions
from dealers.exceptions import Frozen, TemplateInvalid, UnknownFigure, WeightsNotHundred
from dealers.models import Finding, Scorecard, ScorecardKpi, ScorecardLine, ScorecardTemplate
from dealers.models.findings import Severity
from dealers.models.scorecards import TIER_ORDER
from dealers.selectors.figures import Period, figure_values

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class KpiTerms:
    figure_code: str
    weight: int
    target: Decimal
    floor: Decimal


@dataclass(frozen=True)
class TierTerms:
    tier_a_min: Decimal = Decimal(90)
    tier_b_min: Decimal = Decimal(80)
    tier_c_min: Decimal = Decimal(70)
    veto_cap_tier: str = "C"
    rebate_a: Decimal = Decimal("1.5")
    rebate_b: Decimal = Decimal("1.0")
    rebate_c: Decimal = Decimal("0.5")
    rebate_d: Decimal = Decimal(0)


# --- Templates ----------------------------------------------------------------------------------------------


def scorable_figure(code: str) -> key_figures.KeyFigure:
    try:
        figure = key_figures.figure_get(code)
    except KeyError:
        figure = None
    if figure is None or not figure.is_scorable:
        raise UnknownFigure(_("“%(code)s” is not a key figure that may be put on a scorecard.") % {"code": code})
    return figure


def kpis_check(kpis: list[KpiTerms]) -> list[bool]:
    """The direction of each figure (higher is better), after checking the terms; raises TemplateInvalid."""
    if not kpis:
        raise WeightsNotHundred()
    codes = [kpi.figure_code for kpi in kpis]
    if len(set(codes)) != len(codes):
        raise TemplateInvalid(_("Each key figure may appear once."), field="kpis")
    if sum(kpi.weight for kpi in kpis) != 100:
        raise WeightsNotHundred(
            _("The weights add up to %(total)s; they must add up to 100.") % {"total": sum(k.weight for k in kpis)}
        )
    directions = []
    for kpi in kpis:
        figure = scorable_figure(kpi.figure_code)
        if not 1 <= kpi.weight <= 100:
            raise TemplateInvalid(_("A weight is between 1 and 100."), field="kpis")
        if figure.higher_is_better and not kpi.target > kpi.floor:
            raise TemplateInvalid(
                _("%(figure)s: higher is better, so the target must be above the floor.") % {"figure": figure.label},
                field="kpis",
            )
        if not figure.higher_is_better and not kpi.target < kpi.floor:
            raise TemplateInvalid(
                _("%(figure)s: lower is better, so the target must be below the floor.") % {"figure": figure.label},
                field="kpis",
            )
        directions.append(figure.higher_is_better)
    return directions


def tiers_check(tiers: TierTerms) -> None:
    if not (100 >= tiers.tier_a_min > tiers.tier_b_min > tiers.tier_c_min >= 0):
        raise TemplateInvalid(_("Tier thresholds must descend: 100 ≥ A > B > C ≥ 0."), field="tiers")
    for rate in (tiers.rebate_a, tiers.rebate_b, tiers.rebate_c, tiers.rebate_d):
        if not 0 <= rate <= 100:
            raise TemplateInvalid(_("A rebate rate is a percentage between 0 and 100."), field="tiers")


@transaction.atomic
def template_draft_save(
    *, by, name: str, kpis: list[KpiTerms], tiers: TierTerms, template: ScorecardTemplate | None = None
) -> ScorecardTemplate:
    """Save the draft `template` (or, with none, a new version after the newest). A published template is
    Frozen: its next version is made with `template=None`."""
    permissions.require(permissions.can_edit_scorecard_templates(access_for(by)))
    directions = kpis_check(kpis)
    tiers_check(tiers)
    if template is None:
        connection.cursor().execute("LOCK TABLE dealers_scorecardtemplate IN SHARE ROW EXCLUSIVE MODE")
        newest = ScorecardTemplate.objects.aggregate(newest=Max("version"))["newest"] or 0
        template = ScorecardTemplate(version=newest + 1, created_by=by)
    else:
        template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
        if template.is_published:
            raise Frozen()
    template.name = name
    for attribute, value in vars(tiers).items():
        setattr(template, attribute, value)
    template.save()
    template.kpis.all().delete()
    ScorecardKpi.objects.bulk_create(
        ScorecardKpi(
            template=template,
            figure_code=kpi.figure_code,
            weight=kpi.weight,
            target=kpi.target,
            floor=kpi.floor,
            higher_is_better=higher,
            position=position,
        )
        for position, (kpi, higher) in enumerate(zip(kpis, directions, strict=True))
    )
    return template


@transaction.atomic
def template_publish(*, template: ScorecardTemplate, by) -> ScorecardTemplate:
    """Freeze the draft: from the next month close, scorecards follow it."""
    permissions.require(permissions.can_edit_scorecard_templates(access_for(by)))
    template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
    if template.is_published:
        raise Frozen()
    template.status = ScorecardTemplate.Status.PUBLISHED
    template.published_at = timezone.now()
    template.save(update_fields=["status", "published_at"])
    return template


def template_in_force() -> ScorecardTemplate | None:
    return (
        ScorecardTemplate.objects.filter(status=ScorecardTemplate.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


# --- Arithmetic ---------------------------------------------------------------------------------------------


def points_for(*, value: Decimal | None, target: Decimal, floor: Decimal) -> Decimal | None:
    """Linear from the floor (0) to the target (100), clamped; either way round (lower-is-better figures
    have their target under their floor)."""
    if value is None:
        return None
    share = (value - floor) / (target - floor)
    share = min(Decimal(1), max(Decimal(0), share))
    return (share * HUNDRED).quantize(CENT, ROUND_HALF_UP)


def _decimal(number) -> Decimal | None:
    return None if number is None else Decimal(str(round(float(number), 4)))


@dataclass
class Computed:
    lines: list[dict] = field(default_factory=list)
    total_points: Decimal | None = None
    points_tier: str = "D"
    tier: str = "D"
    vetoes: list[dict] = field(default_factory=list)
    rebate_rate: Decimal = Decimal(0)

    def signature(self) -> tuple:
        """What a restatement compares: every figure's value and points, the vetoes, the outcome."""
        return (
            tuple((line["figure_code"], line["value"], line["points"]) for line in self.lines),
            tuple((veto["kind"], veto["finding_id"]) for veto in self.vetoes),
            self.total_points,
            self.tier,
            self.rebate_rate,
        )


def month_bounds(month: date) -> tuple[date, datetime, datetime]:
    """The month's last day, and its start and end as instants in the OEM's zone."""
    zone = ZoneInfo(settings.DEALERS_OEM_TIME_ZONE)
    last_day = month.replace(day=monthrange(month.year, month.month)[1])
    start = datetime.combine(month, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    return last_day, start, end


def vetoes_for(*, dealer_id: int, month: date) -> list[dict]:
    """The veto gates a dealer's month trips, as the month's end saw them."""
    last_day, start, end = month_bounds(month)
    overdue = Finding.objects.filter(
        dealer_id=dealer_id, severity=Severity.CRITICAL, raised_at__lt=end, due_on__lte=last_day
    ).filter(Q(answered_at__isnull=True) | Q(answered_at__gte=end), Q(closed_at__isnull=True) | Q(closed_at__gte=end))
    falsified = Finding.objects.filter(dealer_id=dealer_id, is_data_falsification=True, raised_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start)
    )
    vetoes = [
        {"kind": "data_falsification", "finding_id": finding_id, "title": title}
        for finding_id, title in falsified.order_by("id").values_list("id", "title")
    ]
    vetoes += [
        {"kind": "overdue_critical", "finding_id": finding_id, "title": title}
        for finding_id, title in overdue.order_by("id").values_list("id", "title")
    ]
    return vetoes


def scorecard_compute(*, template: ScorecardTemplate, dealer_id: int, month: date, values=None) -> Computed:
    """The dealer's month under `template` (nothing is written). `values` (figure_values' answer) may be
    passed when many dealers are computed at once."""
    kpis = list(template.kpis.all())
    if values is None:
        last_day, _start, _end = month_bounds(month)
        values = figure_values(
            codes=[kpi.figure_code for kpi in kpis], dealer_ids=[dealer_id], period=Period(month, last_day)
        )
    computed = Computed()
    weighted, weights = Decimal(0), 0
    for kpi in kpis:
        figure_value = values.get(kpi.figure_code, {}).get(dealer_id)
        value = _decimal(figure_value.value) if figure_value else None
        points = points_for(value=value, target=kpi.target, floor=kpi.floor)
        computed.lines.append(
            {
                "figure_code": kpi.figure_code,
                "position": kpi.position,
                "weight": kpi.weight,
                "target": kpi.target,
                "floor": kpi.floor,
                "higher_is_better": kpi.higher_is_better,
                "value": value,
                "numerator": _decimal(figure_value.numerator) if figure_value else None,
                "denominator": _decimal(figure_value.denominator) if figure_value else None,
                "points": points,
            }
        )
        if points is not None:
            weighted += points * kpi.weight
            weights += kpi.weight
    computed.total_points = (weighted / weights).quantize(CENT, ROUND_HALF_UP) if weights else None
    computed.points_tier = template.tier_for(computed.total_points)
    computed.vetoes = vetoes_for(dealer_id=dealer_id, month=month)
    if computed.vetoes:
        computed.tier = max(computed.points_tier, template.veto_cap_tier, key=TIER_ORDER.index)
        computed.rebate_rate = Decimal(0)
    else:
        computed.tier = computed.points_tier
        computed.rebate_rate = template.rebate_for(computed.tier)
    return computed


def _signature_of(scorecard: Scorecard) -> tuple:
    stored = Computed(
        lines=[
            {"figure_code": line.figure_code, "value": line.value, "points": line.points}
            for line in scorecard.lines.order_by("position", "id")
        ],
        total_points=scorecard.total_points,
        tier=scorecard.tier,
        vetoes=scorecard.vetoes,
        rebate_rate=scorecard.rebate_rate,
    )
    return stored.signature()


def _write(scorecard: Scorecard, computed: Computed, now: datetime) -> Scorecard:
    scorecard.total_points = computed.total_points
    scorecard.points_tier = computed.points_tier
    scorecard.tier = computed.tier
    scorecard.vetoes = computed.vetoes
    scorecard.rebate_rate = computed.rebate_rate
    scorecard.computed_at = now
    scorecard.save()
    scorecard.lines.all().delete()
    ScorecardLine.objects.bulk_create(
        ScorecardLine(scorecard=scorecard, dealer_id=scorecard.dealer_id, **line) for line in computed.lines
    )
    return scorecard


def _month_key(month: date) -> int:
    return month.year * 12 + month.month


def scorecard_refresh(*, dealer_id: int, month: date, template: ScorecardTemplate | None, values=None) -> str:
    """One dealer's month, idempotently: "created", "updated", "restated", "withdrawn" or "unchanged".
    Runs in its own transaction, under an advisory lock on (month, dealer)."""
    now = timezone.now()
    with transaction.atomic():
        connection.cursor().execute("SELECT pg_advisory_xact_lock(%s, %s)", [_month_key(month), dealer_id])
        latest = Scorecard.objects.filter(dealer_id=dealer_id, month=month).order_by("-version").first()
        if latest is None:
            if template is None:
                return "unchanged"
            computed = scorecard_compute(template=template, dealer_id=dealer_id, month=month, values=values)
            _write(Scorecard(dealer_id=dealer_id, month=month, template=template), computed, now)
            return "created"
        computed = scorecard_compute(template=latest.template, dealer_id=dealer_id, month=month, values=values)
        if latest.is_published:
            if computed.signature() == _signature_of(latest):
                return "unchanged"
            restatement = Scorecard(
                dealer_id=dealer_id, month=month, template=latest.template, version=latest.version + 1, restates=latest
            )
            _write(restatement, computed, now)
            return "restated"
        if latest.restates_id and computed.signature() == _signature_of(latest.restates):
            latest.delete()  # the late data that called for a restatement was itself undone
            return "withdrawn"
        if computed.signature() == _signature_of(latest):
            return "unchanged"
        _write(latest, computed, now)
        return "updated"


def scorecards_draft_month(*, month: date, dealer_ids=None) -> dict[str, int]:
    """Every active dealer's scorecard for `month` (first day), network-wide; see `scorecard_refresh`."""
    counts: dict[str, int] = {}
    with network_wide(reason="monthly scorecards"):
        template = template_in_force()
        dealers = Dealer.objects.filter(is_active=True)
        if dealer_ids is not None:
            dealers = dealers.filter(id__in=dealer_ids)
        for dealer_id in dealers.order_by("id").values_list("id", flat=True):
            outcome = scorecard_refresh(dealer_id=dealer_id, month=month, template=template)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def months_closed(*, now: datetime | None = None, count: int = 3) -> list[date]:
    """The `count` most recent months closed in the OEM's zone, newest first."""
    today = timezone.localtime(now or timezone.now(), ZoneInfo(settings.DEALERS_OEM_TIME_ZONE)).date()
    month = today.replace(day=1)
    months = []
    for _index in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    return months


def scorecards_draft(*, now: datetime | None = None) -> dict[str, int]:
    """The beat's job: draft the month that just closed; restate the two before it where late data changed
    them (months never drafted are left alone)."""
    newest, *older = months_closed(now=now)
    counts = scorecards_draft_month(month=newest)
    for month in older:
        with network_wide(reason="monthly scorecards: restatements"):
            dealer_ids = list(Scorecard.objects.filter(month=month).values_list("dealer_id", flat=True).distinct())
        for outcome, number in scorecards_draft_month(month=month, dealer_ids=dealer_ids).items():
            counts[outcome] = counts.get(outcome, 0) + number
    return counts


@transaction.atomic
def scorecard_publish(*, scorecard: Scorecard, by) -> Scorecard:
    """Publish the draft: the dealer sees it, and it is frozen from now on."""
    scorecard = Scorecard.objects.select_for_update().filter(pk=scorecard.pk).first()
    if scorecard is None:
        raise NotFound()
    permissions.require(permissions.can_publish_scorecard(access_for(by), scorecard))
    if scorecard.is_published:
        raise Frozen()
    scorecard.status = Scorecard.Status.PUBLISHED
    scorecard.published_at = timezone.now()
    scorecard.published_by = by
    scorecard.save(update_fields=["status", "published_at", "published_by"])
    return scorecard
