"""An SMTP server that delivers nothing and keeps everything, for development and tests.

    python -m crm.messaging.devtools.smtp_sink --port 1025 --dir var/mail --http-port 1080

Every mail is written to --dir as `<UTC time>-<sequence>.eml` (the message as received, after a
`Return-Path` and an `X-Envelope-To` header naming the envelope's sender and recipients). Mails already
in the directory at start are counted too, so a restarted sink still sees the duplicates sent before.
It accepts SMTPUTF8 and 8BITMIME, and any AUTH (plain connection) so a client configured with a user
and password works unchanged.

With --http-port, a status server answers:
    GET  /                the mails, newest first, as an HTML page
    GET  /<name>.html     one mail decoded (headers, text part, HTML part)
    GET  /<name>.eml      one mail as stored
    GET  /_stats          {"messages", "by_rcpt", "by_message_id", "duplicates"}
    GET  /_messages       the mails' headers as JSON
    POST /_reset          deletes the stored mails and forgets the counts
`by_message_id` counts mails per X-CRM-Outbox-Key header, or per Message-ID for a mail without one.

Tests can run it in-process: `handle = start_in_thread("127.0.0.1", 0, tmp_path)`, then `handle.port`,
`handle.stats()`, `handle.messages()`, `handle.stop()`.

No Django (stdlib and aiosmtpd only), so it starts fast when run by file path.
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import re
import signal
import socketserver
import threading
from collections import Counter
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
MAIL_NAME = re.compile(r"(\d{8}T\d{6}\.\d{6}Z)-(\d{6,})\.eml")


class _WithoutLoginDataWarning(logging.Filter):
    """aiosmtpd 1.4 warns that its own legacy Session.login_data is deprecated on every AUTH it accepts."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_WithoutLoginDataWarning())


class Mailbox:
    """The mails in the directory and their counts, behind one lock."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.entries: list[dict] = []
        self.by_rcpt: Counter[str] = Counter()
        self.by_message_id: Counter[str] = Counter()
        self.sequence = 0
        for path in sorted(self.directory.iterdir()):
            if MAIL_NAME.fullmatch(path.name):
                self._index(path.name, path.read_bytes())
                self.sequence = max(self.sequence, int(MAIL_NAME.fullmatch(path.name).group(2)))

    def deliver(self, *, mail_from: str, rcpt_tos: list[str], content: bytes) -> str:
        """Store one mail (written to a temporary name, then renamed: a reader never sees half a file)."""
        envelope = f"Return-Path: <{mail_from}>\r\nX-Envelope-To: {', '.join(rcpt_tos)}\r\n"
        raw = envelope.encode("utf-8") + content
        with self.lock:
            self.sequence += 1
            name = f"{datetime.now(UTC).strftime(STAMP_FORMAT)}-{self.sequence:06d}.eml"
            temporary = self.directory / f".{name}.part"
            temporary.write_bytes(raw)
            temporary.replace(self.directory / name)
            self._index(name, raw)
        return name

    def _index(self, name: str, raw: bytes) -> None:
        headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
        rcpt = [
            address.strip() for address in str(headers.get("X-Envelope-To", "")).split(",") if address.strip()
        ]
        entry = {
            "name": name,
            "received_at": datetime.strptime(MAIL_NAME.fullmatch(name).group(1), STAMP_FORMAT)
            .replace(tzinfo=UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "subject": _header(headers, "Subject"),
            "from": _header(headers, "From"),
            "to": _header(headers, "To"),
            "rcpt": rcpt,
            "message_id": _header(headers, "Message-ID"),
            "outbox_key": _header(headers, "X-CRM-Outbox-Key"),
            "size": len(raw),
        }
        self.entries.append(entry)
        self.by_rcpt.update(rcpt)
        key = entry["outbox_key"] or entry["message_id"]
        if key:
            self.by_message_id[key] += 1

    def stats(self) -> dict:
        with self.lock:
            return {
                "messages": len(self.entries),
                "by_rcpt": dict(self.by_rcpt),
                "by_message_id": dict(self.by_message_id),
                "duplicates": sum(count - 1 for count in self.by_message_id.values()),
            }

    def messages(self) -> list[dict]:
        with self.lock:
            return [dict(entry) for entry in self.entries]

    def raw(self, name: str) -> bytes | None:
        with self.lock:
            if not any(entry["name"] == name for entry in self.entries):
                return None  # only names the sink wrote: nothing else in or above the directory is served
            return (self.directory / name).read_bytes()

    def reset(self) -> None:
        with self.lock:
            for entry in self.entries:
                (self.directory / entry["name"]).unlink(missing_ok=True)
            self.entries.clear()
            self.by_rcpt.clear()
            self.by_message_id.clear()


def _header(headers, name: str) -> str:
    value = headers.get(name)
    return str(value) if value is not None else ""


class SinkHandler:
    """aiosmtpd handler: every mail goes to the mailbox."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.mailbox.deliver(
            mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos, content=envelope.content
        )
        return "250 OK: kept by the sink"


def _accept_any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=True)


class _SinkController(Controller):
    """aiosmtpd's Controller, also on port 0 (any free port, read back before the start-up probe)."""

    def _trigger_server(self) -> None:
        if not self.port:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class StatusRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "smtp-sink/1"
    sys_version = ""
    disable_nagle_algorithm = True
    wbufsize = -1
    timeout = 60
    server: StatusServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status: int, payload: dict | list) -> None:
        self._send(
            status, json.dumps(payload, ensure_ascii=False).encode(), "application/json; charset=utf-8"
        )

    def _drain(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def do_GET(self) -> None:
        self._drain()
        mailbox = self.server.mailbox
        path = unquote(urlsplit(self.path).path)
        if path == "/_stats":
            self._send_json(HTTPStatus.OK, mailbox.stats())
        elif path == "/_messages":
            self._send_json(HTTPStatus.OK, {"messages": mailbox.messages()})
        elif path == "/":
            self._send(HTTPStatus.OK, render_index(mailbox.messages()).encode(), "text/html; charset=utf-8")
        elif path.endswith((".eml", ".html")) and (
            raw := mailbox.raw(path.lstrip("/").rsplit(".", 1)[0] + ".eml")
        ):
            if path.endswith(".eml"):
                self._send(HTTPStatus.OK, raw, "text/plain; charset=utf-8")
            else:
                self._send(
                    HTTPStatus.OK, render_mail(path.lstrip("/"), raw).encode(), "text/html; charset=utf-8"
                )
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    def do_POST(self) -> None:
        self._drain()
        if urlsplit(self.path).path == "/_reset":
            self.server.mailbox.reset()
            self._send_json(HTTPStatus.OK, {"reset": True})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})


class StatusServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], mailbox: Mailbox):
        self.mailbox = mailbox
        super().__init__(address, StatusRequestHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # without HTTPServer's host name lookup
        self.server_name, self.server_port = self.server_address[:2]


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title><style>
body{{font:14px system-ui,sans-serif;margin:1.5em}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}}
pre{{white-space:pre-wrap;background:#f6f6f6;padding:8px}} iframe{{width:100%;height:30em;border:1px solid #ccc}}
</style></head><body>{body}</body></html>"""


def render_index(entries: list[dict]) -> str:
    rows = "".join(
        "<tr><td>{time}</td><td>{sender}</td><td>{to}</td><td><a href='/{view}'>{subject}</a></td>"
        "<td><a href='/{name}'>raw</a> {size} B</td></tr>".format(
            time=html.escape(entry["received_at"]),
            sender=html.escape(entry["from"]),
            to=html.escape(", ".join(entry["rcpt"]) or entry["to"]),
            view=html.escape(entry["name"].removesuffix(".eml") + ".html"),
            subject=html.escape(entry["subject"] or "(no subject)"),
            name=html.escape(entry["name"]),
            size=entry["size"],
        )
        for entry in reversed(entries)
    )
    body = (
        f"<h1>SMTP sink: {len(entries)} mail(s)</h1><table><tr><th>Received (UTC)</th><th>From</th>"
        f"<th>To</th><th>Subject</th><th></th></tr>{rows}</table>"
    )
    return PAGE.format(title="SMTP sink", body=body)


def render_mail(name: str, raw: bytes) -> str:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    header_rows = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in message.items()
    )
    parts = []
    text = message.get_body(preferencelist=("plain",))
    if text is not None:
        parts.append(f"<h2>Text</h2><pre>{html.escape(text.get_content())}</pre>")
    rich = message.get_body(preferencelist=("html",))
    if rich is not None:
        # srcdoc in a sandbox without scripts: the mail's HTML renders but runs nothing.
        parts.append(f"<h2>HTML</h2><iframe sandbox srcdoc='{html.escape(rich.get_content())}'></iframe>")
    attachments = [
        html.escape(part.get_filename() or part.get_content_type()) for part in message.iter_attachments()
    ]
    if attachments:
        parts.append(f"<h2>Attachments</h2><p>{', '.join(attachments)}</p>")
    raw_name = html.escape(name.removesuffix(".html") + ".eml")
    body = f"<p><a href='/'>All mails</a> · <a href='/{raw_name}'>raw</a></p><table>{header_rows}</table>{''.join(parts)}"
    return PAGE.format(title=html.escape(str(message.get("Subject", ""))), body=body)


class SinkHandle:
    """A running sink: SMTP on .port, the status server (if any) on .http_url."""

    def __init__(self, host: str, port: int, directory, http_port: int | None = None):
        self.mailbox = Mailbox(directory)
        self.directory = self.mailbox.directory
        self._controller = _SinkController(
            SinkHandler(self.mailbox),
            hostname=host,
            port=port,
            server_hostname="smtp-sink",  # not the machine's FQDN: no DNS lookup at start
            enable_SMTPUTF8=True,
            decode_data=False,
            authenticator=_accept_any_login,
            auth_require_tls=False,
        )
        self._controller.start()
        self.host, self.port = host, self._controller.port
        self._status_server = None
        self.http_url = None
        if http_port is not None:
            self._status_server = StatusServer((host, http_port), self.mailbox)
            self.http_url = f"http://{host}:{self._status_server.server_address[1]}"
            threading.Thread(target=self._status_server.serve_forever, args=(0.1,), daemon=True).start()

    def stats(self) -> dict:
        return self.mailbox.stats()

    def messages(self) -> list[dict]:
        return self.mailbox.messages()

    def reset(self) -> None:
        self.mailbox.reset()

    def stop(self) -> None:
        if self._status_server is not None:
            self._status_server.shutdown()
            self._status_server.server_close()
            self._status_server = None
        self._controller.stop()


def start_in_thread(host: str, port: int, directory, http_port: int | None = None) -> SinkHandle:
    """Run a sink in background threads of this process; port or http_port 0 picks a free port."""
    return SinkHandle(host, port, directory, http_port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="smtp_sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025, help="SMTP port; 0 picks a free one (printed)")
    parser.add_argument("--dir", type=Path, default=Path("var/mail"), help="where the .eml files go")
    parser.add_argument("--http-port", type=int, help="serve the status pages and /_stats on this port")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="smtp-sink: %(message)s")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    handle = start_in_thread(args.host, args.port, args.dir, args.http_port)
    print(
        f"smtp-sink listening on smtp://{handle.host}:{handle.port}, mails in {handle.directory}", flush=True
    )
    if handle.http_url:
        print(f"smtp-sink status on {handle.http_url}/", flush=True)
    while not stopped.wait(0.5):
        pass
    handle.stop()


if __name__ == "__main__":
    main()
