"""The network's pages: sign-in, the start page for each role, the OEM's dealer overview, dealer staff, and
the language switch."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm.core.exceptions import ApplicationError, NotFound
from crm.core.http import redirect_back
from crm.core.names import staff_name
from crm.core.navigation import landing_url
from crm.network import selectors, services
from crm.network.forms import ActingDealerForm, LanguageForm, StaffAddForm, StaffPhoneForm
from crm.network.two_factor import services as two_factor_services


@require_GET
def home(request):
    """Send each role to the page its work starts from (the landings the apps registered)."""
    if not request.user.is_authenticated:
        return redirect("login")
    target = landing_url(request.access)
    if target is None:
        return render(request, "network/no_role.html")
    return redirect(target)


@login_required
@require_POST
def acting_dealer_set(request):
    """The header's dealer switcher, for staff of several dealers: remembered for the session."""
    form = ActingDealerForm(request.POST, dealers=selectors.dealers_worked_at(user=request.user))
    if form.is_valid():
        request.session[selectors.ACTING_DEALER_SESSION_KEY] = form.cleaned_data["dealer"].id
    return redirect_back(request, reverse("home"))


@login_required
@require_GET
def network_overview(request):
    if not request.access.can_see_network:
        raise Http404
    dealers = list(selectors.dealers_overview(user=request.user))
    totals = {
        "dealers": len(dealers),
        "staff": sum(d.staff_count for d in dealers),
        "customers": sum(d.customer_count for d in dealers),
        "regions": len({d.region_id for d in dealers}),
    }
    return render(request, "network/overview.html", {"dealers": dealers, "totals": totals})


@login_required
@require_http_methods(["GET", "POST"])
def dealer_staff(request, dealer_id: int):
    try:
        dealer, can_manage = selectors.dealer_for_staff_page(user=request.user, dealer_id=dealer_id)
    except NotFound as error:
        raise Http404 from error
    form = StaffAddForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                assignment = services.staff_add(by=request.user, dealer=dealer, **form.cleaned_data)
            except ApplicationError as error:
                form.add_application_error(error)
            else:
                messages.success(
                    request,
                    _("%(name)s was added as %(role)s.")
                    % {
                        "name": staff_name(assignment.user),
                        "role": assignment.get_role_display(),
                    },
                )
                return redirect("dealer_staff", dealer_id=dealer.id)
    staff = list(selectors.dealer_staff(dealer=dealer))
    return render(
        request,
        "network/dealer_staff.html",
        {
            "dealer": dealer,
            "staff": staff,
            "active_count": sum(1 for a in staff if a.is_active),
            "can_manage": can_manage,
            "form": form,
        },
    )


@login_required
@require_POST
def staff_deactivate(request, dealer_id: int, assignment_id: int):
    try:
        dealer, can_manage = selectors.dealer_for_staff_page(user=request.user, dealer_id=dealer_id)
        if not can_manage:
            raise NotFound()
        assignment = selectors.staff_assignment_get(
            user=request.user, dealer=dealer, assignment_id=assignment_id
        )
        services.staff_deactivate(by=request.user, assignment=assignment)
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s is no longer %(role)s here.")
            % {
                "name": staff_name(assignment.user),
                "role": assignment.get_role_display(),
            },
        )
    return redirect("dealer_staff", dealer_id=dealer_id)


@require_POST
def language_set(request):
    """Switch the product's language: saved on the user's profile (so every device follows) and in the
    language cookie (so the sign-in page follows too)."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return redirect("home")
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.staff_language_set(user=request.user, language=language)
    target = form.cleaned_data["next"] or request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


@login_required
@require_POST
def staff_phone_set(request):
    """A staff member sets their own mobile phone (click-to-call rings it first), then goes back."""
    form = StaffPhoneForm(request.POST)
    if form.is_valid():
        try:
            services.staff_phone_set(user=request.user, phone=form.cleaned_data["phone"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your phone is saved."))
    return redirect_back(request, reverse("home"))


@login_required
@require_POST
def staff_two_factor_reset(request, dealer_id: int, assignment_id: int):
    """A dealer admin (or an OEM admin) switches off a staff member's second factor: a lost phone."""
    try:
        dealer, can_manage = selectors.dealer_for_staff_page(user=request.user, dealer_id=dealer_id)
        if not can_manage:
            raise NotFound()
        assignment = selectors.staff_assignment_get(user=request.user, dealer=dealer, assignment_id=assignment_id)
        two_factor_services.two_factor_reset(by=request.user, user=assignment.user)
    except NotFound as error:
        raise Http404 from error
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Two-factor sign-in of %(name)s is reset: they set it up again at their next sign-in.")
            % {"name": staff_name(assignment.user)},
        )
    return redirect("dealer_staff", dealer_id=dealer_id)
