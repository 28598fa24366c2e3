"""The production stack for tests: the environment docker-compose.yml passes, the Dockerfile's static build and
its gunicorn command, started against this test run's database (Docker does not run on our machines)."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "crm.example.com"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:\?|:-)(?P<arg>[^}]*))?\}")
# What an operator writes in .env: exactly the variables compose demands.
GIVEN = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
    "SITE_URL": f"https://{HOST}",
    "EMAIL_HOST": "127.0.0.1",
    "DEFAULT_FROM_EMAIL": f"crm@{HOST}",
    "SMS_PROVIDER_URL": "http://127.0.0.1:9",
    "SMS_PROVIDER_KEY": "gateway-key",
    "SMS_WEBHOOK_SECRET": "a-real-shared-secret",
}


def compose() -> dict:
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


def production_env(tmp_path: Path, *, static_root: Path, redis_db: int = 7) -> dict:
    """Compose's list resolved with GIVEN, its own services (postgres, redis) pointed at this machine's."""
    database = connection.settings_dict
    env = {name: resolve(value, GIVEN) for name, value in compose()["x-app"]["environment"].items()}
    # The primary, PgBouncer and the replica are all this machine's server here (a "replica" that is not in
    # recovery is never read: reports fall back to the primary).
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "DATABASE_REPLICA_URL"):
        env[name] = re.sub(
            r"@(postgres|pgbouncer|postgres-replica):5432/crm$", f"@127.0.0.1:{database['PORT']}/{database['NAME']}", env[name]
        )
        env[name] = re.sub(r":[^:@/]+@", "@", env[name])  # trust auth here; compose's passwords are placeholders
    env["DATABASE_ADMIN_URL"] = f"postgres://postgres@127.0.0.1:{database['PORT']}/postgres"
    env["REDIS_URL"] = f"redis://127.0.0.1:6379/{redis_db}"
    return {"PATH": f"{BIN}:{os.environ['PATH']}", "HOME": str(tmp_path), "STATIC_ROOT": str(static_root), **env}


def build_static(static_root: Path) -> None:
    """The Dockerfile's build steps after the vendor files: translations, then fingerprinted compressed files
    (in production mode, with compose's environment, as the image is built)."""
    env = {**production_env(static_root.parent, static_root=static_root), "DATABASE_URL": "postgres://unused/unused"}
    for command in (
        "compilemessages -v 0 --ignore=.venv --ignore=.tools --ignore=node_modules",
        "collectstatic --noinput -v 0",
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", *shlex.split(command)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr


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


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def session_cookie(user) -> dict:
    """A signed-in session for `user`, as a browser cookie: the login form's own tests live elsewhere."""
    from django.conf import settings
    from django.test import Client, override_settings

    client = Client()
    with override_settings(SECRET_KEY=GIVEN["SECRET_KEY"]):  # the key the production processes sign with
        client.force_login(user)
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
