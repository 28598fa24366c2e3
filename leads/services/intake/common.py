"""What web-form and ADF intake decide alike: model names matched to the catalogue, phone extensions kept,
placeholder names not stored — each decision reported to the sender as a warning."""

from django.utils.translation import gettext as _

from crm.network.models import BrandModel
from crm.network.selectors import models_match
from leads.services.capture import Capture

# A lead's models of interest are stored in fields of this length.
MODEL_NAME_LENGTH = 60


def models_of_interest_matched(
    *, texts: list[str], catalogue: list[BrandModel], warnings: list[str]
) -> list[str]:
    """Model names as the dealer's brands' catalogue has them ("Aurora A6" counts as "A6"); a name the
    catalogue does not know is kept as sent, with a warning, never dropped."""
    values = []
    for match in models_match(texts=texts, models=catalogue):
        if not match.text:
            continue
        if not match.is_matched:
            warnings.append(
                _(
                    "The model “%(model)s” is not in the model list of the dealer's brands: it was kept as sent."
                )
                % {"model": match.text}
            )
        values.append(match.value[:MODEL_NAME_LENGTH])
    return values


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
