"""Segments: saved filters on the one customer record, built with a live count of who they select."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.messaging import permissions
from crm.messaging.forms.library import FILTER_PREFIX, SegmentForm, filter_descriptions
from crm.messaging.models import Segment
from crm.messaging.selectors import library as selectors
from crm.messaging.services import library as services
from crm.messaging.views.library import (
    call,
    default_dealer_id,
    get_or_404,
    owner_options,
    page_of,
    require_library,
)


@login_required
@require_GET
def segments(request):
    require_library(request)
    page = page_of(request, selectors.segments_for_user(user=request.user))
    described = filter_descriptions(page)
    rows = [{"segment": segment, "filters": described[segment.id]} for segment in page]
    return render(request, "messaging/library/segments.html", {"rows": rows, "page": page})


def _builder(request, form, *, segment: Segment | None):
    return render(
        request,
        "messaging/library/segment_edit.html",
        {"form": form, "segment": segment, "groups": form.groups()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def segment_new(request):
    require_library(request)
    form = SegmentForm(request.POST or None, **owner_options(request))
    if request.method == "POST" and form.is_valid():
        saved = call(
            form,
            services.segment_save,
            by=request.user,
            dealer_id=form.owner_id(default_dealer_id(request)),
            name=form.cleaned_data["name"],
            filters=form.filters(),
        )
        if saved is not None:
            messages.success(
                request,
                _("Segment “%(name)s” saved: %(count)s customers right now.")
                % {"name": saved.name, "count": saved.last_count},
            )
            return redirect("messaging:segments")
    return _builder(request, form, segment=None)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request, segment_id: int):
    require_library(request)
    segment = get_or_404(selectors.segment_get, user=request.user, segment_id=segment_id)
    if not permissions.can_manage(user=request.user, dealer_id=segment.dealer_id):
        raise Forbidden
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_from(segment), choose_owner=False)
    if request.method == "POST" and form.is_valid():
        saved = call(
            form,
            services.segment_save,
            by=request.user,
            segment=segment,
            name=form.cleaned_data["name"],
            filters=form.filters(),
            expected_updated_at=form.expected_updated_at(),
        )
        if saved is not None:
            messages.success(
                request,
                _("Segment “%(name)s” saved: %(count)s customers right now.")
                % {"name": saved.name, "count": saved.last_count},
            )
            return redirect("messaging:segments")
    return _builder(request, form, segment=segment)


@login_required
@require_http_methods(["GET", "POST"])
def segment_count(request):
    """How many customers the builder's filters select right now, and a few of their names (HTMX partial,
    re-requested as the filters change)."""
    require_library(request)
    data = request.POST if request.method == "POST" else request.GET
    segment_id = data.get("segment", "")
    if segment_id.isdigit():
        segment = get_or_404(selectors.segment_get, user=request.user, segment_id=int(segment_id))
        form = SegmentForm(data, choose_owner=False)
        dealer_id = segment.dealer_id
    else:
        form = SegmentForm(data, **owner_options(request))
        form.full_clean()
        if form.chooses_owner and "dealer" in form.errors:
            return render(request, "messaging/library/_segment_count.html", {"state": "no_owner"})
        dealer_id = form.owner_id(default_dealer_id(request))
    if not permissions.can_manage(user=request.user, dealer_id=dealer_id):
        raise Forbidden
    form.full_clean()
    if any(name.startswith(FILTER_PREFIX) for name in form.errors):
        return render(request, "messaging/library/_segment_count.html", {"state": "invalid"})
    preview = selectors.segment_preview(user=request.user, filters=form.filters(), dealer_id=dealer_id)
    return render(
        request,
        "messaging/library/_segment_count.html",
        {"state": "done", "preview": preview, "is_network": dealer_id is None},
    )
