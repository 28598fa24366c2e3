"""Signing in, in two steps, and a user's own two-factor page.

After a right password the sign-in page does NOT sign the user in when a second factor applies: it keeps
"who, and where to go next" in the session (`PENDING`) and sends them to the code page, or, when their role
requires a second factor and they have none, to the enrolment page. Only a right code (or a finished
enrolment) calls Django's `login()`. So an unfinished sign-in is no sign-in at all: every page, the API
and the admin see an anonymous visitor. Django's test client `force_login()` calls `login()` directly and
is therefore a finished sign-in, as the tests need.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.http import service_call
from crm.network.two_factor import selectors, services
from crm.network.two_factor.forms import CodeForm, EnrolForm

PENDING = "two_factor_pending"
ENROL_SECRET = "two_factor_enrol_secret"  # noqa: S105 (a session key's name)


class SignInView(LoginView):
    """The password step. Axes counts wrong passwords through `authenticate()`, as before."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        step = selectors.sign_in_step(user=user)
        if step is None:
            return super().form_valid(form)
        self.request.session.pop(ENROL_SECRET, None)
        self.request.session[PENDING] = {
            "user_id": user.pk,
            "backend": user.backend,
            "step": step,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("two_factor_verify" if step == selectors.VERIFY else "two_factor_enrol")


def _pending_user(request, step: str):
    """The user who typed a right password moments ago and has `step` left to do, or None."""
    pending = request.session.get(PENDING)
    if not pending or pending.get("step") != step:
        return None
    if time.time() - pending["at"] > settings.TWO_FACTOR_PENDING_MINUTES * 60:
        del request.session[PENDING]
        return None
    return get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()


def _finish_sign_in(request, user) -> str:
    """Sign `user` in (Django cycles the session key) and return where the sign-in was going."""
    pending = request.session.pop(PENDING)
    request.session.pop(ENROL_SECRET, None)
    auth_login(request, user, backend=pending["backend"])
    return pending["next"]


def _sign_in_again(request):
    messages.info(request, _("Please sign in again."))
    return redirect("login")


@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step: a code from the authenticator app, or a recovery code."""
    user = _pending_user(request, selectors.VERIFY)
    if user is None:
        return redirect("home") if request.user.is_authenticated else _sign_in_again(request)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        verified, error = service_call(services.two_factor_verify, form=form, user=user, code=form.cleaned_data["code"])
        if verified is not None:
            target = _finish_sign_in(request, user)
            if verified.by_recovery_code:
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(count)s left. Make new ones on your two-factor page.")
                    % {"count": verified.recovery_codes_left},
                )
            return redirect(target)
        status = error.status
    return render(request, "registration/two_factor_verify.html", {"form": form, "pending_user": user}, status=status)


@require_http_methods(["GET", "POST"])
def enrol(request):
    """A user's two-factor page: enrolment (a QR code and the secret, confirmed by a code) while off, the
    status and its actions while on. Also the stop a sign-in makes when the role requires a second factor
    and the user has none: then nothing else is reachable until it is done."""
    pending_user = None if request.user.is_authenticated else _pending_user(request, selectors.ENROL)
    user = request.user if request.user.is_authenticated else pending_user
    if user is None:
        return _sign_in_again(request)
    status = selectors.two_factor_status(user=user)
    if status.is_on:
        return render(request, "network/two_factor.html", {"status": status, "form": CodeForm()})
    secret = request.session.get(ENROL_SECRET) or services.secret_new()
    request.session[ENROL_SECRET] = secret
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes, _error = service_call(services.two_factor_enable, form=form, user=user, secret=secret, code=form.cleaned_data["code"])
        if codes is not None:
            target = _finish_sign_in(request, user) if pending_user else reverse("two_factor_enrol")
            request.session.pop(ENROL_SECRET, None)
            return _recovery_codes_page(request, codes, target=target, first_time=True)
    uri = selectors.provisioning_uri(user=user, secret=secret)
    context = {
        "status": status,
        "form": form,
        "secret": secret,
        "qr_code": selectors.qr_code_svg(text=uri),
        "is_signing_in": pending_user is not None,
    }
    response = render(request, "network/two_factor_enrol.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response


def _recovery_codes_page(request, codes: list[str], *, target: str, first_time: bool):
    response = render(
        request, "network/two_factor_codes.html", {"codes": codes, "target": target, "first_time": first_time}
    )
    add_never_cache_headers(response)  # shown once: never kept by a browser or a proxy
    return response


@login_required
@require_POST
def recovery_codes_renew(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        codes, _error = service_call(services.two_factor_recovery_codes_renew, form=form, user=request.user, code=form.cleaned_data["code"])
        if codes is not None:
            return _recovery_codes_page(request, codes, target=reverse("two_factor_enrol"), first_time=False)
    return _status_page_with_errors(request, form)


@login_required
@require_POST
def disable(request):
    form = CodeForm(request.POST)
    if form.is_valid():
        _done, error = service_call(services.two_factor_disable, form=form, user=request.user, code=form.cleaned_data["code"])
        if error is None:
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two_factor_enrol")
    return _status_page_with_errors(request, form)


def _status_page_with_errors(request, form):
    status = selectors.two_factor_status(user=request.user)
    if not status.is_on:
        return redirect("two_factor_enrol")
    return render(request, "network/two_factor.html", {"status": status, "form": form}, status=400)
