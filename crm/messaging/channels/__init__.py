"""Channels hand one outbox message to the outside world and say what happened.

`send` returns the provider's message id, or raises TemporaryFailure (worth retrying: a 5xx, a timeout, a
refused connection) or PermanentFailure (an invalid number, a rejected address), both from the app's
exceptions module. A channel that
`deduplicates` (an SMS gateway honouring the client reference) may be handed the same message again after
a crash; one that does not (SMTP) must never be, so the outbox marks the hand-off first (see services).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class BaseChannel:
    deduplicates = False

    def send(self, message) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def lookup(self, message) -> str | None:
        """The provider's id for a message it already accepted (by idempotency key), or None. Channels
        that cannot tell return None, and the sweeper treats a handed-off message as uncertain."""
        return None

    def close(self) -> None:
        pass


@cache
def channel_for(name: str) -> BaseChannel:
    """The configured channel for "email" or "sms" (settings.MESSAGING_CHANNELS), one per process."""
    return import_string(settings.MESSAGING_CHANNELS[name])()
