"""The header's dealer switcher, for staff who work at several dealers of a group."""

from crm.network.selectors import ACTING_DEALER_SESSION_KEY, dealers_worked_at


def dealer_switch(request):
    access = getattr(request, "access", None)
    # Only staff of several dealers pay for the query; everyone else's header has no switcher.
    if access is None or len(access.dealer_ids) < 2:
        return {"dealer_switch": None}
    return {
        "dealer_switch": {
            "dealers": dealers_worked_at(user=request.user),
            "current_id": request.session.get(ACTING_DEALER_SESSION_KEY),
        }
    }
