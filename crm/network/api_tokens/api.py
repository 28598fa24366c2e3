"""The API's token authentication and the per-token rate limit (both named in settings.REST_FRAMEWORK)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.throttling import SimpleRateThrottle

from crm.network.api_tokens import selectors, services
from crm.network.models import ApiToken

KEYWORD = b"bearer"


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer crm_…`: a token made on the API tokens page. The request acts as the token's
    maker (request.user) and carries the token (request.auth), which the rate limit below is keyed by."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as: Authorization: Bearer <token>."))
        try:
            key = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from error
        token = selectors.api_token_for_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("This token is not valid, has expired or was revoked."))
        services.api_token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenRateThrottle(SimpleRateThrottle):
    """Calls per token (rate "api_token"), beside the per-user limit: each integration has its own budget."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token made on the API tokens page of the product (it acts as its maker).",
        }
