"""Request plumbing every page and API shares."""

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


class RefuseUnstorableTextMiddleware:
    """A NUL character in a query or form parameter can be neither stored nor compared by PostgreSQL (a search
    for "%00" failed with a server error); no person types one. Such a request is refused with a 400 before
    any view sees it. JSON bodies are checked by the API's parsers (crm.core.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for params in (request.GET, request.POST if request.method == "POST" else None):
            if params is None:
                continue
            for key, values in params.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise BadRequest(_("The request holds a NUL character, which no field accepts."))
        return self.get_response(request)
