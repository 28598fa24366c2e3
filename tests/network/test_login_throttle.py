"""Login resists guessing without locking out a showroom: the lock is on user + address, and it cools off."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from crm.network.models import Role
from tests.factories import PASSWORD, DealerFactory, staff

pytestmark = pytest.mark.django_db
SHOWROOM = "203.0.113.7"


def login(client, username, password, address=SHOWROOM):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_guessing_one_users_password_locks_that_user_at_that_address_only(client, settings):
    dealer = DealerFactory()
    target = staff(Role.SALESPERSON, dealer=dealer, username="sales.target")
    colleague = staff(Role.SALESPERSON, dealer=dealer, username="sales.colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, target.username, "wrong-guess")
    locked = login(client, target.username, PASSWORD)
    assert locked.status_code == 429
    assert not is_signed_in(client)

    # A colleague on the same showroom network signs in normally.
    login(client, colleague.username, PASSWORD)
    assert is_signed_in(client)
    client.logout()

    # The same user from another address is not locked either.
    login(client, target.username, PASSWORD, address="198.51.100.9")
    assert is_signed_in(client)


def test_the_lock_cools_off(client, settings):
    user = staff(Role.SALESPERSON, dealer=DealerFactory(), username="sales.cool")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, user.username, "wrong-guess")
    assert login(client, user.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=2))
    login(client, user.username, PASSWORD)
    assert is_signed_in(client)
