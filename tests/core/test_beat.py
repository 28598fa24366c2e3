"""Every periodic job beat sends names a task a worker has: a job whose task is missing is dropped silently."""

from django.conf import settings

from crm.celery import app


def test_every_beat_job_names_a_registered_task():
    app.loader.import_default_modules()  # what a worker does at start: import every app's tasks
    missing = {key: job["task"] for key, job in settings.CELERY_BEAT_SCHEDULE.items() if job["task"] not in app.tasks}
    assert not missing, missing
