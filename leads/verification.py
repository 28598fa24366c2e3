"""Verified or only claimed: the one home of the rule (BRIEF.md, "verified contact").

A contact attempt is verified only when the system itself witnessed the contact:
- a message the system sent (the lead page's "Send SMS", through the outbox) that the gateway reported
  delivered;
- a reply that came in from one of the lead's own phone numbers;
- a call placed through click-to-call that the provider's signed record says was answered, lasted at least
  LEAD_VERIFIED_CALL_MIN_SECONDS, and went to one of the lead's own phone numbers.
Anything logged by hand is only claimed, however plausible: a call logged afterwards, a phone-in, a logged
showroom visit (docs/decisions.md, "Verified vs claimed").

Pure functions: values in, the evidence (a ContactAttempt.Evidence, or "" for none) out. The services
that write attempts (leads/services/witnessed.py) call them and store the answer with its proof.
"""

from collections.abc import Collection

from django.conf import settings

from leads.models import ContactAttempt

Evidence = ContactAttempt.Evidence
NONE = ""


def call_evidence(*, is_answered: bool, duration_seconds: int, dialled: str, lead_numbers: Collection[str]) -> str:
    """A click-to-call's evidence from its record: answered, long enough, to the lead's own number."""
    long_enough = duration_seconds >= settings.LEAD_VERIFIED_CALL_MIN_SECONDS
    if is_answered and long_enough and dialled and dialled in lead_numbers:
        return Evidence.ANSWERED_CALL
    return NONE


def message_evidence(*, status: str) -> str:
    """A message the system sent on the lead's behalf: evidence once the gateway reports it delivered."""
    return Evidence.DELIVERED_MESSAGE if status == "delivered" else NONE


def reply_evidence(*, sender: str, lead_numbers: Collection[str]) -> str:
    """A reply: evidence when it came from one of the lead's own numbers."""
    return Evidence.INBOUND_REPLY if sender and sender in lead_numbers else NONE
