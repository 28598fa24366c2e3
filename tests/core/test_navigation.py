"""The header and the landing pages come from what the apps register: each role sees its entries, in
order, and the core names no higher app."""

from pathlib import Path

import pytest
from django.urls import reverse

from crm.core.navigation import NavEntry, nav_items, nav_register
from crm.network.access import access_for
from crm.network.models import Role
from tests.factories import DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db
CORE = Path(__file__).resolve().parents[2] / "crm"


def labels(user) -> list[str]:
    return [str(item.label) for item in nav_items(access_for(user))]


def test_each_role_sees_the_entries_its_apps_registered_for_it():
    region = RegionFactory()
    dealer = DealerFactory(region=region)
    assert labels(staff(Role.SALESPERSON, dealer=dealer))[:4] == [
        "Customers",
        "My day",
        "Leads",
        "Log a visit",
    ]
    manager = labels(staff(Role.SALES_MANAGER, dealer=dealer))
    assert {"Team", "Approvals", "Funnel", "Campaigns"} <= set(manager)
    regional = labels(staff(Role.REGIONAL_MANAGER, region=region))
    assert regional[0] == "Network" and "Log a visit" not in regional
    assert "Phone-in" in labels(staff(Role.CALL_CENTRE_AGENT))


def test_an_entry_whose_page_does_not_exist_is_left_out():
    nav_register(
        NavEntry(
            key="test_missing",
            label="Missing",
            url_name="nowhere:page",
            icon="x",
            order=1,
            allowed=lambda access: True,
            is_here=lambda namespace, name: False,
        )
    )
    assert "Missing" not in labels(staff(Role.OEM_ADMIN))


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.SALESPERSON, "leads:my_day"),
        (Role.SALES_MANAGER, "leads:team"),
        (Role.SERVICE_ADVISOR, "service:workshop"),  # svc-workshop: advisors start in the workshop
        (Role.OEM_ADMIN, "network_overview"),
    ],
)
def test_each_role_lands_where_its_work_starts(client, role, landing):
    dealer = DealerFactory()
    user = staff(
        role, dealer=dealer if role in {Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR} else None
    )
    client.force_login(user)
    assert client.get("/").url == reverse(landing)


def test_the_core_names_no_url_or_role_of_a_higher_app():
    for path in [CORE / "core" / "context_processors.py", CORE / "network" / "views.py"]:
        text = path.read_text(encoding="utf-8")
        assert "leads" not in text, path
