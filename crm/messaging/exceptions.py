"""Messaging's errors: the typed application errors pages and services share (each with a stable `code`),
and the two outcomes a channel adapter signals to the outbox."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.core.exceptions import ApplicationError


class PlaceholderMissing(ApplicationError):
    code = "placeholder_missing"

    def __init__(self, *, names: list[str]):
        self.names = names
        super().__init__(
            _("This customer has no data for: %(names)s. Fill it in or choose another template.")
            % {"names": ", ".join(names)},
            extra={"placeholders": names},
        )


class CampaignStateError(ApplicationError):
    code = "campaign_state"
    status = 409


class SegmentFilterInvalid(ApplicationError):
    code = "segment_filter_invalid"


class FieldInvalid(ApplicationError):
    """A value the page's form should have caught; `field` names the form field to show it on."""

    code = "invalid"

    def __init__(self, message=None, *, field: str = "", extra: dict | None = None):
        self.field = field
        super().__init__(message, extra={**(extra or {}), "field": field})


class PlaceholderUnknown(FieldInvalid):
    """Something that looks like a placeholder and is none of the vocabulary (or a brace without its
    partner). `names` are the fragments as written, `described` says what is wrong with each."""

    code = "placeholder_unknown"

    def __init__(self, *, names: list[str], described: list[str] | None = None, field: str = ""):
        self.names = names
        super().__init__(
            _(
                "Not a placeholder: %(problems)s. Use the placeholders listed with the editor, written as shown."
            )
            % {"problems": "; ".join(described or [f"“{name}”" for name in names])},
            field=field,
            extra={"placeholders": names},
        )


class TemplateInvalid(FieldInvalid):
    code = "template_invalid"
    default_message = gettext_lazy("This template cannot be saved.")


class SegmentInvalid(FieldInvalid):
    code = "segment_invalid"
    default_message = gettext_lazy("This segment cannot be saved.")


class CareProgramInvalid(FieldInvalid):
    code = "care_program_invalid"
    default_message = gettext_lazy("This care message cannot be saved.")


class TemplateInUse(ApplicationError):
    code = "template_in_use"
    status = 409
    default_message = gettext_lazy(
        "A campaign waiting for approval or sending uses this template: its text, channel and purpose "
        "cannot change until that campaign ends. Copy the template to make a new version."
    )


class SegmentInUse(ApplicationError):
    code = "segment_in_use"
    status = 409
    default_message = gettext_lazy(
        "A campaign waiting for approval or sending uses this segment: its filters cannot change until "
        "that campaign ends. Create a new segment instead."
    )


# Channels ----------------------------------------------------------------------------------------------


class TemporaryFailure(Exception):
    """The channel could not take the message now (a 5xx, a timeout, a refused connection): retry later."""


class PermanentFailure(Exception):
    """The channel refused the message for good (an invalid number, a rejected address)."""
