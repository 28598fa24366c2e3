"""The message library: templates with their live preview. Segments and care messages have their own
modules (library_segments.py, library_care.py) and share the helpers here.

Who may open these pages: a dealer's sales managers and dealer admins, and OEM admins (anyone else gets
403). A row of another dealer is missing (404), exactly like a row that does not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.core.exceptions import ApplicationError, NotFound, PermissionDenied
from crm.messaging import permissions
from crm.messaging.forms.library import PreviewForm, TemplateForm
from crm.messaging.models import Channel, MessageTemplate
from crm.messaging.selectors import library as selectors
from crm.messaging.services import library as services

PAGE_SIZE = 50


# Shared by the library's pages --------------------------------------------------------------------------


def require_library(request) -> None:
    if not permissions.rights_for(request.user).can_manage_any:
        raise Forbidden


def owner_options(request) -> dict:
    """What the owner picker offers: the dealers the user manages, and the OEM/network for OEM admins."""
    return {
        "dealers": selectors.library_dealers(user=request.user),
        "allow_network": selectors.library_is_oem(user=request.user),
    }


def default_dealer_id(request) -> int | None:
    """The owner of a new row when the form offers no choice: the one dealer the user manages."""
    ids = selectors.library_dealer_ids(user=request.user)
    return ids[0] if len(ids) == 1 and not selectors.library_is_oem(user=request.user) else None


def get_or_404(selector, **kwargs):
    try:
        return selector(**kwargs)
    except NotFound as error:
        raise Http404 from error


def call(form, service, **kwargs):
    """Run one service; its typed error lands in the form (None is returned). Not allowed → 403."""
    try:
        return service(**kwargs)
    except NotFound as error:
        raise Http404 from error
    except PermissionDenied as error:
        raise Forbidden from error
    except ApplicationError as error:
        form.add_application_error(error)
        return None


def page_of(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Templates --------------------------------------------------------------------------------------------


@login_required
@require_GET
def templates(request):
    require_library(request)
    channel = request.GET.get("channel", "")
    channel = channel if channel in Channel.values else ""
    text = request.GET.get("q", "")[:100]
    page = page_of(request, selectors.templates_for_user(user=request.user, channel=channel, text=text))
    rows = [
        {
            "template": template,
            "can_edit": permissions.can_manage(user=request.user, dealer_id=template.dealer_id),
        }
        for template in page
    ]
    return render(
        request,
        "messaging/library/templates.html",
        {
            "rows": rows,
            "page": page,
            "channel": channel,
            "channels": Channel.choices,
            "text": text,
            "query": urlencode({key: value for key, value in (("channel", channel), ("q", text)) if value}),
            "is_oem": selectors.library_is_oem(user=request.user),
        },
    )


def _editor(request, form, *, template: MessageTemplate | None, can_edit: bool):
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "messaging/library/template_edit.html",
        {
            "form": form,
            "template": template,
            "can_edit": can_edit,
            "vocabulary": selectors.placeholder_vocabulary(),
            "languages": [
                {"code": "en", "name": "English", "subject": form["subject_en"], "body": form["body_en"]},
                {"code": "zh", "name": "简体中文", "subject": form["subject_zh"], "body": form["body_zh"]},
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    require_library(request)
    initial = {}
    copy_of = request.GET.get("copy", "")
    if copy_of.isdigit():
        source = get_or_404(selectors.template_get, user=request.user, template_id=int(copy_of))
        initial = TemplateForm.initial_from(source, copy=True)
    form = TemplateForm(request.POST or None, initial=initial, **owner_options(request))
    if request.method == "POST" and form.is_valid():
        dealer_id = form.owner_id(default_dealer_id(request))
        created = call(
            form, services.template_create, by=request.user, dealer_id=dealer_id, **form.template_fields()
        )
        if created is not None:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": created.name})
            return redirect("messaging:templates")
    return _editor(request, form, template=None, can_edit=True)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    require_library(request)
    template = get_or_404(selectors.template_get, user=request.user, template_id=template_id)
    can_edit = permissions.can_manage(user=request.user, dealer_id=template.dealer_id)
    if request.method == "POST" and not can_edit:
        raise Forbidden
    form = TemplateForm(request.POST or None, initial=TemplateForm.initial_from(template), choose_owner=False)
    if request.method == "POST" and form.is_valid():
        updated = call(
            form,
            services.template_update,
            template=template,
            by=request.user,
            expected_updated_at=form.expected_updated_at(),
            **form.template_fields(),
        )
        if updated is not None:
            messages.success(request, _("Template “%(name)s” saved.") % {"name": updated.name})
            return redirect("messaging:templates")
    return _editor(request, form, template=template, can_edit=can_edit)


@login_required
@require_GET
def template_preview_customers(request):
    """As the user types a phone, plate or name: customers to preview the template with (HTMX partial)."""
    require_library(request)
    text = request.GET.get("q", "")[:100]
    customers = selectors.preview_customers(user=request.user, text=text)
    return render(
        request,
        "messaging/library/_preview_customers.html",
        {"customers": customers, "text": text},
    )


def _preview_dealer_id(request, saved: MessageTemplate | None, wanted: int | None) -> int | None:
    """Whose details fill {{ dealer.* }}: the template's dealer, else the dealer picked in the editor (if
    the user manages it), else the user's own dealer; None lets the customer's first dealer speak."""
    if saved is not None and saved.dealer_id:
        return saved.dealer_id
    if wanted and permissions.can_manage(user=request.user, dealer_id=wanted):
        return wanted
    ids = selectors.library_dealer_ids(user=request.user)
    return ids[0] if ids else None


@login_required
@require_http_methods(["GET", "POST"])
def template_preview(request):
    """The template rendered for one real customer in both languages (HTMX partial). POST previews the
    editor's unsaved text; GET previews a saved template (?template=<id>&customer=<id>)."""
    require_library(request)
    form = PreviewForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        return render(request, "messaging/library/_preview.html", {"state": "pick"})
    data = form.cleaned_data
    saved = None
    if data.get("template"):
        saved = get_or_404(selectors.template_get, user=request.user, template_id=data["template"])
    try:
        customer = selectors.preview_customer_get(user=request.user, customer_id=data["customer"])
    except NotFound:
        return render(request, "messaging/library/_preview.html", {"state": "no_customer"})
    dealer_id = _preview_dealer_id(request, saved, data.get("dealer"))
    if request.method == "GET" and saved is not None:
        template = saved
    else:
        template = form.unsaved_template(dealer_id=saved.dealer_id if saved else dealer_id)
    previews = selectors.template_preview(template=template, customer=customer, dealer_id=dealer_id)
    return render(
        request,
        "messaging/library/_preview.html",
        {
            "state": "done",
            "customer": customer,
            "previews": previews,
            "channel": template.channel,
            "customer_language": "zh" if (customer.preferred_language or "").startswith("zh") else "en",
        },
    )
