"""One dealer's figures per salesperson, for the dealer page: the registered figures tagged `per_person` whose
measures have the person dimension (crm.core.key_figures.person_totals), computed from the raw rows of this one
dealer and period (small: a dealer's month is hundreds of leads), each number with the rows URL of that person's
share (same selection, same count). A person is anyone the rows belong to: the active sales staff, and whoever
else still owns rows of the period (a colleague who left); rows nobody owns make an "unassigned" line.

Why a dimension of the registry and not a selector here: the owner of a figure knows whose its rows are (a
lead's salesperson, later a repair order's advisor) and how to list one person's rows; `dealers` only asks."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from crm.core import key_figures
from crm.core.key_figures import FigureValue, KeyFigure
from crm.core.names import staff_name
from crm.network.models import Dealer
from dealers.selectors.figures import Period
from dealers.selectors.pages import dealer_salespeople


@dataclass(frozen=True)
class PersonRow:
    user_id: int | None  # None: the rows nobody owns
    name: str
    role_label: str
    cells: list[tuple[FigureValue, str | None, str]]  # per figure: the person's value, the rows behind, the unit


@dataclass(frozen=True)
class PeopleFigures:
    figures: list[KeyFigure]
    rows: list[PersonRow]


def per_person_figures() -> list[KeyFigure]:
    return [
        figure
        for figure in key_figures.figures()
        if key_figures.PER_PERSON in figure.tags and key_figures.has_person_dimension(figure)
    ]


def salesperson_figures(*, dealer: Dealer, period: Period) -> PeopleFigures:
    figures = per_person_figures()
    measures = {code for figure in figures for code in figure.measures}
    totals = (
        key_figures.person_totals(codes=measures, dealer_id=dealer.id, first_day=period.first_day, last_day=period.last_day)
        if measures
        else {}
    )
    empty = {code: key_figures.empty_total(key_figures.measure_get(code).kind) for code in measures}
    people = [(person.user_id, person.name, person.role_label) for person in dealer_salespeople(dealer=dealer)]
    listed = {user_id for user_id, _name, _role in people}
    others = [user_id for user_id in totals if user_id is not None and user_id not in listed]
    if others:
        for user in get_user_model().objects.filter(id__in=others).order_by("first_name", "last_name", "username"):
            people.append((user.id, staff_name(user), ""))
    rows = []
    for user_id, name, role in people:
        rows.append(PersonRow(user_id, name, role, _cells(figures, totals.get(user_id, empty), dealer, period, user_id)))
    if None in totals:
        rows.append(PersonRow(None, "", "", _cells(figures, totals[None], dealer, period, None)))
    return PeopleFigures(figures, rows)


def _cells(figures, totals, dealer, period, user_id):
    cells = []
    for figure in figures:
        value = figure.combine(totals)
        url = None
        if user_id is not None and figure.rows_url is not None:
            url = figure.rows_url(dealer.id, period.first_day, period.last_day, person_id=user_id)
        cells.append((value, url, figure.unit.value))
    return cells
