"""The Celery app, next to the settings. Tasks are short wake-up calls for work recorded in PostgreSQL.

Three queues, named after the default one (CELERY_QUEUE, "crm"): "crm.realtime" for what a person is waiting
on (staff reminders and SLA escalations, the outbox's one-off messages, click-to-call, the messaging tick
that re-wakes lost work), "crm.bulk" for long runs (a campaign's listing and sending, care programmes' days,
the nightly facts), "crm" for the rest. Production runs a worker per queue (Procfile, docker-compose.yml), so
a 100,000-message campaign keeps the bulk worker busy and never the realtime one; a worker started with
`-Q` and all three names (`queue_names()`) does everything, as the tests' workers do.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

REALTIME, BULK = "realtime", "bulk"
# Which queue each task goes to (by task name); a task not named here goes to the default queue.
TASK_LANES = {
    "crm.messaging.tasks.outbox_deliver": REALTIME,
    "crm.messaging.tasks.messaging_tick": REALTIME,
    "crm.messaging.tasks.call_place": REALTIME,
    "leads.tasks.staff_reminders": REALTIME,
    "leads.tasks.sla_breaches_mark": REALTIME,
    "service.care.tasks.complaints_escalate": REALTIME,
    "dealers.tasks.findings_escalate": REALTIME,
    "crm.messaging.tasks.outbox_deliver_bulk": BULK,
    "crm.messaging.tasks.campaign_snapshot": BULK,
    "crm.messaging.tasks.care_messages": BULK,
    "dealers.tasks.facts_rederive_recent": BULK,
    "dealers.tasks.facts_rederive_batch": BULK,
}


def queue_name(lane: str | None, *, base: str | None = None) -> str:
    """The queue of `lane` (None: the default queue). Read at send time, so a test that points the default
    queue elsewhere moves the other two with it."""
    base = base or app.conf.task_default_queue
    return f"{base}.{lane}" if lane else base


def queue_names(base: str | None = None) -> list[str]:
    """Every queue, for a worker that does all the work (`-Q ','.join(queue_names())`)."""
    return [queue_name(lane, base=base) for lane in (None, REALTIME, BULK)]


def task_route(name, args, kwargs, options, task=None, **kw):
    """The router named in CELERY_TASK_ROUTES."""
    lane = TASK_LANES.get(name)
    return {"queue": queue_name(lane)} if lane else None
