"""The API base view every app uses: scoped by the one access rule (crm.network.access)."""

from crm.core.api_views import ScopedAPIView
from crm.network.access import access_for


class AccessScopedAPIView(ScopedAPIView):
    def request_scope(self, request):
        access = access_for(request.user)
        # Keep what the middleware recorded for the request in step with the user DRF authenticated.
        request._request.access = access
        return access.scope
