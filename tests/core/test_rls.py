"""Row-level security is the second lock: even a query that forgets the application's scoping, or raw SQL,
sees and touches no foreign rows. These tests run as the application role, like the web and workers."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from crm.core.scope import Scope, network_wide, scope_apply, scope_current, scoped
from crm.customers.models import ContactPoint, Customer, CustomerDealer
from crm.timeline.models import TimelineEvent
from tests.factories import CustomerFactory, DealerFactory

pytestmark = pytest.mark.django_db

# Tables with a dealer or customer column that are deliberately not row-level secured, with the reason.
NOT_SECURED = {
    "network_roleassignment": "the source of every user's scope; read before any scope exists",
    "network_roleassignmentevent": "history of the above",
    "network_dealer": "the dealer directory is not secret",
    "network_dealerevent": "history of the above",
    "network_dealer_brands": "which brands a dealer sells is public",
    "network_dealeralias": "other names of a dealer in the directory, read by anonymous lead intake",
    "network_dealeraliasevent": "history of the above",
}


def test_suite_runs_as_the_application_role_that_cannot_bypass_policies():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, is_superuser, bypasses = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
        )
        owned = cursor.fetchone()[0]
    assert user == settings.CRM_APP_DB_ROLE
    assert not is_superuser and not bypasses
    assert owned == 0


def test_every_table_that_holds_dealer_or_customer_rows_is_forced_under_row_level_security():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.relname, c.relrowsecurity, c.relforcerowsecurity
            FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace AND NOT a.attisdropped
              AND a.attname IN ('dealer_id', 'customer_id', 'owner_id', 'survivor_id', 'event_id')
            """
        )
        rows = cursor.fetchall()
    unsecured = [
        name for name, enabled, forced in rows if not (enabled and forced) and name not in NOT_SECURED
    ]
    assert rows
    assert unsecured == []


def test_a_query_that_forgets_the_dealer_filter_still_sees_no_foreign_rows():
    mine, theirs = DealerFactory(), DealerFactory()
    own_customer = CustomerFactory(dealer=mine)
    CustomerFactory(dealer=theirs)
    CustomerFactory(dealer=theirs)
    with scoped(Scope.dealers([mine.id])):
        assert list(Customer.objects.values_list("id", flat=True)) == [own_customer.id]
        assert ContactPoint.objects.count() == 1
        assert set(CustomerDealer.objects.values_list("dealer_id", flat=True)) == {mine.id}
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_customer")
            assert cursor.fetchone()[0] == 1
            cursor.execute("SELECT count(*) FROM customers_customerevent")  # history too
            assert cursor.fetchone()[0] == 1


def test_no_scope_means_no_rows():
    CustomerFactory(dealer=DealerFactory())
    with transaction.atomic():
        assert scope_current() == Scope.nothing()
        assert Customer.objects.count() == 0
        assert TimelineEvent.objects.count() == 0


def test_writing_a_row_for_another_dealer_is_refused_by_the_database():
    mine, theirs = DealerFactory(), DealerFactory()
    customer = CustomerFactory(dealer=mine)
    with pytest.raises(DatabaseError, match="row-level security"), scoped(Scope.dealers([mine.id])):
        CustomerDealer.objects.create(customer=customer, dealer=theirs, reason=CustomerDealer.Reason.MANUAL)
    with network_wide(reason="test"):
        assert CustomerDealer.objects.filter(dealer=theirs).count() == 0


def test_updates_and_deletes_cannot_reach_foreign_rows():
    mine, theirs = DealerFactory(), DealerFactory()
    foreign = CustomerFactory(dealer=theirs, name="Foreign")
    with scoped(Scope.dealers([mine.id])):
        assert Customer.objects.filter(id=foreign.id).update(name="Hijacked") == 0
        assert ContactPoint.objects.filter(customer_id=foreign.id).delete()[0] == 0
    with network_wide(reason="test"):
        assert Customer.objects.get(id=foreign.id).name == "Foreign"
        assert ContactPoint.objects.filter(customer_id=foreign.id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_scope_ends_with_its_transaction():
    CustomerFactory(dealer=DealerFactory())
    with transaction.atomic():
        scope_apply(scope=Scope.everything(reason="test"))
        assert Customer.objects.count() == 1
    with transaction.atomic():
        assert Customer.objects.count() == 0


def test_a_nested_network_wide_block_gives_the_outer_scope_back():
    mine = DealerFactory()
    CustomerFactory(dealer=mine)
    CustomerFactory(dealer=DealerFactory())
    with scoped(Scope.dealers([mine.id])):
        with network_wide(reason="test"):
            assert Customer.objects.count() == 2
        assert Customer.objects.count() == 1
        assert scope_current().dealer_ids == frozenset({mine.id})


def test_network_wide_scope_must_say_why():
    with pytest.raises(ValueError):
        Scope.everything(reason="")
