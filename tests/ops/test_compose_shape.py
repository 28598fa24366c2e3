"""docker-compose.yml has the shape README's "Growing" describes (Docker does not run here; the processes it
starts are started by tests/core/test_production_start.py from the same environment list)."""

import pytest

from tests.production import compose

pytestmark = [pytest.mark.ops]


def test_compose_grows_web_workers_per_queue_one_beat_pgbouncer_and_a_replica():
    spec = compose()
    services, environment = spec["services"], spec["x-app"]["environment"]
    # Web is stateless and scaled; exactly one beat.
    assert services["web"]["deploy"]["replicas"] >= 2
    assert services["beat"]["deploy"]["replicas"] == 1
    # A worker for each queue, each consuming only its own.
    queues = {}
    for name, service in services.items():
        command = service.get("command") or []
        if command[:4] == ["celery", "-A", "crm", "worker"]:
            queues[command[command.index("-Q") + 1]] = name
    assert set(queues) == {"crm.realtime", "crm.bulk", "crm"}, queues
    assert "CELERY_QUEUE" not in environment  # the default queue "crm", which the routes name the others after
    # The application reaches the primary through PgBouncer in transaction mode; migrations go direct.
    assert "@pgbouncer:" in environment["DATABASE_URL"] and environment["DATABASE_BEHIND_PGBOUNCER"] == "1"
    assert services["pgbouncer"]["environment"]["POOL_MODE"] == "transaction"
    assert "@postgres:" in environment["DATABASE_OWNER_URL"]
    # Reports read the streaming replica, made from the primary by a base backup that sets it up to stream.
    assert "@postgres-replica:" in environment["DATABASE_REPLICA_URL"]
    start = spec["configs"]["postgres-replica-start"]["content"]
    assert "pg_basebackup -h postgres" in start and " -R " in start and "hot_standby=on" in start
    assert "REPLICATION" in spec["configs"]["postgres-replication-role"]["content"]
    assert {"redis", "postgres", "postgres-replica", "pgbouncer", "migrate"} <= set(services)
