"""The messaging app's peers as real processes, for integration and chaos tests: the SMS gateway simulator
and the SMTP sink (crm/messaging/devtools).

    with sms_simulator_process(receipt_url=..., receipt_secret="s") as sms_url:
        ...  # settings.SMS_PROVIDER_URL = sms_url, key SMS_API_KEY; stats(sms_url)["messages"]
    with smtp_sink_process() as (smtp_port, sink_url):
        ...  # EMAIL_PORT = smtp_port; stats(sink_url)["by_message_id"]

Both context managers yield base URLs of the peer's HTTP side, where `stats(url)` and `reset(url)` work the
same way for either peer. For chaos tests, `start_sms_simulator()` / `start_smtp_sink()` return the
PeerProcess itself, which can be killed (`kill()`, SIGKILL) and started again on the same ports
(`restart()`).

The peers run by file path, not with `python -m crm.…`: importing the `crm` package loads Celery and
Django (~0.4 s); the devtools themselves need neither.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPOSITORY = Path(__file__).resolve().parents[2]
DEVTOOLS = REPOSITORY / "crm" / "messaging" / "devtools"
HOST = "127.0.0.1"
SMS_API_KEY = "test-sms-key"


class PeerFailed(RuntimeError):
    pass


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now (another process may still take it before we bind: callers that
    start a peer on it retry on a new port if the peer cannot bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_for_port(
    host: str, port: int, *, timeout: float = 10.0, process: subprocess.Popen | None = None
) -> None:
    """Wait until host:port accepts TCP connections; fail early if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while not port_accepts(host, port):
        if process is not None and process.poll() is not None:
            raise PeerFailed(f"exited with {process.returncode} before listening on {host}:{port}")
        if time.monotonic() > deadline:
            raise PeerFailed(f"nothing listening on {host}:{port} after {timeout} s")
        time.sleep(0.02)


@dataclass
class PeerProcess:
    """One peer process. `ports` maps a role ("http", "smtp") to a port; unset ports are picked free at
    each start, set ones are kept across restarts."""

    name: str
    command: Callable[[dict[str, int]], list[str]]
    ports: dict[str, int | None]
    host: str = HOST
    process: subprocess.Popen | None = None
    _log: Path | None = None
    _fixed_ports: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._fixed_ports = {role for role, port in self.ports.items() if port}

    def start(self, *, attempts: int = 3) -> PeerProcess:
        for attempt in range(attempts):
            for role in self.ports:
                if role not in self._fixed_ports and (attempt or not self.ports[role]):
                    self.ports[role] = free_port(self.host)
            if self._log is None:
                handle, path = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".log")
                os.close(handle)
                self._log = Path(path)
            with self._log.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, *self.command(self.ports)],
                    cwd=REPOSITORY,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            try:
                for port in self.ports.values():
                    wait_for_port(self.host, port, process=self.process)
                return self
            except PeerFailed as error:
                self.stop()
                # Another process took a port between free_port() and the bind: try fresh ports.
                if "in use" not in self.output() or self._fixed_ports or attempt == attempts - 1:
                    raise PeerFailed(f"{self.name}: {error}\n{self.output()}") from None
        raise AssertionError("unreachable")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def output(self) -> str:
        return self._log.read_text(errors="replace") if self._log and self._log.exists() else ""

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout`."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no clean-up in the peer, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self) -> PeerProcess:
        """Stop and start again on the same ports (they are fixed from now on)."""
        self.stop()
        self._fixed_ports = set(self.ports)
        return self.start()

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.unlink(missing_ok=True)


class SmsSimulatorProcess(PeerProcess):
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.ports['http']}"


class SmtpSinkProcess(PeerProcess):
    directory: Path

    @property
    def smtp_port(self) -> int:
        return self.ports["smtp"]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.ports['http']}"


def start_sms_simulator(
    *,
    port: int | None = None,
    api_key: str | None = SMS_API_KEY,
    receipt_url: str | None = None,
    receipt_secret: str | None = None,
    receipt_delay_ms: tuple[int, int] | None = None,
    log_path: str | os.PathLike | None = None,
    resume: bool = False,
    fail_5xx_rate: float = 0.0,
    latency_ms: int = 0,
    extra_args: tuple[str, ...] = (),
) -> SmsSimulatorProcess:
    """Start the SMS simulator and wait until it listens. Options are its command-line options."""

    def command(ports: dict[str, int]) -> list[str]:
        argv = [str(DEVTOOLS / "sms_simulator.py"), "--host", HOST, "--port", str(ports["http"])]
        options = {
            "--api-key": api_key,
            "--receipt-url": receipt_url,
            "--receipt-secret": receipt_secret,
            "--receipt-delay-ms": "-".join(map(str, receipt_delay_ms)) if receipt_delay_ms else None,
            "--log": log_path,
            "--fail-5xx-rate": fail_5xx_rate or None,
            "--latency-ms": latency_ms or None,
        }
        argv += [
            item for option, value in options.items() if value is not None for item in (option, str(value))
        ]
        return argv + (["--resume"] if resume else []) + list(extra_args)

    return SmsSimulatorProcess("sms-simulator", command, {"http": port}).start()


def start_smtp_sink(
    *, directory: str | os.PathLike, port: int | None = None, http_port: int | None = None
) -> SmtpSinkProcess:
    """Start the SMTP sink (with its status server) and wait until both ports listen."""

    def command(ports: dict[str, int]) -> list[str]:
        return [
            str(DEVTOOLS / "smtp_sink.py"),
            *("--host", HOST, "--port", str(ports["smtp"])),
            *("--dir", str(directory), "--http-port", str(ports["http"])),
        ]

    sink = SmtpSinkProcess("smtp-sink", command, {"smtp": port, "http": http_port})
    sink.directory = Path(directory)
    return sink.start()


@contextlib.contextmanager
def sms_simulator_process(**options) -> Iterator[str]:
    """The simulator's base URL while the block runs (options: see start_sms_simulator)."""
    simulator = start_sms_simulator(**options)
    try:
        yield simulator.url
    finally:
        simulator.close()


@contextlib.contextmanager
def smtp_sink_process(directory: str | os.PathLike | None = None, **options) -> Iterator[tuple[int, str]]:
    """(SMTP port, base URL of the status server: stats(url), reset(url), url + "/") while the block runs.
    Mails go to `directory`, or to a temporary directory removed afterwards."""
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="smtp-sink-"))
        sink = start_smtp_sink(directory=directory, **options)
        stack.callback(sink.close)
        yield sink.smtp_port, sink.url


def request(
    method: str, url: str, payload: dict | None = None, *, headers: dict | None = None, timeout: float = 5.0
) -> tuple[int, dict | str]:
    """One HTTP request (a new connection, no proxies); the status and the JSON (or text) answer."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body,
            all_headers | (headers or {}),
        )
        response = connection.getresponse()
        raw = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(raw) if is_json else raw.decode("utf-8", "replace")
    finally:
        connection.close()


def stats(url: str) -> dict:
    """GET <url>/_stats of either peer."""
    status, answer = request("GET", f"{url}/_stats")
    assert status == 200, (status, answer)
    return answer


def reset(url: str) -> None:
    """POST <url>/_reset of either peer: forget every message."""
    status, answer = request("POST", f"{url}/_reset", {})
    assert status == 200, (status, answer)


def wait_until(condition: Callable[[], object], *, timeout: float = 5.0, interval: float = 0.05):
    """Poll until condition() is truthy; return its value, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {condition}")
        time.sleep(interval)


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RecordingServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        recorder = self.server
        with recorder.lock:
            recorder.requests.append(RecordedRequest("POST", self.path, dict(self.headers.items()), body))
            status = recorder.statuses.pop(0) if recorder.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address):
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.statuses: list[int] = []  # answers for the next requests, then 200
        super().__init__(address, _RecordingHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # without HTTPServer's host name lookup
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


@contextlib.contextmanager
def recording_http_server(*, statuses: tuple[int, ...] = ()) -> Iterator[RecordingServer]:
    """A local HTTP server that records every POST (for example, delivery receipts) and answers the given
    statuses in turn, then 200."""
    server = RecordingServer((HOST, 0))
    server.statuses = list(statuses)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
