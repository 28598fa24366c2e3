"""Care messages: a template sent on each customer's occasion (birthday, purchase anniversary, and the
occasions other apps register), at a set hour of the dealer's day."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.messaging import permissions
from crm.messaging.forms.library import CareProgramForm
from crm.messaging.registry import care_triggers
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
def care(request):
    require_library(request)
    page = page_of(request, selectors.care_programs_for_user(user=request.user))
    occasions = {trigger.key: trigger.label for trigger in care_triggers()}
    rows = [
        {"program": program, "occasion": occasions.get(program.trigger, program.trigger)} for program in page
    ]
    return render(request, "messaging/library/care.html", {"rows": rows, "page": page})


def _page(request, form, *, program):
    return render(request, "messaging/library/care_edit.html", {"form": form, "program": program})


@login_required
@require_http_methods(["GET", "POST"])
def care_new(request):
    require_library(request)
    options = owner_options(request)
    dealer_id = default_dealer_id(request)
    templates = (
        selectors.templates_for_owner(user=request.user, dealer_id=dealer_id)
        if dealer_id
        else selectors.templates_for_user(user=request.user).filter(is_active=True)
    )
    form = CareProgramForm(request.POST or None, templates=templates, **options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call(
            form,
            services.care_program_save,
            by=request.user,
            dealer_id=form.owner_id(dealer_id),
            trigger=data["trigger"],
            template=data["template"],
            send_hour=data["send_hour"],
            is_active=data["is_active"],
        )
        if saved is not None:
            messages.success(request, _("Care message saved."))
            return redirect("messaging:care")
    return _page(request, form, program=None)


@login_required
@require_http_methods(["GET", "POST"])
def care_edit(request, program_id: int):
    require_library(request)
    program = get_or_404(selectors.care_program_get, user=request.user, program_id=program_id)
    if not permissions.can_manage(user=request.user, dealer_id=program.dealer_id):
        raise Forbidden
    form = CareProgramForm(
        request.POST or None,
        initial=CareProgramForm.initial_from(program),
        templates=selectors.templates_for_owner(user=request.user, dealer_id=program.dealer_id),
        choose_owner=False,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = call(
            form,
            services.care_program_save,
            by=request.user,
            program=program,
            trigger=data["trigger"],
            template=data["template"],
            send_hour=data["send_hour"],
            is_active=data["is_active"],
        )
        if saved is not None:
            messages.success(request, _("Care message saved."))
            return redirect("messaging:care")
    return _page(request, form, program=program)
