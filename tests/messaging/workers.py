"""A real Celery worker (and optionally beat's tick) for messaging integration tests."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
from celery import current_app
from django.db import connection

from crm.celery import queue_names
from tests.messaging.peers import free_port

ROOT = Path(__file__).resolve().parents[2]


def worker_env(*, queue: str, extra: dict | None = None) -> dict:
    database = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_QUEUE": queue,
        **(extra or {}),
    }


def worker_start(*, queue: str, env: dict, concurrency: int = 2) -> subprocess.Popen:
    """A worker in its own process group, so a test can SIGKILL it with all its children at once. It consumes
    the default queue `queue` and the realtime and bulk queues named after it (crm/celery.py)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "-Q",
            ",".join(queue_names(queue)),
            f"--concurrency={concurrency}",
            "--pool=prefork",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def worker_kill(process: subprocess.Popen) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def worker_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()  # the main process shuts its pool down warmly
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker_kill(process)


@contextmanager
def celery_worker(
    monkeypatch, *, extra_env: dict | None = None, concurrency: int = 2, broker_url: str | None = None
):
    """Yield (queue, process) for a worker on a queue of its own; the test process sends to that queue."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(current_app.conf, "task_default_queue", queue)
    env = worker_env(queue=queue, extra=extra_env)
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    process = worker_start(queue=queue, env=env, concurrency=concurrency)
    try:
        yield queue, process, env
    finally:
        worker_stop(process)
        if not broker_url:
            redis.Redis.from_url(current_app.conf.broker_url).delete(*queue_names(queue))


def wait_until(condition, timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


class Redis:
    """A private redis-server that can be killed and started again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert wait_until(lambda: self._ping(), timeout=10), "redis-server did not start"

    def _ping(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self):
        self.kill()
        self.start()


@contextmanager
def celery_stack(*, channel_env: dict, concurrency: int):
    """Private Redis + beat (its tick every 2 s) + worker on a queue of their own, with short timeouts (the
    sweeper takes back a dead sender's rows after 10 s); yields a handle to kill and restart them."""
    broker = Redis()
    broker.start()
    queue = "stack"
    env = worker_env(
        queue=queue,
        extra={
            "CELERY_BROKER_URL": broker.url,
            "REDIS_URL": broker.url,
            "MESSAGING_QUIET_HOURS": "00:00-00:00",
            "MESSAGING_TICK_SECONDS": "2",
            "MESSAGING_STALL_SECONDS": "3",
            "MESSAGING_SENDING_TIMEOUT_SECONDS": "10",
            "MESSAGING_RETRY_BASE_SECONDS": "1",
            **channel_env,
        },
    )
    beat = subprocess.Popen(
        [*_celery(), "beat", "--loglevel=WARNING", "-S", "django_celery_beat.schedulers:DatabaseScheduler"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    stack = {"broker": broker, "env": env, "queue": queue, "concurrency": concurrency}
    stack["worker"] = worker_start(queue=queue, env=env, concurrency=concurrency)
    try:
        yield stack
    finally:
        worker_stop(stack["worker"])
        worker_stop(beat)
        broker.kill()


def _celery():
    return [sys.executable, "-m", "celery", "-A", "crm"]
