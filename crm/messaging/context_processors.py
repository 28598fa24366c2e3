"""The bell's badge for the header. Counted only if a page shows it (base.html does, for signed-in users)."""

from crm.messaging.selectors.notifications import Badge


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_bell": Badge(user)}
