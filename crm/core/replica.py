"""Reports read from a streaming replica (DATABASE_REPLICA_URL), never anything else, and never stale for the
user who just wrote.

What reads there: only the blocks that say so, `with reading_replica(user=...)` (or `@reads_from_replica` on
a view that only reads): the OEM's figure pages and their exports, the funnel dashboard and its exports, the
figures API. Everything else (every write, every read that decides a write, sessions, sign-in) stays on the
primary, so nothing is routed to the replica by accident. Writes always go to the primary: the router answers
"default" for every write, and a write inside a replica block still lands there.

Guarantees of a replica block:
- The same row-level-security scope as the primary's transaction at that moment (crm/core/scope.py): the
  block is one read-only transaction on the replica with the scope set in it, and `scoped()` /
  `network_wide()` inside the block set it on both connections. Custom settings (`set_config(..., true)`)
  work in a hot standby's read-only transactions.
- Read-your-writes: a request whose transaction wrote (it was given a transaction id) records the primary's
  WAL position after its commit for its user (in the cache, keyed by user). That user's replica blocks go to
  the primary until the replica has replayed past that position (`pg_last_wal_replay_lsn()`): exact, and
  free for everyone who did not just write.
- The replica is used only when it answers, is in recovery (a promoted or mistaken "replica" is not read),
  and its replay lag is within DATABASE_REPLICA_MAX_LAG_SECONDS; otherwise the block reads from the primary
  and a warning is logged. After a connection failure the primary serves for DATABASE_REPLICA_RETRY_SECONDS
  before the replica is tried again, so a dead replica costs one connect timeout, not one per request.

The remembered write position lives for the lag limit plus a minute: a write older than that which the
replica has not replayed means its lag is past the limit, and then nobody reads there anyway.

Without DATABASE_REPLICA_URL every block reads from the primary in the request's own transaction, as before.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import partial, wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, Error, connections, transaction

from crm.core.scope import mirror_scope_on, scope_apply, scope_current

logger = logging.getLogger("crm.replica")

REPLICA = "replica"
# Apps whose rows are read to decide who the user is or what to write: always the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_celery_beat"})

_state = {"down_until": 0.0, "warned_at": 0.0}

# One round trip: is it a standby, how far behind is it, has it replayed the user's last write (NULL: none).
# A standby that has replayed all it received is as fresh as the primary lets it be (lag 0); otherwise its lag
# is the age of the last transaction it replayed (unknown, never replayed since start: treated as too old).
_STATUS_SQL = """
    SELECT pg_is_in_recovery(),
           CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9) END,
           %s::pg_lsn IS NULL OR pg_last_wal_replay_lsn() >= %s::pg_lsn
"""


class ReplicaRouter:
    """Reads go where the current `reading_replica()` block says (the primary outside one); writes, always to
    the primary. Both aliases are the same database, so relations between their rows are allowed."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return _reading_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


_reading: ContextVar[str | None] = ContextVar("crm_replica_reading", default=None)


def _reading_alias() -> str:
    return _reading.get() or DEFAULT_DB_ALIAS


def is_configured() -> bool:
    return REPLICA in settings.DATABASES


def write_key(user_id: int) -> str:
    return f"crm:replica:written:{user_id}"


def _user_id(user) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def _warn(message: str, *args) -> None:
    """A warning at most every few seconds: a lagging replica would otherwise log once per report read."""
    now = time.monotonic()
    if now - _state["warned_at"] >= 10:
        _state["warned_at"] = now
        logger.warning(message, *args)


def replica_refusal(*, user=None) -> str | None:
    """Why the replica may not serve `user` now (None: it may). One query on the replica, outside any
    transaction; a connection failure marks it down for DATABASE_REPLICA_RETRY_SECONDS."""
    if time.monotonic() < _state["down_until"]:
        return "down"
    user_id = _user_id(user)
    try:
        written = cache.get(write_key(user_id)) if user_id else None
    except Exception:  # noqa: BLE001 - without the cache nobody's last write is known: read the primary
        logger.warning("replica: the cache did not answer; reading from the primary", exc_info=True)
        return "cache"
    connection = connections[REPLICA]
    try:
        with connection.cursor() as cursor:
            cursor.execute(_STATUS_SQL, [written, written])
            in_recovery, lag, has_replayed = cursor.fetchone()
    except Error as error:  # OperationalError (refused, timed out) or InterfaceError (a dropped connection)
        _state["down_until"] = time.monotonic() + settings.DATABASE_REPLICA_RETRY_SECONDS
        with suppress(Error):
            connection.close()
        logger.warning(
            "replica unreachable (%s); reading from the primary for %s s",
            str(error).strip(), settings.DATABASE_REPLICA_RETRY_SECONDS,
        )
        return "unreachable"
    if not in_recovery:
        _warn("replica is not in recovery (promoted, or not a standby): reading from the primary")
        return "not_standby"
    if float(lag) > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        _warn("replica lags %.1f s (limit %s s): reading from the primary", float(lag), settings.DATABASE_REPLICA_MAX_LAG_SECONDS)
        return "lagging"
    if not has_replayed:
        logger.debug("replica has not replayed user %s's last write (%s): reading from the primary", user_id, written)
        return "own_write"
    return None


@contextmanager
def reading_replica(*, user=None) -> Iterator[str]:
    """Read the block's queries from the replica when it may serve `user` (see the module's guarantees);
    yields the alias the block reads from. Inside a primary transaction with a scope, the replica's
    transaction gets the same scope. Nested blocks read where the outer one does."""
    if not is_configured() or _reading.get() is not None:
        yield _reading_alias()
        return
    if replica_refusal(user=user) is not None:
        yield DEFAULT_DB_ALIAS
        return
    scope = scope_current()
    with transaction.atomic(using=REPLICA), mirror_scope_on(REPLICA):
        scope_apply(scope=scope, using=REPLICA)
        token = _reading.set(REPLICA)
        try:
            yield REPLICA
        finally:
            _reading.reset(token)


def reads_from_replica(view):
    """A view that only reads: its queries, its template's included, come from `reading_replica()`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with reading_replica(user=request.user):
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)) and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper


def write_remember(*, user_id: int) -> None:
    """After a commit: the user's reads need the replica to have replayed this far."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            (position,) = cursor.fetchone()
        cache.set(write_key(user_id), position, timeout=settings.DATABASE_REPLICA_MAX_LAG_SECONDS + 60)
    except Exception:  # noqa: BLE001 - the write is committed; only the routing of later reads is at stake
        logger.exception("replica: could not remember user %s's write; their next reports may lag", user_id)


class ReadYourWritesMiddleware:
    """Inside the request's transaction (after RequestScopeMiddleware): when it wrote anything, remember the
    primary's WAL position for the user once it commits. Not installed without a replica."""

    def __init__(self, get_response):
        if not is_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user_id = _user_id(getattr(request, "user", None))
        connection = connections[DEFAULT_DB_ALIAS]
        if user_id and connection.in_atomic_block and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
                (wrote,) = cursor.fetchone()
            if wrote:
                transaction.on_commit(partial(write_remember, user_id=user_id))
        return response
