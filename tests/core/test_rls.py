import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.django_db


def test_suite_runs_as_the_application_role_that_cannot_bypass_policies():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, is_superuser, bypasses = cursor.fetchone()
    assert user == settings.CRM_APP_DB_ROLE
    assert not is_superuser and not bypasses
