"""Typed errors with a stable code. The API renders them as {"message", "code", "extra"}; forms show the message."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "application_error"
    status = 400
    default_message = _("The request could not be completed.")

    # The input field the error is about, when there is one: forms show it beside that field and the API
    # names it in "extra".
    field: str | None = None

    def __init__(self, message=None, *, extra: dict | None = None, field: str | None = None):
        self.message = message or self.default_message
        self.extra = extra or {}
        if field is not None:
            self.field = field
        super().__init__(str(self.message))


class NotFound(ApplicationError):
    """Missing and forbidden look the same."""

    code = "not_found"
    status = 404
    default_message = _("Not found.")


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status = 403
    default_message = _("You are not allowed to do this.")


class ConcurrentEdit(ApplicationError):
    code = "concurrent_edit"
    status = 409
    default_message = _("Someone else changed this record while you were editing it. Reload and try again.")


class ScopeMissing(ApplicationError):
    code = "scope_missing"
    status = 500
    default_message = _("No data scope was set for this transaction.")


# --- Public endpoints (crm.core.public_keys): the apps' intake and booking share these answers -----------------


class RateLimited(ApplicationError):
    """A source or a caller past its one-minute window; `extra.retry_after` says for how long."""

    code = "rate_limited"
    status = 429
    default_message = _("Too many submissions. Wait a minute and try again.")


class PayloadTooLarge(ApplicationError):
    code = "payload_too_large"
    status = 413
    default_message = _("The request body is too large.")
