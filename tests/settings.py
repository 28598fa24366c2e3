"""The project's settings plus a probe app whose timeline subscriber the Celery integration test watches."""

import os
import tempfile

from crm.settings import *  # noqa: F403
from tests.strict_templates import RaisingEmptyString

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_FAILURE_LIMIT = 3
# Wake-up calls sent by tests land on a queue of their own, never on a developer's running worker.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "crm-tests")  # noqa: F405
# Under pytest-xdist (`make test` runs the suite on two processes), each process has its own Redis database
# (cache, rate-limit counters, broker) and queue beside its own test database, as two runs would.
if _xdist_worker := os.environ.get("PYTEST_XDIST_WORKER"):
    _base, _, _db = REDIS_URL.rpartition("/")  # noqa: F405
    REDIS_URL = f"{_base}/{(int(_db or 0) + 1 + int(_xdist_worker.removeprefix('gw'))) % 16}"
    CACHES = {"default": {**CACHES["default"], "LOCATION": REDIS_URL}}  # noqa: F405
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{_xdist_worker}"

# A template that prints a variable which does not resolve fails the test (see tests/strict_templates.py).
TEMPLATES = [
    {**TEMPLATES[0], "OPTIONS": {**TEMPLATES[0]["OPTIONS"], "string_if_invalid": RaisingEmptyString()}}  # noqa: F405
]
# The suite calls the API thousands of times a minute (the schema fuzz); the limits have a test of their own.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"user": "100000/minute", "anon": "100000/minute", "api_token": "100000/minute"},
}
# dealers (dl-audit): evidence files written by tests and the crawl's demo stay out of the worktree.
DEALERS_EVIDENCE_ROOT = Path(tempfile.gettempdir()) / "crm-test-evidence"  # noqa: F405
