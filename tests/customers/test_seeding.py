"""The demo and scale seeders: they run, obey the rules real input obeys, and can run twice."""

import phonenumbers
import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from crm.core.scope import network_wide
from crm.customers.management.commands.seed_demo import DEMO_DEALER_CODES, DEMO_STAFF
from crm.customers.models import ContactPoint, Customer, CustomerDealer, DuplicateCandidate, Vehicle
from crm.customers.normalize import vin_check_digit
from crm.network.management.commands.demo_logins import DEMO_USERNAMES
from crm.network.models import Dealer, Role, RoleAssignment
from crm.network.two_factor.services import DEMO_SECRET
from crm.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    with network_wide(reason="test count"):
        return {
            model.__name__: model.objects.count()
            for model in (Customer, ContactPoint, CustomerDealer, Vehicle, TimelineEvent, DuplicateCandidate)
        }


def test_seed_demo_loads_a_network_with_every_role_once(capsys):
    call_command("seed_demo", customers=40)
    first = counts()
    call_command("seed_demo", customers=40)
    assert "demo data already loaded" in capsys.readouterr().out
    assert counts() == first  # idempotent: the second run adds nothing

    with network_wide(reason="test"):
        assert set(Dealer.objects.values_list("code", flat=True)) >= set(DEMO_DEALER_CODES)
        held = set(RoleAssignment.objects.values_list("role", flat=True))
        assert held == set(Role.values)  # every role has a user
        admin = get_user_model().objects.get(username="oem.admin")
        assert admin.is_staff and admin.is_superuser and admin.check_password("demo1234")
        vins = list(Vehicle.objects.values_list("vin", flat=True))
        assert vins and all(vin[8] == vin_check_digit(vin) for vin in vins)
        assert DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).exists()
        # Some customers are known to two dealers; every customer has a timeline.
        assert CustomerDealer.objects.count() > Customer.objects.count()
        assert not Customer.objects.exclude(timeline_events__isnull=False).exists()
    assert first["Customer"] >= 40
    assert [s[0] for s in DEMO_STAFF] == DEMO_USERNAMES  # demo_logins lists the same users

    call_command("demo_logins")
    table = capsys.readouterr().out
    assert "sales.sh" in table and "oem.admin" in table and "demo1234" in table


def test_seed_scale_adds_unique_customers_twice_in_a_row():
    call_command("seed_scale", customers=2000, dealers=4, batch_size=700, workers=1, no_analyze=True)
    call_command("seed_scale", customers=2000, dealers=4, batch_size=1000, workers=1, no_analyze=True)
    with network_wide(reason="test"):
        assert Customer.objects.count() == 4000
        phones = list(ContactPoint.objects.filter(kind="phone").values_list("value", flat=True))
        assert len(phones) == 4000 == len(set(phones))
        assert all(phonenumbers.is_valid_number(phonenumbers.parse(p)) for p in phones[:300])
        emails = list(ContactPoint.objects.filter(kind="email").values_list("value", flat=True))
        assert 800 < len(emails) < 1600 and len(set(emails)) == len(emails)
        links = CustomerDealer.objects.count()
        assert 4000 < links < 4800
        assert not Customer.objects.filter(dealer_links__isnull=True).exists()
        vins = list(Vehicle.objects.values_list("vin", flat=True))
        assert 1200 < len(vins) < 2000 and len(set(vins)) == len(vins)
        assert all(vin[8] == vin_check_digit(vin) for vin in vins)
        plates = list(Vehicle.objects.values_list("plate", flat=True))
        assert len(set(plates)) == len(plates)
        assert Dealer.objects.count() == 4


def test_every_demo_login_lands_on_a_page_that_fits_its_role(client):
    call_command("seed_demo", customers=12)
    with network_wide(reason="test"):
        sh001 = Dealer.objects.get(code="SH001")
    start_pages = {
        Role.SALESPERSON: reverse("leads:my_day"),
        Role.SALES_MANAGER: reverse("leads:team"),
        Role.SERVICE_ADVISOR: reverse("service:workshop"),
        Role.CALL_CENTRE_AGENT: reverse("customers:search"),
        Role.DEALER_ADMIN: reverse("dealer_staff", kwargs={"dealer_id": sh001.id}),
        Role.REGIONAL_MANAGER: reverse("dealers:network"),
        Role.OEM_ADMIN: reverse("network_overview"),
    }
    for username, _first, _last, role, _where, _language in DEMO_STAFF:
        signed_in = client.post(reverse("login"), {"username": username, "password": "demo1234"})
        if signed_in.url == reverse("two_factor_verify"):
            # Roles that require a second factor: the demo's key, which `manage.py demo_logins` prints.
            client.post(reverse("two_factor_verify"), {"code": pyotp.TOTP(DEMO_SECRET).now()})
        response = client.get(reverse("home"), follow=True)
        assert response.status_code == 200, username
        assert response.request["PATH_INFO"] == start_pages[role], username
        client.logout()
