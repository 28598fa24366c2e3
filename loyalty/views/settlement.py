"""The OEM's monthly settlement: which dealer owes which for points redeemed away from where they were earned
(and what the OEM funds), with its export."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.core.http import SPREADSHEET_TYPES, refuse_spreadsheet_format, spreadsheet_response
from loyalty.permissions import can_see_settlement
from loyalty.selectors.club import add_months, programme_current
from loyalty.selectors.reports import liability_now, parse_month, settlement_for


@login_required
@require_GET
def settlement(request):
    if not can_see_settlement(request.access):
        raise Http404
    month = parse_month(request.GET.get("month"), default=add_months(timezone.localdate(), -1))
    rows = settlement_for(month=month)
    file_format = request.GET.get("format", "")
    if not file_format:
        return render(
            request,
            "loyalty/settlement.html",
            {
                "rows": rows,
                "liability": liability_now(),
                "month": month,
                "previous": add_months(month, -1),
                "next": add_months(month, 1),
                "point_value": programme_current().point_value,
                "total_points": sum(row.points for row in rows),
                "total_amount": sum((row.amount for row in rows), start=0),
            },
        )
    if file_format not in SPREADSHEET_TYPES:
        return refuse_spreadsheet_format()
    headers = [str(_("Who pays")), str(_("Who is paid")), str(_("Points")), str(_("Amount (yuan)"))]
    lines = [[row.payer or str(_("The OEM")), row.payee, row.points, row.amount] for row in rows]
    return spreadsheet_response(
        file_format, headers, lines, name=f"points-settlement-{month:%Y-%m}", sheet_title=f"{month:%Y-%m}",
        stamped=False,
    )
