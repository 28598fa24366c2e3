"""Click-to-call: a telephony provider bridges the salesperson's phone to the customer's and later posts a
signed call record (crm/messaging/views/webhooks.py). Which provider is a setting (TELEPHONY_ADAPTER), as
the SMS gateway's channel is; crm/messaging/devtools/telephony_simulator.py plays the provider in
development and tests.

`place` returns the provider's call id, or raises TemporaryFailure (worth retrying: a 5xx, a timeout) or
PermanentFailure (an invalid number). A provider honouring the client reference (our idempotency key)
rings nobody twice when a request is repeated after a crash.
"""

import threading
from functools import cache

import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from crm.messaging.exceptions import PermanentFailure, TemporaryFailure


class BaseTelephony:
    def place(self, *, caller: str, callee: str, client_ref: str) -> str:  # pragma: no cover - interface
        """Ask the provider to ring `caller` (E.164), then bridge `callee` (E.164)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class HttpTelephony(BaseTelephony):
    """A provider with a small JSON API: POST /v1/calls {"from", "to", "client_ref"} -> {"id"}."""

    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=settings.TELEPHONY_PROVIDER_URL,
                    headers={"Authorization": f"Bearer {settings.TELEPHONY_PROVIDER_KEY}"},
                    timeout=httpx.Timeout(settings.TELEPHONY_PROVIDER_TIMEOUT_SECONDS),
                    trust_env=False,
                )
            return self._client

    def place(self, *, caller: str, callee: str, client_ref: str) -> str:
        payload = {"from": caller, "to": callee, "client_ref": client_ref}
        try:
            response = self._http().post("/v1/calls", json=payload)
        except httpx.HTTPError as error:
            raise TemporaryFailure(f"telephony provider unreachable: {error}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise TemporaryFailure(f"telephony provider {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise PermanentFailure(f"telephony provider {response.status_code}: {response.text[:200]}")
        return str(response.json()["id"])

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


@cache
def telephony_adapter() -> BaseTelephony:
    """The configured provider (settings.TELEPHONY_ADAPTER), one per process."""
    return import_string(settings.TELEPHONY_ADAPTER)()
