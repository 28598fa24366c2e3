"""SMS through an HTTP gateway that honours a client reference (our idempotency key): sending the same
message twice after a crash yields one SMS. crm/messaging/devtools/sms_simulator.py plays the gateway in
development and tests."""

import socket
import threading

import httpx
from django.conf import settings

from crm.messaging.channels import BaseChannel
from crm.messaging.exceptions import PermanentFailure, TemporaryFailure


class HttpSmsChannel(BaseChannel):
    deduplicates = True

    def __init__(self):
        self._client = None
        self._lock = threading.Lock()

    def _http(self) -> httpx.Client:
        # One pooled client per process, shared by the sender's threads (httpx.Client is thread-safe).
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    @staticmethod
    def _connect() -> httpx.Client:
        return httpx.Client(
            base_url=settings.SMS_PROVIDER_URL,
            headers={"Authorization": f"Bearer {settings.SMS_PROVIDER_KEY}"},
            timeout=httpx.Timeout(settings.SMS_PROVIDER_TIMEOUT_SECONDS),
            # Small requests on a kept-alive connection: do not let Nagle hold the body back.
            transport=httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
            trust_env=False,
        )

    def send(self, message) -> str:
        payload = {
            "to": message.recipient,
            "body": message.body_text,
            "client_ref": message.idempotency_key,
            "sender": settings.SMS_SENDER_ID,
        }
        try:
            response = self._http().post("/v1/messages", json=payload)
        except httpx.HTTPError as error:  # the pool drops a broken connection by itself
            raise TemporaryFailure(f"SMS gateway unreachable: {error}") from error
        if response.status_code >= 500 or response.status_code == 429:
            raise TemporaryFailure(f"SMS gateway {response.status_code}: {response.text[:200]}")
        if response.status_code >= 400:
            raise PermanentFailure(f"SMS gateway {response.status_code}: {response.text[:200]}")
        return str(response.json()["id"])

    def lookup(self, message) -> str | None:
        try:
            response = self._http().get("/v1/messages", params={"client_ref": message.idempotency_key})
        except httpx.HTTPError:
            return None
        if response.status_code == 200:
            return str(response.json()["id"])
        return None

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
