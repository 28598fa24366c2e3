"""The phone channels' pages: the OEM call centre's phone-in (issue a caller's lead to a dealer), a call
taken at the dealer, and a friend an owner refers. Views only check who may open them, validate a form,
call one selector and/or one service, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.core.exceptions import NotFound
from crm.core.http import service_call
from crm.core.names import customer_name, staff_name
from crm.customers.normalize import digits
from crm.customers.selectors import customer_get
from leads import permissions
from leads import selectors as lead_selectors
from leads.call_centre import selectors, services
from leads.call_centre.forms import DealerPhoneInForm, PhoneInForm, ReferralForm
from leads.forms import GRADE_MEANINGS
from leads.views.common import sales_dealer

MIN_LOOKUP_DIGITS = 7


def _agent(request) -> None:
    if not permissions.can_take_phone_ins(request.access):
        raise Http404


def _due_text(lead) -> str:
    if lead.sla_due_at is None:
        return ""
    return date_format(timezone.localtime(lead.sla_due_at), "SHORT_DATETIME_FORMAT")


def _issued_message(capture) -> tuple[int, str]:
    lead = capture.lead
    values = {"customer": customer_name(lead.customer), "dealer": lead.dealer.name, "due": _due_text(lead)}
    if not capture.created:
        return messages.WARNING, _(
            "%(customer)s already has an open lead at %(dealer)s: the call was added to that lead."
        ) % values
    if values["due"]:
        return messages.SUCCESS, _(
            "Lead for %(customer)s issued to %(dealer)s, first response due by %(due)s. It waits for the "
            "dealer's acceptance."
        ) % values
    return messages.SUCCESS, _(
        "Lead for %(customer)s issued to %(dealer)s. It waits for the dealer's acceptance."
    ) % values


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def phone_in(request):
    """A caller on the OEM's 800 line: their lead goes to a dealer, with the clock running."""
    _agent(request)
    sources = selectors.call_centre_sources()
    form = PhoneInForm(
        request.POST or None,
        sources=sources,
        brands=selectors.oem_brands(),
        cities=selectors.dealer_cities(),
    )
    must_choose_dealer = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        capture, error = service_call(
            services.phone_in_record,
            by=request.user,
            source=data["source"],
            phone=data["phone"],
            name=data["name"],
            city=data["city"],
            brand_code=data["brand"].code,
            preferred_dealer=data["preferred_dealer"],
            models_of_interest=data["models"],
            note=data["note"],
            consents=form.consents(),
        )
        if error:
            form.add_application_error(error)
            must_choose_dealer = data["preferred_dealer"] is None
        else:
            level, text = _issued_message(capture)
            messages.add_message(request, level, text)
            return redirect(f"{reverse('leads_call_centre:phone_in')}?issued={capture.lead.id}")
    city = form["city"].value() or ""
    brand_id = _int(form["brand"].value())
    return render(
        request,
        "leads/call_centre/phone_in.html",
        {
            "form": form,
            "sources": list(sources),
            "cities": form.cities,
            "dealers": selectors.dealers_for_phone_in(
                user=request.user, city=city, brand_id=brand_id, search=request.POST.get("dealer_search", "")
            ),
            "chosen_dealer": str(form["preferred_dealer"].value() or ""),
            "must_choose_dealer": must_choose_dealer,
            "issued": selectors.issued_today(user=request.user),
            "issued_id": request.GET.get("issued", ""),
        },
    )


@login_required
@require_GET
def phone_in_lookup(request):
    """As the phone is typed: "known customer: name", nothing more (HTMX partial)."""
    _agent(request)
    phone = request.GET.get("phone", "")
    searched = len(digits(phone)) >= MIN_LOOKUP_DIGITS
    caller = selectors.known_caller(user=request.user, phone=phone) if searched else None
    return render(request, "leads/call_centre/_known_caller.html", {"caller": caller, "searched": searched})


@login_required
@require_GET
def phone_in_dealers(request):
    """The preferred-dealer options for the city typed so far and the brand (HTMX partial)."""
    _agent(request)
    city = request.GET.get("city", "")[:100]
    search = request.GET.get("dealer_search", "")[:100]
    dealers = selectors.dealers_for_phone_in(
        user=request.user, city=city, brand_id=_int(request.GET.get("brand")), search=search
    )
    return render(
        request,
        "leads/call_centre/_dealer_options.html",
        {
            "dealers": dealers,
            "chosen_dealer": request.GET.get("preferred_dealer", ""),
            "asked": bool(city.strip() or search.strip()),
        },
    )


# At the dealer ----------------------------------------------------------------------------------------


def _page_context(request, dealer, form) -> dict:
    return {
        "form": form,
        "dealer": dealer,
        "models": lead_selectors.dealer_models(dealer_id=dealer.id),
        "chosen_models": (form["models"].value() or []) if form.is_bound else [],
    }


@login_required
@require_http_methods(["GET", "POST"])
def dealer_phone_in(request):
    """A salesperson takes a call: a phone lead of their own, with the call as its verified first contact."""
    dealer = sales_dealer(request)
    form = DealerPhoneInForm(request.POST or None)
    owned = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        capture, error = service_call(
            services.dealer_phone_in_record,
            by=request.user,
            dealer=dealer,
            phone=data["phone"],
            name=data["name"],
            models_of_interest=data["models"],
            note=data["note"],
            grade=data["grade"],
        )
        if error:
            form.add_application_error(error)
        elif capture.owned_by_other is not None:
            owned = capture
        else:
            if capture.created:
                text = _(
                    "Phone lead for %(customer)s opened, owned by you; the call counts as its first contact."
                )
            else:
                text = _("The call was added to %(customer)s's open lead.")
            messages.success(request, text % {"customer": customer_name(capture.lead.customer)})
            return redirect("leads:detail", lead_id=capture.lead.id)
    context = _page_context(request, dealer, form)
    context.update(
        owned=owned,
        owner=staff_name(owned.owned_by_other) if owned else "",
        grades=GRADE_MEANINGS,
    )
    return render(request, "leads/call_centre/dealer_phone_in.html", context)


@login_required
@require_GET
def dealer_phone_in_lookup(request):
    """As the phone is typed: does the dealer know this caller, and whose is their open lead? (HTMX)"""
    dealer = sales_dealer(request)
    phone = request.GET.get("phone", "")
    searched = len(digits(phone)) >= MIN_LOOKUP_DIGITS
    found = (
        lead_selectors.returning_customer(user=request.user, dealer_id=dealer.id, phone=phone) if searched else None
    )
    return render(request, "leads/call_centre/_dealer_caller.html", {"found": found, "searched": searched})


@login_required
@require_http_methods(["GET", "POST"])
def referral(request, customer_id: int):
    """An owner brings a friend: the friend's referral lead, naming the owner who referred them."""
    dealer = sales_dealer(request)
    try:
        referrer = customer_get(user=request.user, customer_id=customer_id)
    except NotFound as error:
        raise Http404 from error
    form = ReferralForm(request.POST or None)
    owned = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        capture, error = service_call(
            services.referral_record,
            by=request.user,
            dealer=dealer,
            referrer=referrer,
            name=data["name"],
            phone=data["phone"],
            models_of_interest=data["models"],
            note=data["note"],
        )
        if error:
            form.add_application_error(error)
        elif capture.owned_by_other is not None:
            owned = capture
        else:
            values = {"friend": customer_name(capture.lead.customer), "referrer": customer_name(referrer)}
            if capture.created:
                text = _("Referral lead for %(friend)s opened, owned by you, referred by %(referrer)s.")
            else:
                text = _(
                    "%(friend)s already had an open lead here: the referral by %(referrer)s was noted on it."
                )
            messages.success(request, text % values)
            return redirect("leads:detail", lead_id=capture.lead.id)
    context = _page_context(request, dealer, form)
    context.update(
        referrer=referrer,
        owned=owned,
        owner=staff_name(owned.owned_by_other) if owned else "",
    )
    return render(request, "leads/call_centre/referral.html", context)
