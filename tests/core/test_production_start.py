"""The production stack as docker-compose.yml writes it starts: web (gunicorn), a worker per queue and beat, in
production mode, from exactly the environment list the compose file passes them (Docker cannot run here, so
the test reads that list and starts the same commands), after the Dockerfile's static build."""

import re
import subprocess

import httpx
import pytest
import redis

from crm.celery import queue_names
from tests.messaging.peers import free_port, wait_for_port
from tests.messaging.workers import wait_until
from tests.production import (
    BIN,
    GIVEN,
    HOST,
    ROOT,
    compose,
    gunicorn_command,
    production_env,
    required_variables,
    start,
    stop,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def celery_answers(env: dict, names: set[str]) -> bool:
    """Every worker named (`-n name@host`) answers a ping."""
    ping = [str(BIN / "celery"), "-A", "crm", "inspect", "ping", "--timeout", "3"]
    done = subprocess.run(ping, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return done.returncode == 0 and all(f"{name}@" in done.stdout for name in names)


def worker_services(spec: dict) -> dict[str, list[str]]:
    return {name: service["command"] for name, service in spec["services"].items() if name.startswith("worker")}


def test_compose_runs_a_worker_per_queue_and_together_they_consume_every_queue():
    queues = []
    for command in worker_services(compose()).values():
        queues += command[command.index("-Q") + 1].split(",")
    assert sorted(queues) == sorted(queue_names("crm")), "each queue has its worker, none is consumed twice"


def test_the_compose_environment_names_every_setting_production_refuses_to_start_without():
    # Production refuses to start without these (crm/settings.py); the compose file must demand each.
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "SMS_WEBHOOK_SECRET", "SMS_PROVIDER_URL"} <= (
        required_variables()
    )
    assert set(GIVEN) == required_variables(), "the tests give exactly what compose demands"
    environment = compose()["x-app"]["environment"]
    assert {"EMAIL_HOST", "DEFAULT_FROM_EMAIL", "CSRF_TRUSTED_ORIGINS", "AXES_PROXY_COUNT"} <= set(environment)


def test_web_worker_and_beat_start_in_production_mode_from_the_compose_environment(tmp_path, production_static):
    spec = compose()
    env = production_env(tmp_path, static_root=production_static)
    assert env["CRM_MODE"] == "production"
    collected = {path.name for path in (production_static / "vendor").iterdir()}
    assert any(re.fullmatch(r"chart\.umd\.min\.[0-9a-f]{12}\.js", name) for name in collected), "charts ship"

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    port = free_port()
    web = start(gunicorn_command(port), env)
    commands, beat_args = worker_services(spec), spec["services"]["beat"]["command"]
    assert all(args[:3] == ["celery", "-A", "crm"] for args in [*commands.values(), beat_args])
    workers = [
        start([str(BIN / "celery"), *args[1:], "--without-gossip", "--without-mingle"], env)
        for args in commands.values()
    ]
    beat_log = tmp_path / "beat.log"
    beat = start([str(BIN / "celery"), *beat_args[1:], "--schedule", str(tmp_path / "beat-schedule")], env, log=beat_log)
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=web)
        # A cold worker's first page on a busy machine (three Celery workers and beat start beside it) may take
        # more than httpx's default 5 s; this test is about starting, not speed.
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST, "X-Forwarded-Proto": "https"}, timeout=60
        )
        page = client.get("/login/")
        assert page.status_code == 200, page.text[:500]
        # Fingerprinted assets, far-future cached and compressed (whitenoise's manifest storage).
        stylesheet = re.search(r'href="(/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "the page links fingerprinted static files"
        asset = client.get(stylesheet[1], headers={"Accept-Encoding": "br, gzip"})
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"] or "max-age=315360000" in asset.headers["cache-control"]
        assert asset.headers.get("content-encoding") in {"br", "gzip"}
        missing = client.get("/no-such-page/")
        assert missing.status_code == 404 and "Traceback" not in missing.text
        # Each worker answers on the queue compose gives it; beat runs its schedule.
        names = {args[args.index("-n") + 1].split("@")[0] for args in commands.values()}
        assert wait_until(lambda: celery_answers(env, names), timeout=90), "every worker answers a ping"
        assert wait_until(lambda: "beat: Starting" in beat_log.read_text(), timeout=30), beat_log.read_text()
        assert beat.poll() is None, beat_log.read_text()
    finally:
        stop(web, *workers, beat)
