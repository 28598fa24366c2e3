"""Locked down: the API's rate limits per user and per client address (behind the configured proxies),
a working day's session, a password policy."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from crm.network.models import Role
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_limits(monkeypatch, settings):
    rates = {"user": "3/minute", "anon": "2/minute"}
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    yield
    cache.clear()


def test_a_signed_in_caller_past_its_rate_is_told_to_wait(low_limits):
    client = APIClient()
    client.force_authenticate(staff(Role.SALESPERSON, dealer=DealerFactory()))
    url = reverse("api-schema")
    answers = [client.get(url).status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200] and answers[3] == 429


def test_behind_one_proxy_each_client_address_has_its_own_limit(low_limits, monkeypatch):
    monkeypatch.setattr(api_settings, "NUM_PROXIES", 1)  # AXES_PROXY_COUNT=1, as compose sets it
    client = APIClient()
    url = reverse("api-schema")

    def call(address):
        return client.get(url, HTTP_X_FORWARDED_FOR=address, REMOTE_ADDR="10.0.0.1").status_code

    assert [call("203.0.113.5") for _ in range(3)] == [200, 200, 429]
    assert call("198.51.100.7") != 429, "another showroom behind the same proxy is not locked out"


def test_a_sign_in_lasts_a_working_day(client, settings):
    user = staff(Role.SALESPERSON, dealer=DealerFactory())
    client.force_login(user)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert client.session.get_expiry_age() == 12 * 3600


@pytest.mark.parametrize("password", ["short1!", "12345678901", "password123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_uncommon_password_is_accepted():
    validate_password("Showroom-tablet-2026")
