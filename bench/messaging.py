"""The messaging figures for `make bench`: a campaign to N recipients end to end (listing, rendering, rules,
real Celery workers) into the SMS gateway simulator and into the SMTP sink: time to the first message and
messages per second, beside a baseline of N bare INSERT + UPDATE round trips in the same run (the least
database work a durable outbox needs per message)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVTOOLS = ROOT / "crm" / "messaging" / "devtools"
DEALER_CODE = "BENCH-MSG"


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_port(port: int, timeout: float = 15) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _audience(recipients: int, out):
    """A dealer with `recipients` customers opted in to SMS and email marketing (made once, then reused)."""
    from django.contrib.auth import get_user_model

    from crm.core.scope import network_wide
    from crm.customers.management.scale.audience import audience_create
    from crm.customers.models import CustomerDealer
    from crm.network.models import Dealer, Region, Role, RoleAssignment

    with network_wide(reason="bench: messaging audience"):
        region = Region.objects.order_by("id").first() or Region.objects.create(name="Bench", code="BENCH")
        dealer, _ = Dealer.objects.get_or_create(
            code=DEALER_CODE, defaults={"name": "Bench messaging 4S", "region": region, "city": "上海"}
        )
        have = CustomerDealer.objects.filter(dealer=dealer).count()
        if have < recipients:
            started = time.perf_counter()
            audience_create(
                dealer=dealer,
                count=recipients - have,
                channels=("sms", "email"),
                start=have,
                phone_prefix="+86177",
            )
            out(
                f"  audience: {recipients - have:,} opted-in customers added in {time.perf_counter() - started:.1f} s"
            )
        users = []
        for role in (Role.SALES_MANAGER, Role.DEALER_ADMIN):
            user, _ = get_user_model().objects.get_or_create(username=f"bench.msg.{role}")
            RoleAssignment.objects.get_or_create(user=user, role=role, dealer=dealer)
            users.append(user)
    return dealer, users


def _baseline(count: int) -> float:
    """Seconds for `count` INSERT + UPDATE round trips, each its own statement and commit."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_outbox (id bigserial PRIMARY KEY, status text, body text)"
        )
        started = time.perf_counter()
        for n in range(count):
            cursor.execute(
                "INSERT INTO bench_outbox (status, body) VALUES ('queued', %s) RETURNING id", [f"m{n}"]
            )
            row_id = cursor.fetchone()[0]
            cursor.execute("UPDATE bench_outbox SET status = 'sent' WHERE id = %s", [row_id])
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_outbox")
    return elapsed


def _peers(directory: Path) -> tuple[list[subprocess.Popen], dict]:
    sms_port, smtp_port, http_port = _free_port(), _free_port(), _free_port()
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(DEVTOOLS / "sms_simulator.py"),
                "--port",
                str(sms_port),
                "--api-key",
                "bench",
            ],
            stdout=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                sys.executable,
                str(DEVTOOLS / "smtp_sink.py"),
                "--port",
                str(smtp_port),
                "--dir",
                str(directory),
                "--http-port",
                str(http_port),
            ],
            stdout=subprocess.DEVNULL,
        ),
    ]
    for port in (sms_port, smtp_port, http_port):
        _wait_port(port)
    return processes, {
        "SMS_PROVIDER_URL": f"http://127.0.0.1:{sms_port}",
        "SMS_PROVIDER_KEY": "bench",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }


def bench_messaging(*, recipients: int, out, workers: int = 2) -> None:
    import tempfile

    from celery import current_app
    from django.db.models import Count, Max, Min

    from crm.core.scope import network_wide
    from crm.messaging.models import Campaign, MessageTemplate, OutboxMessage, Segment
    from crm.messaging.services.campaigns import campaign_approve, campaign_create, campaign_submit

    out(f"## messaging: a campaign to {recipients:,} recipients, end to end ({workers} worker processes)")
    dealer, (creator, approver) = _audience(recipients, out)
    baseline = _baseline(recipients)
    out(
        f"  baseline: {recipients:,} INSERT+UPDATE round trips in {baseline:.1f} s = {recipients / baseline:,.0f}/s"
    )
    out(f"  {'channel':<8}{'first message s':>16}{'all done s':>12}{'messages/s':>12}{'vs baseline':>13}")
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as mail_dir:
        peers, peer_env = _peers(Path(mail_dir))
        env = {
            **os.environ,
            **peer_env,
            "CELERY_QUEUE": queue,
            "MESSAGING_QUIET_HOURS": "00:00-00:00",
            "MESSAGING_FREQUENCY_CAP": "100000000",
            "DJANGO_SETTINGS_MODULE": "crm.settings",
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                "-Q",
                queue,
                f"--concurrency={workers}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        try:
            # Time to the first message starts at approval, not at the worker's boot.
            deadline = time.monotonic() + 120
            while not current_app.control.ping(timeout=1.0) and time.monotonic() < deadline:
                pass
            for channel in ("sms", "email"):
                with network_wide(reason="bench: campaign"):
                    template = MessageTemplate.objects.create(
                        dealer=dealer,
                        name=f"bench {channel}",
                        channel=channel,
                        purpose="marketing",
                        subject_zh="冬季关怀",
                        body_zh="{{ customer.name }}，您好！{{ dealer.name }} 冬季免费检测，欢迎预约。",
                    )
                    segment = Segment.objects.create(
                        dealer=dealer, name=f"bench {channel}", filters={"marketing_consent": channel}
                    )
                    campaign = campaign_create(
                        by=creator,
                        name=f"bench {channel}",
                        segment=segment,
                        template=template,
                        scheduled_at=None,
                    )
                    campaign_submit(campaign=campaign, by=creator)
                started = time.perf_counter()
                with network_wide(reason="bench: campaign"):
                    campaign_approve(campaign=campaign, by=approver)
                first = None
                ticked = time.monotonic()
                while True:
                    time.sleep(0.5)
                    if time.monotonic() - ticked > 10:  # beat's tick, as in production: re-wakes lost work
                        current_app.send_task("crm.messaging.tasks.messaging_tick")
                        ticked = time.monotonic()
                    with network_wide(reason="bench: progress"):
                        counts = dict(
                            OutboxMessage.objects.filter(campaign=campaign)
                            .values_list("status")
                            .annotate(n=Count("id"))
                        )
                        if first is None and counts.get("sent"):
                            first = OutboxMessage.objects.filter(campaign=campaign).aggregate(Min("sent_at"))
                    done = sum(counts.values())
                    if done >= recipients and not counts.get("queued") and not counts.get("sending"):
                        break
                    if time.perf_counter() - started > 3600:
                        raise RuntimeError(f"campaign did not finish: {counts}")
                with network_wide(reason="bench: progress"):
                    spans = OutboxMessage.objects.filter(campaign=campaign).aggregate(
                        Min("sent_at"), Max("sent_at")
                    )
                    approved_at = Campaign.objects.get(id=campaign.id).approved_at
                first_s = (spans["sent_at__min"] - approved_at).total_seconds()
                total_s = (spans["sent_at__max"] - approved_at).total_seconds()
                rate = counts.get("sent", 0) / total_s
                out(
                    f"  {channel:<8}{first_s:>16.2f}{total_s:>12.1f}{rate:>12,.0f}"
                    f"{(recipients / baseline) / rate:>12.1f}×   ({counts})"
                )
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
            for peer in peers:
                peer.terminate()
            import redis
            from django.conf import settings

            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(queue)
