"""The timeline kinds messaging writes. A reply to a campaign is an event other apps react to (leads opens
a campaign-response lead from it)."""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

MESSAGE_REPLIED = "messaging.replied"

kind_register(
    MESSAGE_REPLIED,
    label=_("Reply"),
    summary=_("Replied to %(campaign_name)s: “%(body)s”"),
    icon="reply",
)

# Click-to-call and the outcomes of watched messages (crm/messaging/registry.py: outcome_watch_register):
# leads turns them into verified contact attempts.
CALL_RECORDED = "messaging.call_recorded"
MESSAGE_DELIVERED = "messaging.delivered"
MESSAGE_FAILED = "messaging.failed"
# A reply that answers no campaign (a campaign's reply is MESSAGE_REPLIED).
MESSAGE_RECEIVED = "messaging.received"



def _call_words(data: dict) -> dict:
    from crm.messaging.models import PhoneCall

    status = data.get("status", "")
    return {"status": PhoneCall.Status(status).label if status in PhoneCall.Status.values else status}


kind_register(
    CALL_RECORDED,
    label=_("Call"),
    summary=_("Call through the system: %(status)s, %(duration_seconds)s s"),
    icon="telephone",
    prepare=_call_words,
)
kind_register(MESSAGE_DELIVERED, label=_("Message delivered"), summary=_("Message delivered"), icon="check2-all")
kind_register(MESSAGE_FAILED, label=_("Message not delivered"), summary=_("Message not delivered"), icon="x-circle")
kind_register(
    MESSAGE_RECEIVED, label=_("Reply"), summary=_("Replied: “%(body)s”"), icon="reply"
)
