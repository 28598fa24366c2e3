"""The messaging figures for `make bench`: a campaign to N recipients end to end (listing, rendering, rules,
real Celery workers) into the SMS gateway simulator and into the SMTP sink: time to the first message and
messages per second, beside a baseline of N bare INSERT + UPDATE round trips in the same run (the least
database work a durable outbox needs per message). Then a staff reminder's delay (due -> sent) and a one-off
SMS's on the campaign's own channel while an N-message SMS campaign sends, beside the same delays with no
campaign, in the same run, with a worker per queue as in production (crm/celery.py)."""

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
    from crm.celery import queue_names

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
                ",".join(queue_names(queue)),
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

            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*queue_names(queue))


def _worker(*, queues: list[str], concurrency: int, name: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "-Q",
            ",".join(queues),
            "-n",
            f"{name}@%h",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def _wait_sent(key: str, timeout: float = 600):
    """The sent_at of the outbox row `key`, polled every 50 ms."""
    from crm.core.scope import network_wide
    from crm.messaging.models import OutboxMessage

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with network_wide(reason="bench: probe"):
            row = OutboxMessage.objects.filter(idempotency_key=key).values("status", "sent_at").first()
        if row and row["sent_at"]:
            return row["sent_at"]
        if row and row["status"] in ("failed", "suppressed"):
            raise RuntimeError(f"probe {key} ended {row['status']}")
        time.sleep(0.05)
    raise RuntimeError(f"probe {key} was not sent within {timeout:.0f} s")


def _probe_reminder(seller, dealer, number: int) -> float:
    """A follow-up comes due; beat's scan task is sent (as at the minute it falls in); seconds until the
    owner's reminder email is sent: the scan (realtime queue), staff_notify, the sender (realtime queue)."""
    from datetime import timedelta

    from celery import current_app
    from django.utils import timezone

    from crm.core.scope import network_wide, scoped
    from crm.network.access import access_for
    from leads.models import FollowUp
    from leads.services import visit_log

    with scoped(access_for(seller).scope):
        lead = visit_log(by=seller, dealer=dealer, phone=f"+86136{number:08d}", name=f"提醒探针{number}").lead
    with network_wide(reason="bench: probe"):
        follow_up = FollowUp.objects.get(lead=lead, done_at__isnull=True)
        FollowUp.objects.filter(id=follow_up.id).update(due_at=timezone.now() + timedelta(minutes=10))
    due = timezone.now()
    current_app.send_task("leads.tasks.staff_reminders")
    return (_wait_sent(f"staff:followup-due:{follow_up.id}") - due).total_seconds()


def _probe_sms(dealer, number: int) -> float:
    """A salesperson's text to a customer (a one-off service SMS, the campaign's own channel): seconds from
    its row being committed (due at once) to sent."""
    from django.db import transaction

    from crm.core.scope import network_wide
    from crm.messaging.services.outbox import message_enqueue

    key = f"bench-one-off:{uuid.uuid4().hex}"
    with network_wide(reason="bench: probe"), transaction.atomic():
        message = message_enqueue(
            idempotency_key=key,
            kind="bench.one_off",
            channel="sms",
            purpose="service",
            recipient=f"+86135{number:06d}17",
            body_text="您预约的试驾在今天下午三点。",
            dealer_id=dealer.id,
        )
    return (_wait_sent(key) - message.scheduled_at).total_seconds()


def bench_reminder_delay(*, recipients: int, out, probes: int = 10, sms_per_second: int = 500) -> None:
    """Staff reminders and one-off SMS while an SMS campaign to `recipients` sends, beside the same with no
    campaign, with a worker per queue as docker-compose.yml runs them (default 1, realtime 1, bulk 2). The
    SMS gateway takes `sms_per_second` (a real gateway's contract; 0: as fast as the simulator goes), so the
    listing runs ahead of the sending and tens of thousands of campaign rows wait on the channel, as they
    would in production."""
    import statistics
    import tempfile

    import redis
    from celery import current_app
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from crm.celery import BULK, REALTIME, queue_name, queue_names
    from crm.core.scope import network_wide
    from crm.customers.management.commands.seed_scale import scale_analyze
    from crm.messaging.models import Campaign, MessageTemplate, OutboxMessage, Segment
    from crm.messaging.services.campaigns import campaign_approve, campaign_create, campaign_submit
    from crm.network.models import Role, RoleAssignment

    out(
        f"## reminder delay while an SMS campaign to {recipients:,} recipients sends (a worker per queue; "
        f"SMS gateway limit {sms_per_second or 'none'}/s)"
    )
    dealer, (creator, approver) = _audience(recipients, out)
    scale_analyze(log=lambda line: None)  # fresh rows: without statistics identity matching plans badly
    with network_wide(reason="bench: reminder owner"):
        seller, _ = get_user_model().objects.get_or_create(
            username="bench.msg.sales", defaults={"email": "bench.sales@example.cn"}
        )
        RoleAssignment.objects.get_or_create(user=seller, role=Role.SALESPERSON, dealer=dealer)
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    current_app.conf.task_default_queue = queue
    rows: list[tuple[str, list[float]]] = []
    probe_number = int(time.time()) % 10**6 * 100
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as mail_dir:
        peers, peer_env = _peers(Path(mail_dir))
        env = {
            **os.environ,
            **peer_env,
            "CELERY_QUEUE": queue,
            "MESSAGING_QUIET_HOURS": "00:00-00:00",
            "MESSAGING_FREQUENCY_CAP": "100000000",
            "MESSAGING_SMS_PER_SECOND": str(sms_per_second),
            "DJANGO_SETTINGS_MODULE": "crm.settings",
        }
        workers = [
            _worker(queues=[queue_name(None, base=queue)], concurrency=1, name="default", env=env),
            _worker(queues=[queue_name(REALTIME, base=queue)], concurrency=1, name="realtime", env=env),
            _worker(queues=[queue_name(BULK, base=queue)], concurrency=2, name="bulk", env=env),
        ]
        try:
            deadline = time.monotonic() + 120
            while len(current_app.control.ping(timeout=1.0)) < len(workers) and time.monotonic() < deadline:
                pass

            def probe_round(label: str, keep_going=lambda: True, count: int = probes, spacing: float = 0.5):
                reminders, texts = [], []
                for _ in range(count):
                    if not keep_going():
                        break
                    nonlocal probe_number
                    probe_number += 1
                    reminders.append(_probe_reminder(seller, dealer, probe_number))
                    texts.append(_probe_sms(dealer, probe_number))
                    time.sleep(spacing)
                rows.append((f"staff reminder (email), {label}", reminders))
                rows.append((f"one-off SMS (service), {label}", texts))

            _probe_reminder(seller, dealer, probe_number)  # warm-up: first imports and connections
            probe_round("no campaign")

            with network_wide(reason="bench: campaign"):
                template = MessageTemplate.objects.create(
                    dealer=dealer,
                    name="bench reminder delay",
                    channel="sms",
                    purpose="marketing",
                    body_zh="{{ customer.name }}，您好！{{ dealer.name }} 冬季免费检测，欢迎预约。",
                )
                segment = Segment.objects.create(
                    dealer=dealer, name="bench reminder delay", filters={"marketing_consent": "sms"}
                )
                campaign = campaign_create(
                    by=creator, name="bench reminder delay", segment=segment, template=template, scheduled_at=None
                )
                campaign_submit(campaign=campaign, by=creator)
                campaign_approve(campaign=campaign, by=approver)

            def ahead() -> int:
                with network_wide(reason="bench: progress"):
                    return OutboxMessage.objects.filter(campaign=campaign, status="queued").count()

            # Probe once the campaign is really sending: its first messages out, its listing under way.
            while True:
                with network_wide(reason="bench: progress"):
                    if OutboxMessage.objects.filter(campaign=campaign, status="sent").exists():
                        break
                time.sleep(0.2)
            backlog = [ahead()]
            started = time.monotonic()
            def sending() -> bool:
                backlog.append(ahead())
                with network_wide(reason="bench: progress"):
                    return Campaign.objects.filter(id=campaign.id, status=Campaign.Status.SENDING).exists()

            # Spread over the campaign's whole run (probes three times as many, a few seconds apart).
            probe_round("campaign sending", keep_going=sending, count=probes * 3, spacing=4.0)
            probes_done = time.monotonic() - started
            ticked = time.monotonic()
            while True:
                with network_wide(reason="bench: progress"):
                    current = Campaign.objects.get(id=campaign.id)
                    waiting = OutboxMessage.objects.filter(
                        campaign=campaign, status__in=("queued", "sending")
                    ).exists()
                if current.snapshot_done_at and not waiting:
                    break
                if time.monotonic() - ticked > 10:  # beat's tick, as in production
                    current_app.send_task("crm.messaging.tasks.messaging_tick")
                    ticked = time.monotonic()
                time.sleep(1)
            from django.db.models import Count, Max

            with network_wide(reason="bench: progress"):
                counts = dict(
                    OutboxMessage.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
                )
                last = OutboxMessage.objects.filter(campaign=campaign).aggregate(Max("sent_at"))["sent_at__max"]
                approved_at = Campaign.objects.get(id=campaign.id).approved_at
        finally:
            for worker in workers:
                worker.terminate()  # the main process only: it shuts its pool down warmly
            for worker in workers:
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
            for peer in peers:
                peer.terminate()
            redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(*queue_names(queue))

    out(f"  {'what':<46}{'probes':>7}{'p50 s':>8}{'p95 s':>8}{'max s':>8}")
    for label, values in rows:
        if values:
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
            out(f"  {label:<46}{len(values):>7}{statistics.median(values):>8.2f}{p95:>8.2f}{max(values):>8.2f}")
    total = (last - approved_at).total_seconds()
    out(
        f"  campaign: {counts.get('sent', 0):,} sent in {total:.0f} s ({counts.get('sent', 0) / total:,.0f}/s), "
        f"{counts}; the probes ran {probes_done:.0f} s with {min(backlog):,}–{max(backlog):,} campaign rows "
        "queued on the same channel"
    )
    out("  due = the scan task sent for a follow-up that just came due (reminder) / the row committed (SMS);")
    out("  sent = the outbox row's sent_at. Before the lanes a one-off SMS queued behind every campaign row.")
