from django.utils.translation import gettext as _

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


class PlaceholderUnknown(ApplicationError):
    code = "placeholder_unknown"

    def __init__(self, *, names: list[str]):
        self.names = names
        super().__init__(
            _("Unknown placeholders: %(names)s.") % {"names": ", ".join(f"{{{{ {n} }}}}" for n in names)},
            extra={"placeholders": names},
        )


class CampaignStateError(ApplicationError):
    code = "campaign_state"
    status = 409


class SegmentFilterInvalid(ApplicationError):
    code = "segment_filter_invalid"
