"""The reach-and-completion report shaped for a CSV or XLSX download (the authorities' interim reports)."""

from django.utils.translation import gettext as _

from crm.core.spreadsheets import write_csv, write_xlsx


def recall_report_file(
    *, campaign, report: list[dict], totals: dict, by: str, file_format: str
) -> tuple[bytes, str, str]:
    """(content, content type, file name)."""
    headers = [
        _("Region"),
        *([_("Dealer code"), _("Dealer")] if by == "dealer" else []),
        _("Affected vehicles"),
        _("Owners reached"),
        _("No contact or opted out"),
        _("Completed"),
        _("Declined"),
        _("Open"),
        _("Remedied more than once"),
        _("Completion %"),
        _("Reach %"),
    ]

    def line(row, *, label=None):
        place = [label] if label is not None else [row["region"]]
        if by == "dealer":
            place += ["", ""] if label is not None else [row["dealer_code"], row["dealer"]]
        numbers = ("affected", "reached", "unreachable", "completed", "declined", "open", "repeats")
        return [*place, *(row[key] for key in numbers), row["completion"], row["reach"]]

    rows = [line(row) for row in report] + [line(totals, label=_("Total"))]
    name = f"recall-{campaign.code}-{by}"
    if file_format == "xlsx":
        content = write_xlsx(headers, rows, sheet_title=campaign.code[:31])
        return content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{name}.xlsx"
    return write_csv(headers, rows), "text/csv; charset=utf-8", f"{name}.csv"
