"""The bell: the badge (unread notifications, and what is overdue now; polled), the dropdown of the latest
notifications, the notifications page, and opening or marking them read. A user only ever reaches their
own notifications; anyone else's is 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crm.core.exceptions import NotFound
from crm.core.http import is_htmx
from crm.messaging.selectors.notifications import due_now, notifications_latest, notifications_page
from crm.messaging.services.notifications import notification_open, notifications_mark_read

DROPDOWN_SIZE = 8
DROPDOWN_DUE_SIZE = 3
PAGE_DUE_SIZE = 50
PAGE_SIZE = 25
# HTMX stops polling when an answer has this status: a signed-out tab stops asking for its badge.
HTMX_STOP_POLLING = 286


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _menu(request) -> HttpResponse:
    return render(
        request,
        "messaging/notifications/_menu.html",
        {
            "notifications": notifications_latest(user=request.user, limit=DROPDOWN_SIZE),
            "due_groups": due_now(user=request.user, limit=DROPDOWN_DUE_SIZE),
            "badge_out_of_band": True,
        },
    )


@require_GET
def notifications_bell(request):
    """The badge (polled every minute), or with `?menu=1` the dropdown's latest notifications."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    if request.GET.get("menu"):
        return _menu(request)
    return render(request, "messaging/notifications/_badge.html")


@login_required
@require_GET
def notifications_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = _page_number(request)
    notifications, has_next = notifications_page(
        user=request.user, unread_only=unread_only, page=page, per_page=PAGE_SIZE
    )
    return render(
        request,
        "messaging/notifications/list.html",
        {
            "notifications": notifications,
            # What is overdue now heads the first page, whether or not a reminder was ever sent for it.
            "due_groups": due_now(user=request.user, limit=PAGE_DUE_SIZE) if page == 1 else [],
            "unread_only": unread_only,
            "page": page,
            "has_next": has_next,
        },
    )


@login_required
@require_GET
def notification_go(request, notification_id: int):
    """Clicking a notification: it is marked read and its link followed (an in-site link only)."""
    try:
        notification = notification_open(user=request.user, notification_id=notification_id)
    except NotFound as error:
        raise Http404 from error
    link = notification.link
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(link)
    return redirect("messaging:notifications")


@login_required
@require_POST
def notification_read(request, notification_id: int):
    try:
        notification_open(user=request.user, notification_id=notification_id)
    except NotFound as error:
        raise Http404 from error
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request):
    notifications_mark_read(user=request.user)
    if is_htmx(request):
        return _menu(request)
    return _back(request)


def _back(request):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(reverse("messaging:notifications"))
