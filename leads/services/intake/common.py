"""What web-form and ADF intake report alike: model names the catalogue does not know (lead_capture matches
them), phone extensions kept, placeholder names not stored — each decision a warning to the sender."""

from django.utils.translation import gettext as _

from leads.services.capture import Capture
from leads.services.common import MODEL_NAME_LENGTH


def unknown_models_warnings(capture: Capture) -> list[str]:
    """A warning for each model name the dealer's brand model list does not know: kept as sent."""
    return [
        _("The model “%(model)s” is not in the model list of the dealer's brands: it was kept as sent.")
        % {"model": name[:MODEL_NAME_LENGTH]}
        for name in capture.unknown_models
    ]


def extension_note(extensions: dict[str, str], *, warnings: list[str]) -> str:
    """Lines for the lead's note keeping phone extensions, which a contact point cannot hold; a warning
    for each, so that the sender knows where it went."""
    lines = []
    for phone, extension in extensions.items():
        lines.append(_("Phone %(phone)s, extension %(extension)s") % {"phone": phone, "extension": extension})
        warnings.append(
            _("The phone number “%(phone)s” has the extension %(extension)s: it is kept in the lead's note.")
            % {"phone": phone, "extension": extension}
        )
    return "\n".join(lines)


def unnamed_warning(*, capture: Capture, typed_name: str) -> list[str]:
    if not capture.customer_created:
        return []
    if typed_name:
        return [
            _("“%(name)s” is not a name: the customer was stored without a name.") % {"name": typed_name[:80]}
        ]
    return [_("No name was given: the customer was stored without a name.")]
