"""Beat's nightly recomputation of every vehicle's next service (the safety net behind the per-change
recomputation, and what moves inspection dates as days pass): thin, safe to run twice (it writes only rows
whose result changed)."""

from celery import shared_task

from service.maintenance.services import maintenance_recompute_all


@shared_task(name="service.maintenance.tasks.maintenance_recompute_nightly", acks_late=True)
def maintenance_recompute_nightly() -> int:
    return maintenance_recompute_all()
