"""API tokens made in the product: shown once, stored hashed, expiring, revocable, acting as their maker
(so scoped to the maker's dealers), rate-limited per token, their last use noted."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.network.api_tokens.services import api_token_create, api_token_hash
from crm.network.models import ApiToken, Role
from tests.factories import CustomerFactory, DealerFactory, staff

pytestmark = pytest.mark.django_db
CUSTOMERS = "/api/v1/customers/"


def api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def customer_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_dealer_admin_makes_a_token_sees_it_once_and_only_its_hash_is_stored(client):
    admin = staff(Role.DEALER_ADMIN, dealer=DealerFactory())
    client.force_login(admin)
    page = client.post(reverse("api_tokens"), {"name": "DMS nightly import", "expires_in_days": 90})
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("max-age=0")
    key = re.search(r"data-token-key>(crm_[\w-]+)<", page.content.decode()).group(1)
    token = ApiToken.objects.get(user=admin)
    assert token.name == "DMS nightly import" and token.key_hash == api_token_hash(key)
    assert key not in {getattr(token, field.attname) for field in ApiToken._meta.concrete_fields}
    assert key.startswith(token.prefix)
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    listing = client.get(reverse("api_tokens")).content.decode()
    assert "DMS nightly import" in listing and token.prefix in listing and key not in listing


def test_a_token_page_refuses_bad_input_beside_the_field_and_writes_nothing(client):
    client.force_login(staff(Role.OEM_ADMIN))
    response = client.post(reverse("api_tokens"), {"name": "  ", "expires_in_days": 5000})
    assert response.status_code == 400
    assert response.content.decode().count("invalid-feedback") >= 2
    assert not ApiToken.objects.exists()


def test_roles_that_may_not_make_tokens_get_no_page_and_no_token(client):
    seller = staff(Role.SALESPERSON, dealer=DealerFactory())
    client.force_login(seller)
    assert client.get(reverse("api_tokens")).status_code == 404
    assert client.post(reverse("api_tokens"), {"name": "x", "expires_in_days": 30}).status_code == 404
    assert not ApiToken.objects.exists()


def test_a_dealers_token_sees_that_dealers_rows_and_never_another_dealers():
    dealer, other = DealerFactory(), DealerFactory()
    mine, theirs = CustomerFactory(dealer=dealer), CustomerFactory(dealer=other)
    _token, key = api_token_create(user=staff(Role.DEALER_ADMIN, dealer=dealer), name="DMS", expires_in_days=30)
    client = api(key)
    assert customer_ids(client.get(CUSTOMERS)) == {mine.id}
    assert client.get(f"{CUSTOMERS}{theirs.id}/").status_code == 404
    assert client.get(f"{CUSTOMERS}{mine.id}/").status_code == 200


def test_an_expired_token_is_refused():
    dealer = DealerFactory()
    token, key = api_token_create(user=staff(Role.DEALER_ADMIN, dealer=dealer), name="DMS", expires_in_days=1)
    assert api(key).get(CUSTOMERS).status_code == 200
    ApiToken.objects.filter(id=token.id).update(
        created_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = api(key).get(CUSTOMERS)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_and_only_its_maker_can_revoke_it(client):
    dealer = DealerFactory()
    admin = staff(Role.DEALER_ADMIN, dealer=dealer)
    token, key = api_token_create(user=admin, name="DMS", expires_in_days=30)
    url = reverse("api_token_revoke", kwargs={"token_id": token.id})
    client.force_login(staff(Role.OEM_ADMIN))
    assert client.post(url).status_code == 404
    assert api(key).get(CUSTOMERS).status_code == 200
    client.force_login(admin)
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api(key).get(CUSTOMERS).status_code == 401


def test_a_forged_or_malformed_token_is_refused():
    assert api("crm_" + "A" * 43).get(CUSTOMERS).status_code == 401
    assert api("not-ours").get(CUSTOMERS).status_code == 401
    malformed = APIClient()
    malformed.credentials(HTTP_AUTHORIZATION="Bearer")
    assert malformed.get(CUSTOMERS).status_code == 401


def test_a_token_notes_its_last_use():
    token, key = api_token_create(user=staff(Role.OEM_ADMIN), name="Reports", expires_in_days=30)
    assert token.last_used_at is None
    api(key).get(CUSTOMERS)
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < timedelta(minutes=1)


def test_each_token_has_its_own_rate_limit(monkeypatch):
    from crm.network.api_tokens.api import ApiTokenRateThrottle

    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"api_token": "3/minute"})
    cache.clear()
    admin = staff(Role.OEM_ADMIN)
    _first, first_key = api_token_create(user=admin, name="DMS", expires_in_days=30)
    _second, second_key = api_token_create(user=admin, name="Web forms", expires_in_days=30)
    try:
        assert [api(first_key).get(CUSTOMERS).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert api(second_key).get(CUSTOMERS).status_code == 200, "another token of the same user has its own budget"
    finally:
        cache.clear()


def test_the_token_list_costs_the_same_queries_with_more_tokens(client, django_assert_max_num_queries):
    admin = staff(Role.OEM_ADMIN)
    client.force_login(admin)
    api_token_create(user=admin, name="one", expires_in_days=30)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("api_tokens"))
    for index in range(10):
        api_token_create(user=admin, name=f"token {index}", expires_in_days=30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("api_tokens"))
