"""The row-level security scope of the current transaction.

PostgreSQL policies read two transaction-local settings: `crm.network_wide` ("on" lets every row through)
and `crm.dealer_ids` (an array literal of the dealers whose rows are visible). They are set with
`set_config(..., true)`, so they end with the transaction and a pooled connection never carries one
request's scope into the next. Nothing set means nothing visible: the policies fail closed.

A report block that reads from the streaming replica (crm/core/replica.py) holds a second transaction there;
while it is open, `scoped()` on the primary sets the same scope on the replica too (`mirror_scope_on`), so
`network_wide(reason=...)` inside a report means the same on both connections.
"""

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from crm.core.exceptions import ScopeMissing


@dataclass(frozen=True)
class Scope:
    """Which dealers' rows a transaction may touch. `network_wide` means every dealer's."""

    dealer_ids: frozenset[int] = field(default_factory=frozenset)
    network_wide: bool = False
    reason: str = ""

    @classmethod
    def nothing(cls) -> "Scope":
        return cls()

    @classmethod
    def everything(cls, *, reason: str) -> "Scope":
        if not reason:
            raise ValueError("A network-wide scope must say why it is needed.")
        return cls(network_wide=True, reason=reason)

    @classmethod
    def dealers(cls, dealer_ids: Iterable[int]) -> "Scope":
        return cls(dealer_ids=frozenset(int(d) for d in dealer_ids))

    def allows_dealer(self, dealer_id: int | None) -> bool:
        return self.network_wide or (dealer_id is not None and dealer_id in self.dealer_ids)

    def as_settings(self) -> tuple[str, str]:
        dealer_array = "{" + ",".join(str(d) for d in sorted(self.dealer_ids)) + "}"
        return ("on" if self.network_wide else "off", dealer_array)


def scope_apply(*, scope: Scope, using: str = "default") -> None:
    """Set `scope` for the rest of the current transaction. Must be called inside `transaction.atomic()`."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise ScopeMissing("scope_apply() needs an open transaction: wrap the work in transaction.atomic().")
    network_wide, dealer_array = scope.as_settings()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('crm.network_wide', %s, true), set_config('crm.dealer_ids', %s, true)",
            [network_wide, dealer_array],
        )


def scope_current(using: str = "default") -> Scope:
    """The scope PostgreSQL applies right now (nothing outside a transaction)."""
    connection = connections[using]
    if not connection.in_atomic_block:
        return Scope.nothing()
    return _scope_in_database(connection)


_mirror: ContextVar[str | None] = ContextVar("crm_scope_mirror", default=None)


@contextmanager
def mirror_scope_on(alias: str) -> Iterator[None]:
    """While the block runs, `scoped()` on the primary also sets its scope in `alias`'s open transaction."""
    token = _mirror.set(alias)
    try:
        yield
    finally:
        _mirror.reset(token)


@contextmanager
def scoped(scope: Scope, using: str = "default") -> Iterator[Scope]:
    """Run the block in one transaction with `scope`; inside an outer transaction, restore its scope after.

    If the block fails, the savepoint rollback restores the outer scope in PostgreSQL by itself.
    """
    mirror = _mirror.get()
    with ExitStack() as stack:
        for alias in [using, *([mirror] if mirror and using == DEFAULT_DB_ALIAS else [])]:
            stack.enter_context(_scoped_on(scope, alias))
        yield scope


@contextmanager
def _scoped_on(scope: Scope, using: str) -> Iterator[None]:
    connection = connections[using]
    # Inside an outer transaction the outer scope comes back afterwards, as PostgreSQL holds it.
    previous = _scope_in_database(connection) if connection.in_atomic_block else None
    with transaction.atomic(using=using):
        scope_apply(scope=scope, using=using)
        yield
        if previous is not None:
            scope_apply(scope=previous, using=using)


def _scope_in_database(connection) -> Scope:
    with connection.cursor() as cursor:
        cursor.execute("SELECT crm_scope_all(), crm_scope_dealers()")
        is_all, dealer_ids = cursor.fetchone()
    return Scope(dealer_ids=frozenset(dealer_ids or ()), network_wide=bool(is_all))


def network_wide(*, reason: str, using: str = "default"):
    """For tasks, commands and services that must see the whole network; the reason is required."""
    return scoped(Scope.everything(reason=reason), using=using)
