"""The base of every API view: the row-level security scope follows the user DRF authenticated.

RequestScopeMiddleware opens the request's transaction and sets its scope from `request.user` as Django's
middleware saw it. DRF authenticates later, inside the view (a token, or a test's forced user), so for
those callers the middleware scoped an anonymous user and every policy would answer "nothing". After
authentication this view sets the scope again, in the same transaction, from the authenticated user.

The core knows no higher app, so the question "which scope does this user get" is asked through
`request_scope()`, which the app layer answers (crm.network.access holds the one answer); a view that
forgets to answer fails loudly instead of running with a wrong scope.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import View, defaults
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from crm.core.scope import Scope, scope_apply

API_PREFIX = "/api/"


class ScopedAPIView(GenericAPIView):
    """A DRF view whose transaction is scoped to the authenticated user before permissions run."""

    def request_scope(self, request) -> Scope:
        """The scope for `request.user`, already authenticated. Subclasses answer with the access rules."""
        raise NotImplementedError(f"{type(self).__name__} must say which scope its user gets.")

    def perform_authentication(self, request) -> None:
        super().perform_authentication(request)
        # Always re-applied, also for session users whose scope the middleware already set: one cheap
        # statement, and the scope is then derived from exactly the user the view acts for.
        # scope_apply() refuses to run outside a transaction (ScopeMissing): fail closed.
        scope_apply(scope=self.request_scope(request))


def bad_request(request, exception):
    """The project's 400: the API's error shape under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        body = {"message": str(exception) or _("Bad request."), "code": "bad_request", "extra": {}}
        return JsonResponse(body, status=400)
    return defaults.bad_request(request, exception)


def not_found(request, exception):
    """The project's 404: the API's error shape under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"message": _("Not found."), "code": "not_found", "extra": {}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """The project's 500: the API's error shape under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        body = {"message": _("Something went wrong on our side."), "code": "server_error", "extra": {}}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


class _PlainOptions:
    """OPTIONS answered as Django does (an Allow header): the documentation pages render only through an
    HTML template, which DRF's OPTIONS description has none of (it failed with 500)."""

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)


class SwaggerView(_PlainOptions, SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file of its own (`?script`): the
    Content-Security-Policy runs no inline script."""


class RedocView(_PlainOptions, SpectacularRedocView):
    """Redoc from our own static files (templates/drf_spectacular/redoc.html: no inline script, no web font
    from a CDN)."""


def rate_limited_response(error) -> Response:
    """A public endpoint's 429 (crm.core.exceptions.RateLimited), with Retry-After from `extra.retry_after`."""
    body = {"message": str(error.message), "code": error.code, "extra": error.extra}
    return Response(body, status=429, headers={"Retry-After": str(error.extra["retry_after"])})
