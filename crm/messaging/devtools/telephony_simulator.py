"""A click-to-call provider's HTTP API, simulated, for development and tests.

    python crm/messaging/devtools/telephony_simulator.py --port 8026 --api-key KEY \\
        --record-url http://127.0.0.1:8000/messaging/hooks/calls/records/ --record-secret S

The provider bridges two phones: it rings the salesperson (`from`), then the customer (`to`), and once the
call ends it POSTs a call record, signed like the SMS gateway's receipts (X-Signature: hex HMAC-SHA256 of
the raw body with the shared secret). A request made again with the same `client_ref` is answered with the
first call's id and `"duplicate": true`, so a caller that retries never rings anyone twice. What happens
depends on the customer's number (last four digits):

    ...0000  unreachable: 400 invalid_number         ...5030  provider unavailable: always 503
    ...4040  rings, nobody answers (no_answer)       ...4860  busy
    ...0003  answered, hung up after 3 seconds        anything else valid: answered, --duration seconds

API (Authorization: Bearer <key> on /v1/...; without --api-key any bearer token passes):
    POST /v1/calls {"from", "to", "client_ref"} -> {"id", "status": "ringing", "duplicate"}
    GET  /v1/calls?client_ref=<ref> -> the call, or 404
Inspection (no key): GET /_calls (every call with its record, the exact signed body included, so a test
can post it again), POST /_reset.

Stdlib only (no Django), so it starts in milliseconds when run by file path.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import itertools
import json
import re
import signal
import socketserver
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

E164 = re.compile(r"\+[0-9]{8,15}")
UNREACHABLE_SUFFIX = "0000"
UNAVAILABLE_SUFFIX = "5030"
NO_ANSWER_SUFFIX = "4040"
BUSY_SUFFIX = "4860"
SHORT_CALL_SUFFIX = "0003"
MAX_REQUEST_BYTES = 64 * 1024
RECORD_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)


def sign(secret: str, raw_body: bytes) -> str:
    """The X-Signature header of a call record: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def outcome_for(to: str, duration: int) -> tuple[str, int]:
    """(status, seconds talked) of a call to `to`."""
    if to.endswith(NO_ANSWER_SUFFIX):
        return "no_answer", 0
    if to.endswith(BUSY_SUFFIX):
        return "busy", 0
    if to.endswith(SHORT_CALL_SUFFIX):
        return "answered", 3
    return "answered", duration


@dataclass(frozen=True)
class SimulatorConfig:
    api_key: str | None = None
    record_url: str | None = None
    record_secret: str | None = None
    record_delay_seconds: float = 1.0
    duration_seconds: int = 45
    verbose: bool = False


class ProviderState:
    """Every call the provider placed, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: dict[str, dict] = {}
        self.by_client_ref: dict[str, str] = {}
        self.sequence = itertools.count(1)

    def place(self, *, caller: str, to: str, client_ref: str, duration: int) -> tuple[dict, bool]:
        with self.lock:
            existing = self.by_client_ref.get(client_ref)
            if existing is not None:
                return dict(self.calls[existing]), True
            call_id = f"CA{next(self.sequence):08d}{int(time.time() * 1000) % 100000:05d}"
            started = datetime.now(UTC)
            status, talked = outcome_for(to, duration)
            record = {
                "id": call_id,
                "client_ref": client_ref,
                "from": caller,
                "to": to,
                "status": status,
                "answered": status == "answered",
                "duration_seconds": talked,
                "started_at": iso(started),
                "ended_at": iso(started + timedelta(seconds=talked or 20)),
            }
            call = {"id": call_id, "client_ref": client_ref, "from": caller, "to": to, "status": "ringing",
                    "record": record, "record_body": None, "record_signature": None, "record_posted": False}
            self.calls[call_id] = call
            self.by_client_ref[client_ref] = call_id
            return dict(call), False

    def find(self, client_ref: str) -> dict | None:
        with self.lock:
            call_id = self.by_client_ref.get(client_ref)
            return dict(self.calls[call_id]) if call_id else None

    def end(self, call_id: str, secret: str | None) -> bytes | None:
        """The call is over: its record, as the bytes that are signed and sent."""
        with self.lock:
            call = self.calls.get(call_id)
            if call is None:
                return None
            # The call ends now: it started as long ago as it lasted (ringing included).
            ended = datetime.now(UTC)
            record = call["record"]
            record["started_at"] = iso(ended - timedelta(seconds=(record["duration_seconds"] or 0) + 5))
            record["ended_at"] = iso(ended)
            body = json.dumps(record, ensure_ascii=False).encode()
            call["status"] = call["record"]["status"]
            call["record_body"] = body.decode()
            call["record_signature"] = sign(secret, body) if secret is not None else None
            return body

    def posted(self, call_id: str) -> None:
        with self.lock:
            if call_id in self.calls:
                self.calls[call_id]["record_posted"] = True

    def listing(self) -> list[dict]:
        with self.lock:
            return [dict(call) for call in self.calls.values()]

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.by_client_ref.clear()


class ProviderRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "telephony-simulator/1"
    sys_version = ""
    timeout = 60
    server: ProviderServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        if self.server.config.verbose:
            super().log_message(format, *args)

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large"}, close=True)
            return None
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload, *, close: bool = False) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def _is_authorized(self) -> bool:
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        expected = self.server.config.api_key
        return expected is None or hmac.compare_digest(token.strip().encode(), expected.encode())

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if self._read_body() is None:
            return
        if url.path == "/_calls":
            self._send_json(HTTPStatus.OK, {"calls": self.server.state.listing()})
        elif url.path == "/v1/calls":
            if not self._is_authorized():
                self._send_json(HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"})
                return
            call = self.server.state.find(query.get("client_ref", ""))
            if call is None:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            else:
                self._send_json(HTTPStatus.OK, {k: call[k] for k in ("id", "client_ref", "from", "to", "status")})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self._read_body()
        if raw is None:
            return
        if path == "/v1/calls":
            status, payload = self._place(raw)
            self._send_json(status, payload)
        elif path == "/_reset":
            self.server.state.reset()
            self._send_json(HTTPStatus.OK, {"reset": True})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def _place(self, raw: bytes) -> tuple[int, dict]:
        if not self._is_authorized():
            return HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"}
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return HTTPStatus.BAD_REQUEST, {"error": "invalid_json"}
        caller, to, client_ref = payload.get("from"), payload.get("to"), payload.get("client_ref")
        if isinstance(to, str) and to.endswith(UNAVAILABLE_SUFFIX):
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "unavailable"}
        for number in (caller, to):
            if not isinstance(number, str) or not E164.fullmatch(number) or number.endswith(UNREACHABLE_SUFFIX):
                return HTTPStatus.BAD_REQUEST, {"error": "invalid_number"}
        if not isinstance(client_ref, str) or not 0 < len(client_ref) <= 255:
            return HTTPStatus.BAD_REQUEST, {"error": "invalid_client_ref"}
        call, duplicate = self.server.state.place(
            caller=caller, to=to, client_ref=client_ref, duration=self.server.config.duration_seconds
        )
        if not duplicate:
            self.server.schedule_end(call["id"])
        return HTTPStatus.OK, {"id": call["id"], "status": "ringing", "duplicate": duplicate}


class ProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], config: SimulatorConfig):
        self.config = config
        self.state = ProviderState()
        super().__init__(address, ProviderRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on a host without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def schedule_end(self, call_id: str) -> None:
        timer = threading.Timer(self.config.record_delay_seconds, self._end, args=(call_id,))
        timer.daemon = True
        timer.start()

    def _end(self, call_id: str) -> None:
        body = self.state.end(call_id, self.config.record_secret)
        if body is None or not self.config.record_url:
            return
        for pause in (0.0, *RECORD_BACKOFF_SECONDS):
            time.sleep(pause)
            if self._post(body):
                self.state.posted(call_id)
                return
        print(f"telephony-simulator: record of {call_id} abandoned", file=sys.stderr)

    def _post(self, body: bytes) -> bool:
        url = urlsplit(self.config.record_url)
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        headers = {"Content-Type": "application/json"}
        if self.config.record_secret is not None:
            headers["X-Signature"] = sign(self.config.record_secret, body)
        connection = kind(url.hostname, url.port, timeout=5)
        try:
            connection.request("POST", url.path or "/", body, headers)
            response = connection.getresponse()
            response.read()
            return 200 <= response.status < 300
        except (http.client.HTTPException, OSError):
            return False
        finally:
            connection.close()


class SimulatorHandle:
    """A simulator serving from a background thread of this process (see start_in_thread)."""

    def __init__(self, server: ProviderServer):
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    def calls(self) -> list[dict]:
        return self.server.state.listing()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **config) -> SimulatorHandle:
    """Serve a simulator in this process (port 0: any free port; see handle.url). Config keywords are
    SimulatorConfig's fields."""
    return SimulatorHandle(ProviderServer((host, port), SimulatorConfig(**config)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="telephony_simulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--api-key", help="the bearer token clients must send (default: any token)")
    parser.add_argument("--record-url", help="where call records are POSTed")
    parser.add_argument("--record-secret", help="HMAC-SHA256 key of the records' X-Signature header")
    parser.add_argument("--record-delay-ms", type=int, default=4000, help="from the request to the record")
    parser.add_argument("--duration", type=int, default=45, help="seconds an answered call lasts")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        api_key=args.api_key,
        record_url=args.record_url,
        record_secret=args.record_secret,
        record_delay_seconds=args.record_delay_ms / 1000,
        duration_seconds=args.duration,
        verbose=args.verbose,
    )
    server = ProviderServer((args.host, args.port), config)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"telephony-simulator listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
