"""The customer record in Django's admin: for looking, as the OEM admin (a superuser) does."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, DealerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_admin_customer_page_shows_its_dealer_links_read_only(client):
    # The dealer-link inline listed its automatic dates as form fields: the page answered 500.
    dealer = DealerFactory(name="Pudong Aurora 4S")
    customer = CustomerFactory(dealer=dealer, name="张伟")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    response = client.get(reverse("admin:customers_customer_change", args=[customer.id]))
    assert response.status_code == 200
    assert "Pudong Aurora 4S" in response.content.decode()
    assert b'name="dealer_links-0-first_seen_at"' not in response.content
