from django.shortcuts import render
from django.utils import translation

from crm.core.scope import scoped
from crm.network.access import access_for
from crm.network.exceptions import DealerChoiceRequired
from crm.network.models import StaffProfile


class RequestScopeMiddleware:
    """Each request is one transaction whose row-level security scope is the user's (see crm/core/scope.py).

    Responses are rendered inside the transaction; a streaming response would read outside it and see
    nothing, so the project does not stream database rows.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = access_for(request.user)
        with scoped(request.access.scope):
            return self.get_response(request)

    def process_exception(self, request, exception):
        """A page that needs to know for which dealer the user acts, when they work at several and chose
        none, asks them (the API answers the same question with a 400 naming the `dealer` field)."""
        if isinstance(exception, DealerChoiceRequired) and not request.path.startswith("/api/"):
            return render(
                request,
                "network/dealer_choice.html",
                {"choices": exception.extra["choices"], "next": request.get_full_path()},
            )
        return None


class UserLanguageMiddleware:
    """A signed-in user's chosen language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            language = (
                StaffProfile.objects.filter(user=request.user).values_list("language", flat=True).first()
            )
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
