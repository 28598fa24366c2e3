"""The timeline kinds the funnel writes. Each carries the lead id, so a customer's feed links to its leads."""

from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crm.core.choices import choice_label
from crm.core.names import reading_order
from crm.timeline.registry import kind_register

LEAD_CREATED = "lead.created"
LEAD_TOUCHED = "lead.touched"
LEAD_STAGE_CHANGED = "lead.stage_changed"
LEAD_CONTACTED = "lead.contact_attempt"
LEAD_GRADED = "lead.graded"
LEAD_ASSIGNED = "lead.assigned"
LEAD_VISITED = "lead.showroom_visit"
LEAD_TEST_DRIVE = "lead.test_drive_booked"
LEAD_ORDERED = "lead.ordered"
LEAD_DELIVERED = "lead.delivered"
LEAD_LOST_PROPOSED = "lead.lost_proposed"
LEAD_LOST_DECIDED = "lead.lost_decided"
LEAD_ISSUED = "lead.issued"
LEAD_ACCEPTANCE = "lead.acceptance"
# An attempt's verification changed after it was logged (a text the gateway delivered, or later failed):
# figures kept from events re-read the attempt (data: lead, attempt, verified, evidence).
LEAD_CONTACT_VERIFIED = "lead.contact_verified"


def _choice(key: str, model_field: str):
    """A `prepare` that shows the code under `key` as the label of its choice on `model_field`."""

    def prepare(data: dict) -> dict:
        model, _dot, field = model_field.rpartition(".")
        return {key: choice_label(f"leads.{model}", field, data.get(key, ""))}

    return prepare


def _stages(data: dict) -> dict:
    from leads.models import Stage

    labels = dict(Stage.choices)
    return {
        "from_label": labels.get(data.get("from", ""), "—"),
        "to_label": labels.get(data.get("to", ""), ""),
    }


@cache
def _types_by_written_label() -> dict:
    """Each lead type's label as written in every language we ship → the type."""
    from leads.models import LeadType

    written = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            written.update({str(lead_type.label): lead_type for lead_type in LeadType})
    return written


def _source(data: dict) -> dict:
    """A lead without a source records its type's label as its source, in the language of whoever was
    signed in ("Walk-in", "到店"): show the type's label in the reader's language instead."""
    from leads.models import LeadType

    source = data.get("source", "")
    if not source and data.get("type") in LeadType.values:
        return {"source": LeadType(data["type"]).label}
    lead_type = _types_by_written_label().get(source)
    return {"source": lead_type.label} if lead_type is not None else {}


kind_register(
    LEAD_CREATED,
    label=_("New lead"),
    summary=_("New lead from %(source)s"),
    icon="lightning-charge",
    prepare=_source,
)
kind_register(
    LEAD_TOUCHED,
    label=_("Lead touched again"),
    summary=_("Asked again through %(source)s"),
    icon="arrow-repeat",
    prepare=_source,
)
kind_register(
    LEAD_STAGE_CHANGED,
    label=_("Stage"),
    summary=_("Stage: %(from_label)s → %(to_label)s"),
    icon="signpost-split",
    prepare=_stages,
)
kind_register(
    LEAD_CONTACTED,
    label=_("Contact attempt"),
    summary=_("%(channel)s: %(outcome)s"),
    icon="telephone-outbound",
    prepare=lambda d: {
        **_choice("channel", "ContactAttempt.channel")(d),
        **_choice("outcome", "ContactAttempt.outcome")(d),
    },
)
kind_register(
    LEAD_CONTACT_VERIFIED,
    label=_("Contact verified"),
    summary=_("Contact attempt: %(evidence)s"),
    icon="patch-check",
    prepare=lambda d: {"evidence": choice_label("leads.ContactAttempt", "evidence", d.get("evidence", ""))}
    if d.get("evidence")
    else {"evidence": _("not verified")},
)
kind_register(LEAD_GRADED, label=_("Grade"), summary=_("Graded %(grade)s"), icon="bar-chart")
kind_register(
    LEAD_ASSIGNED,
    label=_("Assigned"),
    summary=_("Assigned to %(owner)s"),
    icon="person-check",
    # Entries recorded before names had one home hold "伟 张" (given name first): read them as "张伟".
    prepare=lambda d: {"owner": reading_order(d.get("owner", ""))},
)
kind_register(
    LEAD_VISITED,
    label=_("Showroom visit"),
    summary=_("Visited the showroom (%(party_size)s people)"),
    icon="shop",
)
kind_register(
    LEAD_TEST_DRIVE, label=_("Test drive"), summary=_("Test drive booked: %(car)s"), icon="speedometer2"
)
kind_register(LEAD_ORDERED, label=_("Order"), summary=_("Ordered %(model)s"), icon="receipt")
kind_register(LEAD_DELIVERED, label=_("Delivered"), summary=_("Delivered %(model)s"), icon="key")
kind_register(
    LEAD_LOST_PROPOSED,
    label=_("Lost proposed"),
    summary=_("Proposed as lost: %(reason)s"),
    icon="flag",
    prepare=_choice("reason", "LostVerdict.reason"),
)
kind_register(
    LEAD_LOST_DECIDED,
    label=_("Lost verdict"),
    summary=_("Lost verdict %(status)s"),
    icon="flag-fill",
    prepare=_choice("status", "LostVerdict.status"),
)
kind_register(
    LEAD_ISSUED, label=_("Issued by the OEM"), summary=_("Issued by the OEM to %(dealer)s"), icon="send"
)
def _acceptance(data: dict) -> dict:
    """The dealer's reason travels with a rejection, so the OEM reads it on the customer's timeline."""
    reason = (data.get("reason") or "").strip()
    return {**_choice("acceptance", "Lead.acceptance")(data), "because": f" — {reason}" if reason else ""}


kind_register(
    LEAD_ACCEPTANCE,
    label=_("Acceptance"),
    summary=_("Issued lead %(acceptance)s%(because)s"),
    icon="check2-square",
    prepare=_acceptance,
)
