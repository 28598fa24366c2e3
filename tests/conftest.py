"""Test set-up: the test database is created and migrated by the owner role, then every test runs as the
application role, which row-level security binds (LESSONS.md: never run the suite as a superuser)."""

import os

import pytest
from django.conf import settings
from django.db import connections
from django.test.utils import setup_databases, teardown_databases


def _connect_as(user: str) -> None:
    connection = connections["default"]
    connection.close()
    connection.settings_dict["USER"] = user


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test that commits (a transactional test: the database is emptied after it, migrations' rows too) is
    marked `commits`: `make test` runs those in its one-at-a-time pass, after which nothing needs those rows,
    never on a parallel process where a later test of the same process would miss them."""
    committing = {"transactional_db", "live_server", "django_db_serialized_rollback"}
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (marker is not None and marker.kwargs.get("transaction")) or committing & set(item.fixturenames):
            item.add_marker(pytest.mark.commits)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_modify_db_settings, django_db_blocker):
    # django_db_modify_db_settings: under pytest-xdist each worker gets its own test database (test_crm_gw0, …).
    with django_db_blocker.unblock():
        _connect_as(settings.CRM_OWNER_DB_ROLE)
        # CRM_TEST_KEEPDB: use the test database another run made (the PgBouncer test runs a slice this way).
        keepdb = os.environ.get("CRM_TEST_KEEPDB") == "1"
        config = setup_databases(verbosity=0, interactive=False, keepdb=keepdb)
        with connections["default"].cursor() as cursor:
            # Transactional tests empty the tables with TRUNCATE; only the test database grants it.
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{settings.CRM_APP_DB_ROLE}"')
        _connect_as(settings.CRM_APP_DB_ROLE)
    yield
    with django_db_blocker.unblock():
        _connect_as(settings.CRM_OWNER_DB_ROLE)
        teardown_databases(config, verbosity=0, keepdb=keepdb)


@pytest.fixture(scope="session")
def production_static(tmp_path_factory):
    """The image's static files, built once per run for the tests that start the production stack."""
    from tests.production import build_static

    static_root = tmp_path_factory.mktemp("production") / "static"
    build_static(static_root)
    return static_root


@pytest.fixture(autouse=True)
def _language_of_the_site():
    """Each test starts in the site's language: a request in Chinese (a user's saved language, activated by
    the middleware) leaves the thread's language behind, and the next test would read Chinese labels."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
