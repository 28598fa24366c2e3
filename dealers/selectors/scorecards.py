"""Reads of scorecards and their templates, scoped to the user: the OEM over a dealer sees every version,
the dealer's managers its published ones only (dealers/permissions.py)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from crm.core import key_figures
from crm.core.exceptions import NotFound
from crm.network.access import access_for
from dealers import permissions
from dealers.models import Scorecard, ScorecardLine, ScorecardTemplate


def scorecards_for_user(*, user) -> QuerySet[Scorecard]:
    access = access_for(user)
    scorecards = Scorecard.objects.select_related("dealer", "dealer__region", "template")
    if access.has_role(*permissions.OEM_ADMIN_ROLES):
        return scorecards
    overseen = access.region_dealer_ids if access.has_role(*permissions.REGIONAL_ROLES) else frozenset()
    own = access.dealers_where(*permissions.DEALER_READERS)
    return scorecards.filter(
        Q(dealer_id__in=overseen) | Q(dealer_id__in=own, status=Scorecard.Status.PUBLISHED)
    )


def scorecard_get(*, user, scorecard_id: int) -> Scorecard:
    scorecard = scorecards_for_user(user=user).filter(id=scorecard_id).first()
    if scorecard is None:
        raise NotFound()
    return scorecard


def scorecards_list(*, user, month=None, dealer_id: int | None = None, status: str = "") -> QuerySet[Scorecard]:
    scorecards = scorecards_for_user(user=user)
    if month is not None:
        scorecards = scorecards.filter(month=month)
    if dealer_id is not None:
        scorecards = scorecards.filter(dealer_id=dealer_id)
    if status:
        scorecards = scorecards.filter(status=status)
    return scorecards.order_by("-month", "dealer__code", "-version")


def scorecard_months(*, user) -> list:
    return list(scorecards_for_user(user=user).order_by("-month").values_list("month", flat=True).distinct()[:24])


@dataclass(frozen=True)
class LineView:
    line: ScorecardLine
    label: str
    unit: str
    definition: str


def _figure_text(code: str) -> tuple[str, str, str]:
    try:
        figure = key_figures.figure_get(code)
    except KeyError:
        return code, "", ""
    return str(figure.label), str(figure.unit), str(figure.definition)


def scorecard_lines(*, scorecard: Scorecard) -> list[LineView]:
    return [
        LineView(line, *_figure_text(line.figure_code))
        for line in scorecard.lines.order_by("position", "id")
    ]


@dataclass(frozen=True)
class Difference:
    figure_code: str
    label: str
    before_value: Decimal | None
    after_value: Decimal | None
    before_points: Decimal | None
    after_points: Decimal | None

    @property
    def points_change(self) -> Decimal | None:
        if self.before_points is None or self.after_points is None:
            return None
        return self.after_points - self.before_points

    @property
    def is_changed(self) -> bool:
        return (self.before_value, self.before_points) != (self.after_value, self.after_points)


def scorecard_differences(*, scorecard: Scorecard) -> list[Difference]:
    """Per key figure, what the restatement changed against the version it restates (empty for a first)."""
    if scorecard.restates_id is None:
        return []
    before = {line.figure_code: line for line in ScorecardLine.objects.filter(scorecard_id=scorecard.restates_id)}
    differences = []
    for line in scorecard.lines.order_by("position", "id"):
        old = before.get(line.figure_code)
        differences.append(
            Difference(
                figure_code=line.figure_code,
                label=_figure_text(line.figure_code)[0],
                before_value=old.value if old else None,
                after_value=line.value,
                before_points=old.points if old else None,
                after_points=line.points,
            )
        )
    return differences


def templates_list() -> QuerySet[ScorecardTemplate]:
    return ScorecardTemplate.objects.prefetch_related("kpis").order_by("-version")


def template_get(*, template_id: int) -> ScorecardTemplate:
    template = ScorecardTemplate.objects.filter(id=template_id).first()
    if template is None:
        raise NotFound()
    return template


def scorable_figures() -> list[key_figures.KeyFigure]:
    return [figure for figure in key_figures.figures() if figure.is_scorable]


def scorecard_latest(*, user, dealer_id: int) -> Scorecard | None:
    """The newest scorecard of a dealer the user may read (for a dealer's managers: the newest published
    one), for the dealer page's panel."""
    return scorecards_list(user=user, dealer_id=dealer_id).order_by("-month", "-version").first()
