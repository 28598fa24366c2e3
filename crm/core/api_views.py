"""The base of every API view: the row-level security scope follows the user DRF authenticated.

RequestScopeMiddleware opens the request's transaction and sets its scope from `request.user` as Django's
middleware saw it. DRF authenticates later, inside the view (a token, or a test's forced user), so for
those callers the middleware scoped an anonymous user and every policy would answer "nothing". After
authentication this view sets the scope again, in the same transaction, from the authenticated user.

The core knows no higher app, so the question "which scope does this user get" is asked through
`request_scope()`, which the app layer answers (crm.network.access holds the one answer); a view that
forgets to answer fails loudly instead of running with a wrong scope.
"""

from rest_framework.generics import GenericAPIView

from crm.core.scope import Scope, scope_apply


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
