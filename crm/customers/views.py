"""Browser pages of the customer record: search, the 360 card, create and edit, contact points, consents,
vehicles, notes, field history, and the review of possible duplicates."""

from copy import copy

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, ConcurrentEdit, NotFound
from crm.core.http import is_htmx
from crm.core.names import customer_name
from crm.customers import panels, selectors, services
from crm.customers.forms import (
    ConsentForm,
    ContactPointForm,
    CustomerCreateForm,
    CustomerEditForm,
    NoteForm,
    VehicleForm,
)
from crm.customers.models import Channel, Consent, DuplicateCandidate
from crm.network.models import Dealer, Role

TIMELINE_PAGE = 20
DUPLICATES_PAGE = 50


def _require_editor(request) -> None:
    # Read-only roles never see a write button; a hand-made POST from them finds nothing either.
    if not request.access.can_edit_customers:
        raise Http404


def _card(request, customer_id: int):
    try:
        return selectors.customer_card(user=request.user, customer_id=customer_id)
    except NotFound as error:
        raise Http404 from error


def _acting_dealer(request, customer) -> Dealer | None:
    """The user's own dealer that knows the customer (the dealer a consent or vehicle is recorded at)."""
    mine = request.access.dealer_ids
    for link in customer.dealer_links.all():
        if link.dealer_id in mine:
            return link.dealer
    return None


@login_required
@require_GET
def customer_search(request):
    text = request.GET.get("q", "").strip()
    query, customers = selectors.customer_search(user=request.user, text=text)
    context = {"q": text, "query": query, "customers": customers, "limit": selectors.SEARCH_LIMIT}
    if is_htmx(request) and request.headers.get("HX-Target") == "search-results":
        return render(request, "customers/_results.html", context)
    return render(request, "customers/search.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request):
    _require_editor(request)
    dealers = list(Dealer.objects.filter(id__in=request.access.dealer_ids, is_active=True).order_by("code"))
    form = CustomerCreateForm(request.POST or None, dealers=dealers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resolution = services.customer_resolve(
                by=request.user,
                dealer=form.chosen_dealer(),
                name=data["name"],
                phones=[p for p in (data["phone"], data["other_phone"]) if p],
                emails=[data["email"]] if data["email"] else [],
                kind=data["kind"],
                preferred_language=data["preferred_language"],
                preferred_channel=data["preferred_channel"],
                birthday=data["birthday"],
                city=data["city"],
            )
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            customer = resolution.customer
            if not resolution.created:
                messages.info(request, _("This person is already a customer: record attached."))
            else:
                messages.success(request, _("Customer %(name)s created.") % {"name": customer_name(customer)})
                if resolution.possible_duplicates:
                    messages.warning(
                        request,
                        _(
                            "This customer may be the same person as an existing one; the pair is queued for review."
                        ),
                        extra_tags="duplicates",
                    )
            return redirect("customers:detail", customer_id=customer.id)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "title": _("New customer"),
            "subtitle": _("We check phone and email against the whole network before creating a record."),
            "submit_label": _("Create customer"),
            "cancel_url": reverse("customers:search"),
            "icon": "person-plus",
        },
    )


@login_required
@require_GET
def customer_detail(request, customer_id: int):
    try:
        customer = selectors.customer_card(user=request.user, customer_id=customer_id)
    except NotFound as error:
        survivor = selectors.customer_merged_into(user=request.user, customer_id=customer_id)
        if survivor is None:
            raise Http404 from error
        messages.info(request, _("That record was merged into this one."))
        return redirect("customers:detail", customer_id=survivor.id)
    return render(request, "customers/detail.html", _detail_context(request, customer))


def _detail_context(request, customer, note_form=None) -> dict:
    contact_points = list(customer.contact_points.all())
    vehicles = list(customer.vehicles.all())
    consents = {(c.channel, c.purpose): c for c in customer.consents.all()}
    # Each cell carries its purpose's label: on a narrow card the table stacks and every cell names itself.
    consent_rows = [
        (
            label,
            [
                (purpose_label, consents.get((channel, purpose)))
                for purpose, purpose_label in Consent.Purpose.choices
            ],
        )
        for channel, label in Channel.choices
    ]
    return {
        "customer": customer,
        "phones": [p for p in contact_points if p.kind == "phone"],
        "other_contacts": [p for p in contact_points if p.kind != "phone"],
        "vehicles": vehicles,
        "consent_purposes": [label for _value, label in Consent.Purpose.choices],
        "consent_rows": consent_rows,
        "dealer_links": list(customer.dealer_links.all()),
        "can_edit": request.access.can_edit_customers,
        # An owner who brings a friend: salespeople record the friend's lead (a page of the leads app).
        "can_refer": bool(request.access.dealers_where(Role.SALESPERSON, Role.SALES_MANAGER)),
        "note_form": note_form or NoteForm(),
        "side_panels": panels.panels_for(request, customer, column="side"),
        "main_panels": panels.panels_for(request, customer, column="main"),
        **_timeline_context(request, customer),
    }


def _timeline_context(request, customer, before_id: int | None = None) -> dict:
    events = selectors.customer_timeline(
        user=request.user, customer=customer, before_id=before_id, limit=TIMELINE_PAGE + 1
    )
    return {
        "customer": customer,
        "events": events[:TIMELINE_PAGE],
        "next_before_id": events[TIMELINE_PAGE - 1].id if len(events) > TIMELINE_PAGE else None,
    }


@login_required
@require_GET
def customer_timeline(request, customer_id: int):
    """One more page of the timeline (HTMX "load more")."""
    customer = _card(request, customer_id)
    try:
        before_id = int(request.GET.get("before_id", ""))
    except ValueError:
        before_id = None
    context = {**_timeline_context(request, customer, before_id), "is_more": True}
    return render(request, "customers/_timeline_items.html", context)


@login_required
@require_POST
def note_add(request, customer_id: int):
    _require_editor(request)
    customer = _card(request, customer_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_note_add(customer=customer, by=request.user, text=form.cleaned_data["text"])
        except ApplicationError as error:
            form.add_error(None, str(error.message))
        else:
            form = NoteForm()
    if is_htmx(request):
        return render(
            request,
            "customers/_timeline.html",
            {**_timeline_context(request, customer), "note_form": form, "can_edit": True},
        )
    if form.errors:
        return render(request, "customers/detail.html", _detail_context(request, customer, note_form=form))
    messages.success(request, _("Note added."))
    return redirect("customers:detail", customer_id=customer.id)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, customer_id: int):
    _require_editor(request)
    customer = _card(request, customer_id)
    # A model form writes what was typed onto its instance: give it a copy, keep the record as loaded.
    form = CustomerEditForm(
        request.POST or None, instance=copy(customer), initial={"version": customer.version}
    )
    current = None
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(
                customer=customer,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
            )
        except ConcurrentEdit as error:
            form.add_application_error(error)
            customer = _card(request, customer_id)
            current = _changed_meanwhile(form, customer)
            # Keep what the user typed; the next save applies it over the version now in the database.
            data = request.POST.copy()
            data["version"] = str(customer.version)
            form.data = data
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("customers:detail", customer_id=customer.id)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "customer": customer,
            "title": _("Edit %(name)s") % {"name": customer_name(customer)},
            "submit_label": _("Save changes"),
            "cancel_url": reverse("customers:detail", args=[customer.id]),
            "icon": "pencil-square",
            "current_values": current,
        },
    )


def _changed_meanwhile(form, customer) -> list[tuple[str, str, str]]:
    """The fields where the record now differs from what the user typed: (label, theirs, yours)."""
    rows = []
    for name in form.Meta.fields:
        field = customer._meta.get_field(name)
        now = getattr(customer, f"get_{name}_display")() if field.choices else getattr(customer, name)
        typed = form.cleaned_data.get(name)
        if getattr(customer, name) != typed:
            rows.append((str(field.verbose_name), now if now not in (None, "") else "—", typed or "—"))
    return rows


def _customer_subform(request, customer_id, form_class, *, title, icon, submit_label, save):
    _require_editor(request)
    customer = _card(request, customer_id)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = save(customer, form.cleaned_data)
        except ApplicationError as error:
            form.add_application_error(error)
        else:
            messages.success(request, message)
            return redirect("customers:detail", customer_id=customer.id)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "customer": customer,
            "title": title,
            "submit_label": submit_label,
            "cancel_url": reverse("customers:detail", args=[customer.id]),
            "icon": icon,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_point_add(request, customer_id: int):
    def save(customer, data):
        services.contact_point_add(customer=customer, by=request.user, **data)
        return _("Contact point added.")

    return _customer_subform(
        request,
        customer_id,
        ContactPointForm,
        title=_("Add a phone, email or WeChat ID"),
        icon="telephone-plus",
        submit_label=_("Add"),
        save=save,
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_add(request, customer_id: int):
    def save(customer, data):
        services.consent_record(
            customer=customer, by=request.user, dealer=_acting_dealer(request, customer), **data
        )
        return _("Consent recorded.")

    return _customer_subform(
        request,
        customer_id,
        ConsentForm,
        title=_("Record consent"),
        icon="shield-check",
        submit_label=_("Record"),
        save=save,
    )


@login_required
@require_http_methods(["GET", "POST"])
def vehicle_add(request, customer_id: int):
    def save(customer, data):
        dealer = _acting_dealer(request, customer)
        sold_here = data.pop("sold_here")
        services.vehicle_register(
            by=request.user,
            owner=customer,
            dealer=dealer,
            selling_dealer=dealer if sold_here else None,
            **data,
        )
        return _("Vehicle added.")

    return _customer_subform(
        request,
        customer_id,
        VehicleForm,
        title=_("Add a vehicle"),
        icon="car-front",
        submit_label=_("Add vehicle"),
        save=save,
    )


@login_required
@require_GET
def customer_history(request, customer_id: int):
    customer = _card(request, customer_id)
    entries = selectors.customer_history(user=request.user, customer=customer)
    user_ids = {entry.user_id for entry in entries if entry.user_id}
    users = get_user_model().objects.in_bulk(user_ids) if user_ids else {}
    rows = [(entry, users.get(entry.user_id)) for entry in entries]
    return render(request, "customers/history.html", {"customer": customer, "rows": rows})


def _require_merger(request) -> None:
    if not request.access.can_merge_customers:
        raise Http404


def _candidate(request, candidate_id: int) -> DuplicateCandidate:
    candidate = selectors.duplicates_for_user(user=request.user).filter(id=candidate_id).first()
    if candidate is None:
        raise Http404
    return candidate


@login_required
@require_GET
def duplicates(request):
    _require_merger(request)
    candidates = list(selectors.duplicates_for_user(user=request.user)[:DUPLICATES_PAGE])
    return render(request, "customers/duplicates.html", {"candidates": candidates, "limit": DUPLICATES_PAGE})


@login_required
@require_http_methods(["GET", "POST"])
def merge(request, candidate_id: int):
    """GET: what will move, for the survivor chosen; POST: merge."""
    _require_merger(request)
    candidate = _candidate(request, candidate_id)
    pair = {candidate.customer_id: candidate.customer, candidate.other_id: candidate.other}
    try:
        survivor_id = int(
            request.POST.get("survivor") or request.GET.get("survivor") or candidate.customer_id
        )
    except ValueError as error:
        raise Http404 from error
    if survivor_id not in pair:
        raise Http404
    merged_id = next(i for i in pair if i != survivor_id)
    if request.method == "POST":
        try:
            services.customers_merge(survivor=pair[survivor_id], merged=pair[merged_id], by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("customers:duplicates")
        messages.success(
            request,
            _("%(merged)s was merged into %(survivor)s.")
            % {"merged": customer_name(pair[merged_id]), "survivor": customer_name(pair[survivor_id])},
        )
        return redirect("customers:detail", customer_id=survivor_id)
    return render(
        request,
        "customers/merge_confirm.html",
        {
            "candidate": candidate,
            "survivor": _card(request, survivor_id),
            "merged": _card(request, merged_id),
        },
    )


@login_required
@require_POST
def duplicate_dismiss(request, candidate_id: int):
    _require_merger(request)
    candidate = _candidate(request, candidate_id)
    services.duplicate_dismiss(candidate=candidate, by=request.user)
    messages.success(
        request,
        _("Noted: %(first)s and %(second)s are not the same person.")
        % {"first": customer_name(candidate.customer), "second": customer_name(candidate.other)},
    )
    return redirect("customers:duplicates")
