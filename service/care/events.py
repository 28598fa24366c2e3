"""The timeline kinds complaints write (on the customer's timeline, at the dealer concerned).

- service.complaint_opened: complaint, category, severity, source
- service.complaint_closed: complaint, resolution
"""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

COMPLAINT_OPENED = "service.complaint_opened"
COMPLAINT_CLOSED = "service.complaint_closed"


def _words(data: dict) -> dict:
    from service.models import Complaint

    return {
        "category": str(dict(Complaint.Category.choices).get(data.get("category"), data.get("category", ""))),
        "severity": str(dict(Complaint.Severity.choices).get(data.get("severity"), data.get("severity", ""))),
    }


kind_register(
    COMPLAINT_OPENED,
    label=_("Complaint"),
    summary=_("Complaint #%(complaint)s opened: %(category)s, %(severity)s"),
    icon="exclamation-octagon",
    prepare=_words,
)
kind_register(
    COMPLAINT_CLOSED,
    label=_("Complaint closed"),
    summary=_("Complaint #%(complaint)s closed: %(resolution)s"),
    icon="check-circle",
)
