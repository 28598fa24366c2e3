"""Links that go into messages: signed, so a recipient can act on their own message and nothing else.
They carry the message's idempotency key, which exists before the row does (rendering comes first)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "crm.messaging.unsubscribe"


def unsubscribe_token(idempotency_key: str) -> str:
    return signing.dumps(idempotency_key, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_key(token: str) -> str | None:
    """The idempotency key of the message a token was made for, or None when it was tampered with."""
    try:
        return str(signing.loads(token, salt=UNSUBSCRIBE_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None


def unsubscribe_url(idempotency_key: str) -> str:
    path = reverse("messaging:unsubscribe", args=[unsubscribe_token(idempotency_key)])
    return settings.SITE_URL.rstrip("/") + path
