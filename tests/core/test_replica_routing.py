"""The replica's routing rules that hold without a replica (the suite runs without one; tests/ops/test_replica.py
runs them against a real hot standby)."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS

from crm.core import replica
from crm.core.scope import Scope, scope_current, scoped
from leads.models import Lead


def test_without_a_replica_reports_read_the_primary_in_the_requests_own_transaction(db):
    assert not replica.is_configured()
    with scoped(Scope.dealers([7])), replica.reading_replica() as alias:
        assert alias == DEFAULT_DB_ALIAS and Lead.objects.all().db == DEFAULT_DB_ALIAS
        assert scope_current() == Scope.dealers([7])
    with pytest.raises(MiddlewareNotUsed):
        replica.ReadYourWritesMiddleware(lambda request: None)


def test_the_router_sends_every_write_and_every_sign_in_read_to_the_primary():
    router = replica.ReplicaRouter()
    token = replica._reading.set(replica.REPLICA)  # as inside a replica block
    try:
        assert router.db_for_read(Lead) == replica.REPLICA
        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Lead) == DEFAULT_DB_ALIAS
    finally:
        replica._reading.reset(token)
    assert router.db_for_read(Lead) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(replica.REPLICA, "leads") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "leads") is True
