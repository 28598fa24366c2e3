"""The API tokens page: make a named token with an expiry (its key shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.http import service_call
from crm.network.api_tokens import selectors, services
from crm.network.api_tokens.forms import ApiTokenForm
from crm.network.permissions import can_manage_api_tokens


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    if not can_manage_api_tokens(request.access):
        raise Http404
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        result, _error = service_call(services.api_token_create, form=form, user=request.user, **form.cleaned_data)
        if result is not None:
            created = {"token": result[0], "key": result[1]}
            form = ApiTokenForm()
    context = {"form": form, "created": created, "tokens": list(selectors.api_tokens_for_user(user=request.user))}
    response = render(request, "network/api_tokens.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)  # the new key is in this page, once
    return response


@login_required
@require_POST
def api_token_revoke(request, token_id: int):
    token, _error = service_call(services.api_token_revoke, by=request.user, token_id=token_id)
    messages.success(request, _("The token “%(name)s” is revoked: calls with it are refused from now on.") % {"name": token.name})
    return redirect("api_tokens")
