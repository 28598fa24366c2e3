"""An SMS gateway's HTTP API, simulated, for development and tests.

    python -m crm.messaging.devtools.sms_simulator --port 8025 --api-key KEY \\
        --receipt-url http://127.0.0.1:8000/messaging/sms/receipts --receipt-secret S --log var/sms/messages.jsonl

It behaves like a gateway that honours an idempotency key: a message submitted again with the same
`client_ref` is answered with the first message's id and `"duplicate": true` and is not sent twice, so a
sender that retries after a crash never produces two SMS. Test numbers (last four digits):

    ...0000  unreachable: 400 invalid_number        ...5030  gateway unavailable: always 503
    ...4040  accepted, then a "failed" receipt      anything else valid: accepted, then "delivered"

API (Authorization: Bearer <key> on /v1/...; without --api-key any bearer token passes):
    POST /v1/messages {"to", "body", "client_ref", "sender"?} -> {"id", "status", "duplicate"}
    GET  /v1/messages/<id>, GET /v1/messages?client_ref=<ref> -> the message, or 404
Inspection (no key): GET /_stats, GET /_messages[?to=], POST /_reset.

`--fail-5xx-rate p` answers that share of submissions 503 before recording anything; `--latency-ms n`
holds every submission's answer n ms after the message is recorded, so a client that times out leaves an
accepted message behind, which is what the outbox sweeper must reconcile. `--resume` reloads the messages
in `--log` at start, so idempotency survives a restart of the simulator.

Stdlib only (no Django), so it starts in milliseconds when run by file path.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import queue
import random
import re
import signal
import socketserver
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

E164 = re.compile(r"\+[0-9]{8,15}")
UNREACHABLE_SUFFIX = "0000"
UNAVAILABLE_SUFFIX = "5030"
UNDELIVERABLE_SUFFIX = "4040"
MAX_REQUEST_BYTES = 1024 * 1024
RECEIPT_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)  # after each failed attempt; then the receipt is abandoned
RECEIPT_TIMEOUT_SECONDS = 5.0
RECEIPT_WORKERS = 4


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sign(secret: str, raw_body: bytes) -> str:
    """The X-Signature header of a receipt: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def final_status(to: str) -> tuple[str, str | None]:
    if to.endswith(UNDELIVERABLE_SUFFIX):
        return "failed", "undeliverable"
    return "delivered", None


@dataclass(frozen=True)
class SimulatorConfig:
    api_key: str | None = None
    receipt_url: str | None = None
    receipt_secret: str | None = None
    log_path: Path | None = None
    fail_5xx_rate: float = 0.0
    latency_ms: int = 0
    receipt_delay_seconds: tuple[float, float] = (0.2, 1.0)
    resume: bool = False
    verbose: bool = False

    def __post_init__(self):
        if self.receipt_url and urlsplit(self.receipt_url).scheme not in ("http", "https"):
            raise ValueError(f"receipt URL must be http(s): {self.receipt_url}")


class ClientRefConflict(Exception):
    """The client_ref was first used for a different number or text: a sender bug, never a retry."""


class GatewayState:
    """Everything the gateway remembers, behind one lock. Copies leave the lock, never the records."""

    def __init__(self, config: SimulatorConfig):
        self.lock = threading.Lock()
        self.messages: dict[str, dict] = {}
        self.by_client_ref: dict[str, str] = {}
        self.by_to: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self.generation = 0  # bumped by reset, so deliveries scheduled before it are dropped
        self._log = None
        if config.log_path:
            config.log_path.parent.mkdir(parents=True, exist_ok=True)
            if config.resume and config.log_path.exists():
                self._resume(config.log_path)
            self._log = config.log_path.open("a", encoding="utf-8")

    def _resume(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill
            if "reset_at" in entry:
                self._clear()
            elif "id" in entry and "to" in entry:
                status, error = final_status(entry["to"])
                self._remember({**entry, "status": status, **({"error": error} if error else {})})
                self.counters["resumed"] += 1

    def _remember(self, record: dict) -> None:
        self.messages[record["id"]] = record
        if record.get("client_ref") is not None:
            self.by_client_ref[record["client_ref"]] = record["id"]
        self.by_to[record["to"]] += 1

    def _clear(self) -> None:
        self.messages.clear()
        self.by_client_ref.clear()
        self.by_to.clear()
        self.counters.clear()

    def count(self, name: str) -> None:
        with self.lock:
            self.counters[name] += 1

    def submit(
        self, *, to: str, body: str, client_ref: str | None, sender: str | None
    ) -> tuple[dict, bool, int]:
        """Record a new message, or return the one already recorded under client_ref (duplicate=True)."""
        with self.lock:
            existing_id = self.by_client_ref.get(client_ref) if client_ref is not None else None
            if existing_id is not None:
                existing = self.messages[existing_id]
                if existing["to"] != to or existing["body"] != body:
                    self.counters["rejected"] += 1
                    raise ClientRefConflict
                self.counters["duplicates"] += 1
                return dict(existing), True, self.generation
            record = {
                "id": f"SM{uuid.uuid4().hex}",
                "to": to,
                "body": body,
                "client_ref": client_ref,
                "sender": sender,
                "status": "accepted",
                "submitted_at": now_iso(),
            }
            self._remember(record)
            if self._log is not None:
                self._log.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._log.flush()
            return dict(record), False, self.generation

    def settle(self, message_id: str, generation: int) -> dict | None:
        """Mark a message delivered or failed; the receipt payload, or None if a reset forgot it."""
        with self.lock:
            record = self.messages.get(message_id)
            if record is None or generation != self.generation:
                return None
            status, error = final_status(record["to"])
            record.update(status=status, status_at=now_iso(), **({"error": error} if error else {}))
            receipt = {"id": record["id"], "client_ref": record["client_ref"], "status": status}
            receipt.update(to=record["to"], at=record["status_at"], **({"error": error} if error else {}))
            return receipt

    def find(self, *, message_id: str | None = None, client_ref: str | None = None) -> dict | None:
        with self.lock:
            if message_id is None:
                message_id = self.by_client_ref.get(client_ref)
            record = self.messages.get(message_id)
            return dict(record) if record else None

    def listing(self, *, to: str | None = None) -> list[dict]:
        with self.lock:
            return [dict(r) for r in self.messages.values() if to is None or r["to"] == to]

    def stats(self, *, receipts_pending: int) -> dict:
        with self.lock:
            counters = self.counters
            return {
                "messages": len(self.messages),
                "submissions": counters["submissions"],
                "duplicates": counters["duplicates"],
                "rejected": counters["rejected"],
                "unavailable": counters["unavailable"],
                "unauthorized": counters["unauthorized"],
                "resumed": counters["resumed"],
                "by_to": dict(self.by_to),
                "by_status": dict(Counter(r["status"] for r in self.messages.values())),
                "receipts_sent": counters["receipts_sent"],
                "receipts_abandoned": counters["receipts_abandoned"],
                "receipts_pending": receipts_pending,
            }

    def reset(self) -> None:
        with self.lock:
            self._clear()
            self.generation += 1
            if self._log is not None:
                self._log.write(json.dumps({"reset_at": now_iso()}) + "\n")
                self._log.flush()

    def close(self) -> None:
        if self._log is not None:
            self._log.close()


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    message_id: str = ""
    generation: int = 0
    attempt: int = 0
    receipt: bytes | None = None


class DeliveryScheduler:
    """Settles each accepted message after a short delay and posts its receipt, retrying with backoff.

    One clock thread sleeps until the earliest job on a heap is due and hands due jobs to a few receipt
    workers (or settles them itself when there is no receipt URL). A failed post goes back on the heap
    instead of sleeping, so a dead receipt URL never holds a thread, and never a request thread."""

    def __init__(self, state: GatewayState, config: SimulatorConfig, workers: int = RECEIPT_WORKERS):
        self.state = state
        self.config = config
        self._heap: list[_Delivery] = []
        self._in_flight = 0  # taken off the heap, not finished
        self._condition = threading.Condition()
        self._sequence = itertools.count()
        self._ready: queue.SimpleQueue[_Delivery] = queue.SimpleQueue()
        self._local = threading.local()  # each receipt worker keeps its own connection alive
        if config.receipt_url:
            url = urlsplit(config.receipt_url)
            self._receipt_path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        threading.Thread(target=self._clock, name="deliveries-clock", daemon=True).start()
        for number in range(workers if config.receipt_url else 0):
            threading.Thread(target=self._work, name=f"receipts-{number}", daemon=True).start()

    def schedule(self, *, message_id: str, generation: int) -> None:
        low, high = self.config.receipt_delay_seconds
        self._push(_Delivery(time.monotonic() + random.uniform(low, high), 0, message_id, generation))

    def _push(self, job: _Delivery) -> None:
        with self._condition:
            job.sequence = next(self._sequence)
            heapq.heappush(self._heap, job)
            if self._heap[0] is job:  # the clock sleeps until the earliest job: only a new earliest wakes it
                self._condition.notify()

    def pending(self) -> int:
        with self._condition:
            return len(self._heap) + self._in_flight

    def clear(self) -> None:
        with self._condition:
            self._heap.clear()

    def _clock(self) -> None:
        while True:
            with self._condition:
                while not self._heap or self._heap[0].due > time.monotonic():
                    self._condition.wait(self._heap[0].due - time.monotonic() if self._heap else None)
                # Up to 20 ms early: one wake-up then settles a batch, not one message, under load.
                horizon = time.monotonic() + 0.02
                due = []
                while self._heap and self._heap[0].due <= horizon:
                    due.append(heapq.heappop(self._heap))
                self._in_flight += len(due)
            for job in due:
                if self.config.receipt_url:
                    self._ready.put(job)
                else:
                    self._run_safely(job)

    def _work(self) -> None:
        while True:
            self._run_safely(self._ready.get())

    def _run_safely(self, job: _Delivery) -> None:
        try:
            self._run(job)
        except Exception as error:  # a thread must survive anything one job does
            print(f"sms-simulator: delivery of {job.message_id} failed: {error!r}", file=sys.stderr)
        finally:
            with self._condition:
                self._in_flight -= 1

    def _run(self, job: _Delivery) -> None:
        if job.receipt is None:
            receipt = self.state.settle(job.message_id, job.generation)
            if receipt is None or not self.config.receipt_url:
                return
            job.receipt = json.dumps(receipt, ensure_ascii=False).encode()
        elif job.generation != self.state.generation:
            return
        if self._post(job.receipt):
            self.state.count("receipts_sent")
        elif job.attempt < len(RECEIPT_BACKOFF_SECONDS):
            job.due = time.monotonic() + RECEIPT_BACKOFF_SECONDS[job.attempt]
            job.attempt += 1
            self._push(job)
        else:
            self.state.count("receipts_abandoned")

    def _post(self, raw_body: bytes) -> bool:
        """POST one receipt over this worker's kept-alive connection; a connection the receiver closed
        meanwhile is replaced once (the receiver may then see a receipt twice, as from a real gateway)."""
        headers = {"Content-Type": "application/json"}
        if self.config.receipt_secret is not None:
            headers["X-Signature"] = sign(self.config.receipt_secret, raw_body)
        reused = getattr(self._local, "connection", None)
        for connection in [reused, None] if reused else [None]:
            connection = connection or self._connect()
            try:
                connection.request("POST", self._receipt_path, raw_body, headers)
                response = connection.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                continue
            self._local.connection = None if response.will_close else connection
            if response.will_close:
                connection.close()
            return 200 <= response.status < 300
        return False

    def _connect(self) -> http.client.HTTPConnection:
        # http.client, not urllib: no HTTP proxy from the environment for what is usually a local URL.
        url = urlsplit(self.config.receipt_url)
        kind = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        return kind(url.hostname, url.port, timeout=RECEIPT_TIMEOUT_SECONDS)


class GatewayRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a client session reuses its connection
    server_version = "sms-simulator/1"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one write, flushed after each request
    timeout = 60  # an idle keep-alive connection releases its thread after a minute
    server: GatewayServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        if self.server.config.verbose:
            super().log_message(format, *args)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self._send_json(HTTPStatus.LENGTH_REQUIRED, {"error": "content_length_required"}, close=True)
            return None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too_large"}, close=True)
            return None
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: dict | list, *, close: bool = False, headers=()) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
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

    def _unauthorized(self) -> None:
        self._send_json(
            HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"}, headers=[("WWW-Authenticate", "Bearer")]
        )

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        state = self.server.state
        if self._read_body() is None:
            return
        if url.path == "/_stats":
            self._send_json(HTTPStatus.OK, state.stats(receipts_pending=self.server.deliveries.pending()))
        elif url.path == "/_messages":
            self._send_json(HTTPStatus.OK, {"messages": state.listing(to=query.get("to"))})
        elif url.path == "/v1/messages" or url.path.startswith("/v1/messages/"):
            if not self._is_authorized():
                self._unauthorized()
                return
            message_id = url.path.removeprefix("/v1/messages").strip("/") or None
            if message_id is None and not query.get("client_ref"):
                self._send_json(HTTPStatus.BAD_REQUEST, {"error": "client_ref_required"})
                return
            record = state.find(message_id=message_id, client_ref=query.get("client_ref"))
            if record is None:
                self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})
            else:
                self._send_json(HTTPStatus.OK, record)
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self._read_body()
        if raw is None:
            return
        if path == "/v1/messages":
            status, payload = self._submit(raw)
            if self.server.config.latency_ms:
                time.sleep(self.server.config.latency_ms / 1000)
            if status == HTTPStatus.UNAUTHORIZED:
                self._unauthorized()
            else:
                self._send_json(status, payload)
        elif path == "/_reset":
            self.server.deliveries.clear()
            self.server.state.reset()
            self._send_json(HTTPStatus.OK, {"reset": True})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def _submit(self, raw: bytes) -> tuple[int, dict]:
        state, config = self.server.state, self.server.config
        state.count("submissions")
        if config.fail_5xx_rate and random.random() < config.fail_5xx_rate:
            state.count("unavailable")
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "unavailable"}
        if not self._is_authorized():
            state.count("unauthorized")
            return HTTPStatus.UNAUTHORIZED, {"error": "unauthorized"}
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return self._reject("invalid_json")
        to, body = payload.get("to"), payload.get("body")
        client_ref, sender = payload.get("client_ref"), payload.get("sender")
        if isinstance(to, str) and to.endswith(UNAVAILABLE_SUFFIX):
            state.count("unavailable")
            return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "unavailable"}
        if not isinstance(to, str) or not E164.fullmatch(to) or to.endswith(UNREACHABLE_SUFFIX):
            return self._reject("invalid_number")
        if not isinstance(body, str) or not body.strip():
            return self._reject("empty_body")
        if client_ref is not None and (not isinstance(client_ref, str) or not 0 < len(client_ref) <= 255):
            return self._reject("invalid_client_ref")
        if sender is not None and not isinstance(sender, str):
            return self._reject("invalid_sender")
        try:
            record, duplicate, generation = state.submit(
                to=to, body=body, client_ref=client_ref, sender=sender
            )
        except ClientRefConflict:
            return HTTPStatus.CONFLICT, {"error": "client_ref_conflict"}
        if not duplicate:
            self.server.deliveries.schedule(message_id=record["id"], generation=generation)
        return HTTPStatus.OK, {"id": record["id"], "status": record["status"], "duplicate": duplicate}

    def _reject(self, error: str) -> tuple[int, dict]:
        self.server.state.count("rejected")
        return HTTPStatus.BAD_REQUEST, {"error": error}


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up a stop
    request_queue_size = 1024  # a burst of new connections queues instead of being refused

    def __init__(self, address: tuple[str, int], config: SimulatorConfig):
        self.config = config
        self.state = GatewayState(config)
        self.deliveries = DeliveryScheduler(self.state, config)
        super().__init__(address, GatewayRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall on a host without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def server_close(self) -> None:
        super().server_close()
        self.state.close()


class SimulatorHandle:
    """A simulator serving from a background thread of this process (see start_in_thread)."""

    def __init__(self, server: GatewayServer):
        self.server = server
        host, port = server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    def stats(self) -> dict:
        return self.server.state.stats(receipts_pending=self.server.deliveries.pending())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


def start_in_thread(host: str = "127.0.0.1", port: int = 0, **config) -> SimulatorHandle:
    """Serve a simulator in this process (port 0: any free port; see handle.url). Config keywords are
    SimulatorConfig's fields."""
    return SimulatorHandle(GatewayServer((host, port), SimulatorConfig(**config)))


def _delay_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low) / 1000, float(high or low) / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sms_simulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025, help="0 picks a free port (printed at start)")
    parser.add_argument("--api-key", help="the bearer token clients must send (default: any token)")
    parser.add_argument("--receipt-url", help="where delivery receipts are POSTed")
    parser.add_argument("--receipt-secret", help="HMAC-SHA256 key of the receipts' X-Signature header")
    parser.add_argument("--receipt-delay-ms", type=_delay_range, default=(0.2, 1.0), metavar="MIN-MAX")
    parser.add_argument("--log", type=Path, help="append every accepted message here as a JSON line")
    parser.add_argument("--resume", action="store_true", help="reload the messages in --log at start")
    parser.add_argument("--fail-5xx-rate", type=float, default=0.0, help="share of submissions answered 503")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay of every submission's answer")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    config = SimulatorConfig(
        api_key=args.api_key,
        receipt_url=args.receipt_url,
        receipt_secret=args.receipt_secret,
        log_path=args.log,
        fail_5xx_rate=args.fail_5xx_rate,
        latency_ms=args.latency_ms,
        receipt_delay_seconds=args.receipt_delay_ms,
        resume=args.resume,
        verbose=args.verbose,
    )
    server = GatewayServer((args.host, args.port), config)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    host, port = server.server_address[:2]
    print(f"sms-simulator listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
