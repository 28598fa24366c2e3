"""The campaign pages: the list, a new campaign, the campaign's page with its approval flow and live
progress bar, and its replies. Views validate and call one selector or service; who may do what is
crm/messaging/permissions.py (a refused action answers 403, a campaign the user may not see 404)."""

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.core.http import is_htmx
from crm.core.names import staff_name
from crm.messaging import permissions
from crm.messaging.forms.campaigns import CampaignFilterForm, CampaignForm, SendBackForm
from crm.messaging.models import Campaign, OutboxMessage, Purpose
from crm.messaging.selectors import campaigns as selectors
from crm.messaging.services import campaigns as services

Status = Campaign.Status
PAGE_SIZE = 25
LIVE_STATUSES = (Status.SENDING, Status.APPROVED)
# After the last SMS went out, the gateway's delivery receipts keep arriving for a while: keep the bar live.
RECEIPT_WAIT = timedelta(minutes=15)
STATUS_CHIPS = {
    Status.DRAFT: "chip-muted",
    Status.PENDING_APPROVAL: "chip-warning",
    Status.APPROVED: "chip-primary",
    Status.SENDING: "chip-primary",
    Status.PAUSED: "chip-warning",
    Status.COMPLETED: "chip-success",
    Status.CANCELLED: "chip-danger",
}
MESSAGE_CHIPS = {
    OutboxMessage.Status.QUEUED: "chip-muted",
    OutboxMessage.Status.SENDING: "chip-primary",
    OutboxMessage.Status.SENT: "chip-primary",
    OutboxMessage.Status.DELIVERED: "chip-success",
    OutboxMessage.Status.FAILED: "chip-danger",
    OutboxMessage.Status.SUPPRESSED: "chip-muted",
    OutboxMessage.Status.UNCERTAIN: "chip-warning",
    OutboxMessage.Status.CANCELLED: "chip-muted",
}
# (outbox status, bar colour, legend label) in the bar's order; the rest of the bar is queued or not yet listed.
PROGRESS_BAR = (
    (OutboxMessage.Status.DELIVERED, "bg-success", pgettext_lazy("message status", "Delivered")),
    (OutboxMessage.Status.SENT, "bar-sent", gettext_lazy("Sent")),
    (OutboxMessage.Status.FAILED, "bg-danger", gettext_lazy("Failed")),
    (OutboxMessage.Status.UNCERTAIN, "bar-uncertain", gettext_lazy("Uncertain")),
    (OutboxMessage.Status.SUPPRESSED, "bg-secondary", gettext_lazy("Suppressed")),
    (OutboxMessage.Status.CANCELLED, "bar-cancelled", gettext_lazy("Cancelled")),
)
ACTIONS = {
    "submit": (services.campaign_submit, gettext_lazy("Submitted for approval.")),
    "approve": (services.campaign_approve, gettext_lazy("Approved.")),
    "send_back": (services.campaign_send_back, gettext_lazy("Sent back to its author with your note.")),
    "pause": (services.campaign_pause, gettext_lazy("Paused: nothing more is handed out until you resume.")),
    "resume": (services.campaign_resume, gettext_lazy("Resumed.")),
    "cancel": (services.campaign_cancel, gettext_lazy("Cancelled: the messages not yet sent are withdrawn.")),
}


def _rights(request) -> permissions.MessagingRights:
    rights = permissions.rights_for(request.user)
    if not rights.can_view_campaigns:
        raise Http404
    return rights


def _campaign(request, campaign_id: int) -> Campaign:
    _rights(request)
    try:
        return selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    except NotFound as error:
        raise Http404 from error


def _person(user) -> str:
    return staff_name(user) or "—"


def _names(campaign: Campaign) -> Campaign:
    """Who prepared and who approved, for the templates (either user may have been deleted since)."""
    campaign.creator_name, campaign.approver_name = (
        _person(campaign.created_by),
        _person(campaign.approved_by),
    )
    return campaign


def _percent(part: int, whole: int) -> float:
    return part * 100 / whole if whole else 0.0


def _mini_bar(campaign: Campaign, counts: dict[str, int]) -> dict:
    """The list's small bar: finished well, finished badly (failed/uncertain), skipped, still to go."""
    listed = sum(counts.values())
    whole = max(campaign.recipients if campaign.snapshot_done_at else listed, listed)
    good = counts.get("sent", 0) + counts.get("delivered", 0)
    bad = counts.get("failed", 0) + counts.get("uncertain", 0)
    skipped = counts.get("suppressed", 0) + counts.get("cancelled", 0)
    if campaign.status == Status.COMPLETED and whole == 0:
        return {"percent": 100, "good": "0", "bad": "0", "skipped": "0", "started": True}
    return {
        "percent": int(_percent(good + bad + skipped, whole)),
        "good": f"{_percent(good, whole):.2f}",
        "bad": f"{_percent(bad, whole):.2f}",
        "skipped": f"{_percent(skipped, whole):.2f}",
        "started": campaign.started_at is not None,
    }


@login_required
@require_GET
def campaign_list(request):
    rights = _rights(request)
    form = CampaignFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = max(page, 1)
    rows = list(
        selectors.campaigns_for_user(user=request.user, status=status or None)[
            (page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1
        ]
    )
    has_next, campaigns = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    # Ended campaigns carry their counts; only the ones still going are counted in the outbox.
    counts = selectors.campaign_counts(
        campaign_ids=[c.id for c in campaigns if c.started_at and not c.summary]
    )
    for campaign in campaigns:
        campaign.bar = _mini_bar(campaign, campaign.summary or counts.get(campaign.id, {}))
        campaign.chip = STATUS_CHIPS[campaign.status]
        _names(campaign)
    by_status = dict(
        selectors.campaigns_for_user(user=request.user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    filters = [("", _("All"), sum(by_status.values()))] + [
        (value, label, by_status.get(value, 0)) for value, label in Status.choices
    ]
    return render(
        request,
        "messaging/campaigns/list.html",
        {
            "campaigns": campaigns,
            "status": status,
            "filters": filters,
            "page": page,
            "has_next": has_next,
            "can_create": rights.can_manage_any,
        },
    )


def _first_url(*candidates: tuple[str, dict]) -> str | None:
    """The template pages belong to another part of messaging: link to them only once they exist."""
    for name, kwargs in candidates:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def _template_url(template) -> str | None:
    if template is None:
        return None
    return _first_url(
        ("messaging:template_edit", {"template_id": template.id}),
        ("messaging:templates", {}),
    )


def _zone_label(zone) -> str:
    offset = datetime.now(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def _new_context(request, form: CampaignForm) -> dict:
    segment, template = form.chosen_segment, form.chosen_template
    zone = form.time_zone
    language = translation.get_language() or "en"
    return {
        "form": form,
        "segment": segment,
        "template": template,
        "template_text": template.texts(language) if template else None,
        "template_url": _template_url(template),
        "zone": zone,
        "zone_label": _zone_label(zone) if zone else "",
        "segments_url": _first_url(("messaging:segments", {})),
        "is_marketing": template is not None and template.purpose == Purpose.MARKETING,
        "quiet_start": form.quiet_start(),
        "quiet_hours": selectors.quiet_hours_label(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    rights = _rights(request)
    if not rights.can_manage_any:
        raise Http404
    if request.method == "GET":
        form = CampaignForm(user=request.user, initial=request.GET.dict())
        if is_htmx(request):
            return render(request, "messaging/campaigns/_choices.html", _new_context(request, form))
        return render(request, "messaging/campaigns/new.html", _new_context(request, form))
    form = CampaignForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                by=request.user,
                name=data["name"],
                segment=data["segment"],
                template=data["template"],
                scheduled_at=data["scheduled_at"],
            )
        except PermissionDenied as error:
            raise Forbidden from error
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Draft saved. Check it, then submit it for approval."))
            return redirect("messaging:campaign", campaign_id=campaign.id)
    return render(request, "messaging/campaigns/new.html", _new_context(request, form), status=400)


def _is_live(campaign: Campaign, progress: dict) -> bool:
    if campaign.status in LIVE_STATUSES:
        return True
    return (
        campaign.status == Status.COMPLETED
        and campaign.channel == "sms"
        and progress["by_status"].get("sent", 0) > 0
        and campaign.finished_at is not None
        and timezone.now() - campaign.finished_at < RECEIPT_WAIT
    )


def _progress(campaign: Campaign) -> dict:
    """services.campaigns.campaign_progress shaped for the stacked bar: each part's count, width and share."""
    progress = selectors.campaign_progress(campaign=campaign)
    by_status = progress["by_status"]
    whole = max(progress["total"], progress["listed"])
    parts = []
    for status, colour, label in PROGRESS_BAR:
        count = by_status.get(status, 0)
        parts.append(
            {
                "key": status.value,
                "label": label,
                "title": status.label,
                "colour": colour,
                "count": count,
                "width": f"{_percent(count, whole):.3f}",
                "share": f"{_percent(count, whole):.1f}",
            }
        )
    in_flight = by_status.get("queued", 0) + by_status.get("sending", 0)
    remaining = max(whole - progress["finished"], 0)
    reasons = dict(OutboxMessage.Reason.choices)
    return {
        **progress,
        "whole": whole,
        "parts": parts,
        "queued": in_flight,
        "unlisted": max(remaining - in_flight, 0),
        "remaining": remaining,
        "remaining_width": f"{_percent(remaining, whole):.3f}",
        "remaining_share": f"{_percent(remaining, whole):.1f}",
        "suppressed_reasons": sorted(
            ((reasons.get(reason, _("Other")), n) for reason, n in progress["suppressed"].items()),
            key=lambda item: -item[1],
        ),
    }


def _latest(campaign: Campaign) -> list[OutboxMessage]:
    latest = selectors.campaign_messages_latest(campaign=campaign)
    for message in latest:
        message.masked = selectors.recipient_mask(message.recipient)
        message.chip = MESSAGE_CHIPS.get(message.status, "")
    return latest


@login_required
@require_GET
def campaign_detail(request, campaign_id: int):
    campaign = _names(_campaign(request, campaign_id))
    can_manage = permissions.can_manage(user=request.user, dealer_id=campaign.dealer_id)
    can_approve = permissions.can_approve(user=request.user, campaign=campaign)
    pending = campaign.status == Status.PENDING_APPROVAL
    zone = selectors.campaign_time_zone(campaign)
    progress = _progress(campaign)
    return render(
        request,
        "messaging/campaigns/detail.html",
        {
            "campaign": campaign,
            "chip": STATUS_CHIPS[campaign.status],
            "progress": progress,
            "is_live": _is_live(campaign, progress),
            "latest": _latest(campaign),
            "can_manage": can_manage,
            "can_approve": can_approve and pending,
            "approvers": selectors.campaign_approvers(campaign=campaign)
            if pending and not can_approve
            else [],
            "is_creator": campaign.created_by_id == request.user.id,
            "can_submit": can_manage and campaign.status == Status.DRAFT,
            "can_pause": can_manage and campaign.status in (Status.APPROVED, Status.SENDING),
            "can_resume": can_manage and campaign.status == Status.PAUSED,
            "can_cancel": can_manage and campaign.status not in (Status.COMPLETED, Status.CANCELLED),
            "send_back_form": SendBackForm(),
            "zone": zone.key,
            "zone_label": _zone_label(zone),
            "template_url": _template_url(campaign.template),
            "quiet_start": selectors.campaign_quiet_start(
                purpose=campaign.purpose, at=campaign.scheduled_at, zone=zone
            )
            if campaign.started_at is None
            else None,
            "quiet_hours": selectors.quiet_hours_label(),
        },
    )


@login_required
@require_GET
def campaign_progress(request, campaign_id: int):
    """The progress card alone, polled by the page every two seconds while the campaign is live. When the
    status moved on since the page was drawn (e.g. sending → completed), the whole page reloads so its
    buttons match."""
    campaign = _campaign(request, campaign_id)
    drawn = request.GET.get("status")
    if drawn and drawn != campaign.status and is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    progress = _progress(campaign)
    context = {
        "campaign": campaign,
        "progress": progress,
        "is_live": _is_live(campaign, progress),
        "latest": _latest(campaign),
        "zone": selectors.campaign_time_zone(campaign).key,
        "oob": True,
    }
    # The latest messages ride along (out of band), so the table moves with the bar.
    return HttpResponse(
        render_to_string("messaging/campaigns/_progress.html", context, request)
        + render_to_string("messaging/campaigns/_messages.html", context, request)
    )


@login_required
@require_POST
def campaign_act(request, campaign_id: int, action: str):
    campaign = _campaign(request, campaign_id)
    service, done = ACTIONS[action]
    arguments = {"campaign": campaign, "by": request.user}
    if action == "send_back":
        form = SendBackForm(request.POST)
        if not form.is_valid():
            if not permissions.can_approve(user=request.user, campaign=campaign):
                raise Forbidden
            messages.error(request, _("Say what should change before sending it back."))
            return redirect("messaging:campaign", campaign_id=campaign.id)
        arguments["note"] = form.cleaned_data["note"]
    try:
        service(**arguments)
    except PermissionDenied as error:
        raise Forbidden from error
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, str(done))
    return redirect("messaging:campaign", campaign_id=campaign.id)


@login_required
@require_GET
def campaign_replies(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    replies = selectors.campaign_replies(campaign=campaign)
    for reply in replies:
        reply.masked = selectors.recipient_mask(reply.sender)
    return render(
        request,
        "messaging/campaigns/replies.html",
        {"campaign": campaign, "replies": replies, "chip": STATUS_CHIPS[campaign.status]},
    )
