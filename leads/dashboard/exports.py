"""The dashboard's figures as one long table (Section, Item, Measure, Value): the same numbers the page
shows, in a shape a pivot table reads, written by crm.core.spreadsheets (formula-safe CSV and XLSX)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from leads.dashboard.selectors import FunnelFigures

LEAD_ROW_HEADERS = (
    gettext_lazy("ID"),
    gettext_lazy("Arrived"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Customer"),
    gettext_lazy("Type"),
    gettext_lazy("Source"),
    gettext_lazy("Campaign"),
    gettext_lazy("Models of interest"),
    gettext_lazy("Stage"),
    gettext_lazy("Grade"),
    gettext_lazy("Owner"),
    gettext_lazy("First response due"),
    gettext_lazy("First contact"),
    gettext_lazy("First response (business minutes)"),
    gettext_lazy("SLA breached"),
    gettext_lazy("First contact verified"),
    gettext_lazy("Closed"),
)


def figures_table(figures: FunnelFigures, *, filter_labels: list[tuple[str, str]]) -> tuple[list, list]:
    headers = [_("Section"), _("Item"), _("Measure"), _("Value")]
    rows: list[tuple] = [(_("Filters"), label, "", value) for label, value in filter_labels]
    leads, share, step = _("Leads"), _("Share of leads"), _("Conversion from previous stage")
    rows.append((_("Summary"), _("Leads"), leads, figures.total.value))
    rows.append((_("Summary"), pgettext("leads still open", "Open"), leads, figures.open))
    rows.append((_("Summary"), _("Lost"), leads, figures.lost.value))
    rows.append((_("Summary"), _("Frozen"), leads, figures.frozen.value))
    for row in figures.stages:
        rows.append((_("Current stage"), row.label, leads, row.current.value))
    for row in figures.stages:
        if row.reached is None:
            continue
        rows.append((_("Reached stage"), row.label, leads, row.reached.value))
        if row.share_of_cohort is not None:
            rows.append((_("Reached stage"), row.label, share, round(row.share_of_cohort, 4)))
        if row.step_conversion is not None:
            rows.append((_("Reached stage"), row.label, step, round(row.step_conversion, 4)))
    section = _("First response")
    rows.append((section, _("Leads with a first-response clock"), leads, figures.clocked.value))
    rows.append((section, _("SLA breached"), leads, figures.breached.value))
    if figures.breach_rate is not None:
        rows.append((section, _("SLA breached"), _("Rate"), round(figures.breach_rate, 4)))
    for _key, label, figure in figures.first_response:
        rows.append((section, label, leads, figure.value))
    rows.append((section, _("Verified"), leads, figures.verified.value))
    rows.append((section, _("Only claimed"), leads, figures.claimed.value))
    if figures.median_first_response is not None:
        rows.append((section, _("Median"), _("Business minutes"), round(figures.median_first_response, 1)))
    for _stage, label, median, moves in figures.time_in_stage:
        rows.append((_("Time in stage"), label, _("Median hours"), round(median, 2)))
        rows.append((_("Time in stage"), label, _("Moves"), moves))
    for _reason, label, lost, frozen in figures.lost_reasons:
        rows.append((_("Lost reasons"), label, _("Lost"), lost.value))
        rows.append((_("Lost reasons"), label, _("Frozen"), frozen.value))
    for brand, count in figures.competitors:
        rows.append((_("Competitor brands"), brand, _("Lost"), count))
    for title, breakdown in (
        (_("By source"), figures.by_source),
        (_("By model"), figures.by_model),
        (_("By salesperson"), figures.by_owner),
        (_("By dealer"), figures.by_dealer),
        (_("By period"), figures.trend),
    ):
        for row in breakdown:
            for measure, figure in (
                (_("Leads"), row.leads),
                (_("Reached visit"), row.visited),
                (_("Reached test drive"), row.test_drive),
                (_("Ordered"), row.ordered),
                (_("Delivered"), row.delivered),
                (_("Lost"), row.lost),
                (_("SLA breached"), row.breached),
            ):
                rows.append((title, row.label, measure, figure.value))
    traffic = figures.traffic
    for key, label in (
        ("visits", _("Visits")),
        ("anonymous", _("Anonymous walk-ins")),
        ("first", _("First visits")),
        ("returning", _("Returning visits")),
        ("people", _("People")),
    ):
        rows.append((_("Showroom traffic"), label, _("Count"), traffic[key]))
    return headers, rows
