"""The production stack as docker-compose.yml writes it starts: web (gunicorn), worker and beat, in production
mode, from exactly the environment list the compose file passes them (Docker cannot run here, so the test
reads that list and starts the same three commands). The image's static build (vendor files, the icon
subset, fingerprinted and compressed files) is done the same way as the Dockerfile does it."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis
import yaml
from django.db import connection

from tests.messaging.peers import free_port, wait_for_port
from tests.messaging.workers import wait_until, worker_kill

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOST = "crm.example.com"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def resolve(value: str, given: dict[str, str]) -> str:
    """Docker Compose's interpolation: `${X:?message}` must be given, `${X:-default}` falls back."""

    def replace(match):
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in given:
            return given[name]
        if op == ":?":
            raise AssertionError(f"compose demands {name} ({arg}) and the test gave none")
        return arg if op == ":-" else ""

    return _VARIABLE.sub(replace, str(value))


def required_variables() -> set[str]:
    values = compose()["x-app"]["environment"].values()
    return {m["name"] for value in values for m in _VARIABLE.finditer(str(value)) if m["op"] == ":?"}


def gunicorn_command(port: int) -> list[str]:
    """The image's command (the Dockerfile's CMD, which compose's web service runs), bound here."""
    line = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    command = json.loads(line.removeprefix("CMD "))
    assert command[0] == "gunicorn"
    command[0] = str(BIN / "gunicorn")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "2"
    return command


def start(command: list[str], env: dict, *, log: Path | None = None) -> subprocess.Popen:
    output = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def celery_answers(env: dict) -> bool:
    ping = [str(BIN / "celery"), "-A", "crm", "inspect", "ping", "--timeout", "3"]
    return subprocess.run(ping, cwd=ROOT, env=env, capture_output=True, check=False).returncode == 0


def test_the_compose_environment_names_every_setting_production_refuses_to_start_without():
    # Production refuses to start without these (crm/settings.py); the compose file must demand each.
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "SMS_WEBHOOK_SECRET", "SMS_PROVIDER_URL"} <= (
        required_variables()
    )
    environment = compose()["x-app"]["environment"]
    assert {"EMAIL_HOST", "DEFAULT_FROM_EMAIL", "CSRF_TRUSTED_ORIGINS", "AXES_PROXY_COUNT"} <= set(environment)


def test_web_worker_and_beat_start_in_production_mode_from_the_compose_environment(tmp_path):
    spec = compose()
    database = connection.settings_dict
    redis_url = "redis://127.0.0.1:6379/7"
    given = {
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"https://{HOST}",
        "EMAIL_HOST": "127.0.0.1",
        "DEFAULT_FROM_EMAIL": f"crm@{HOST}",
        "SMS_PROVIDER_URL": "http://127.0.0.1:9",
        "SMS_PROVIDER_KEY": "gateway-key",
        "SMS_WEBHOOK_SECRET": "a-real-shared-secret",
    }
    assert set(given) == required_variables(), "the test gives exactly what compose demands"
    env = {name: resolve(value, given) for name, value in spec["x-app"]["environment"].items()}
    # Where compose names its own services, point at this machine's (same users, this test's database).
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL"):
        env[name] = re.sub(r"@postgres:5432/crm$", f"@127.0.0.1:{database['PORT']}/{database['NAME']}", env[name])
        env[name] = re.sub(r":[^:@/]+@", "@", env[name])  # trust auth here; compose's passwords are placeholders
    env["DATABASE_ADMIN_URL"] = f"postgres://postgres@127.0.0.1:{database['PORT']}/postgres"
    env["REDIS_URL"] = redis_url
    assert env["CRM_MODE"] == "production"
    process_env = {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp_path), "STATIC_ROOT": str(tmp_path / "static"), **env}

    # The image's static build: the same commands as the Dockerfile.
    for command in ("compilemessages -v 0 --ignore=.venv --ignore=.tools --ignore=node_modules", "collectstatic --noinput -v 0"):
        done = subprocess.run(
            [sys.executable, "manage.py", *shlex.split(command)], cwd=ROOT, env=process_env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr

    collected = {path.name for path in (tmp_path / "static" / "vendor").iterdir()}
    assert any(re.fullmatch(r"chart\.umd\.min\.[0-9a-f]{12}\.js", name) for name in collected), "charts ship"

    redis.Redis.from_url(redis_url).flushdb()
    port = free_port()
    web = start(gunicorn_command(port), process_env)
    worker_args, beat_args = spec["services"]["worker"]["command"], spec["services"]["beat"]["command"]
    assert worker_args[:3] == ["celery", "-A", "crm"] and beat_args[:3] == ["celery", "-A", "crm"]
    worker = start([str(BIN / "celery"), *worker_args[1:], "--without-gossip", "--without-mingle"], process_env)
    beat_log = tmp_path / "beat.log"
    beat = start([str(BIN / "celery"), *beat_args[1:], "--schedule", str(tmp_path / "beat-schedule")], process_env, log=beat_log)
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=web)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        page = client.get("/login/")
        assert page.status_code == 200, page.text[:500]
        assert page.headers["content-type"].startswith("text/html")
        # Fingerprinted assets, far-future cached and compressed (whitenoise's manifest storage).
        stylesheet = re.search(r'href="(/static/vendor/bootstrap\.min\.[0-9a-f]{12}\.css)"', page.text)
        assert stylesheet, "the page links fingerprinted static files"
        asset = client.get(stylesheet[1], headers={"Accept-Encoding": "br, gzip"})
        assert asset.status_code == 200
        assert "immutable" in asset.headers["cache-control"] or "max-age=315360000" in asset.headers["cache-control"]
        assert asset.headers.get("content-encoding") in {"br", "gzip"}
        missing = client.get("/no-such-page/")
        assert missing.status_code == 404 and "Traceback" not in missing.text and "DEBUG" not in missing.text
        # The worker answers on the queue compose gives it; beat runs its schedule.
        assert wait_until(lambda: celery_answers(process_env), timeout=60), "the worker answers a ping"
        assert wait_until(lambda: "beat: Starting" in beat_log.read_text(), timeout=30), beat_log.read_text()
        assert beat.poll() is None, beat_log.read_text()
    finally:
        for process in (web, worker, beat):
            process.terminate()
        for process in (web, worker, beat):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker_kill(process)
