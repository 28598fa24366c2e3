"""Every dealers route × every role, on the test figures' network (tests/dealers/conftest.py): who gets the
page, who gets a 404 (missing and forbidden look the same), that no page shows a dealer the role may not see,
and that a refused request writes nothing (no read-log row). The project-wide matrix
(tests/core/test_access_matrix.py) covers these routes too, with foreign ids of every kind; this file adds
the expected answer per role, with figures registered so the pages have something to leak."""

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.network.models import Role
from dealers.models import OemRead
from tests.core.test_access_matrix import Route, all_routes

pytestmark = pytest.mark.django_db

ROLES = [
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.SERVICE_ADVISOR,
    Role.DEALER_ADMIN,
    Role.CALL_CENTRE_AGENT,
    Role.REGIONAL_MANAGER,
    Role.OEM_ADMIN,
]
# The dealer staff in the fixture work at Bad (East); the regional manager oversees East.
ALLOWED = {
    "dealers:network": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:network_export": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:dealer": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:dealer_export": {Role.REGIONAL_MANAGER, Role.OEM_ADMIN},
    "dealers:own": {Role.SALES_MANAGER, Role.DEALER_ADMIN},
    "dealers:own_export": {Role.SALES_MANAGER, Role.DEALER_ADMIN},
    "dealers:oem_reads": {Role.DEALER_ADMIN},
}
# Names each role may never see on any dealers page.
HIDDEN = {
    Role.SALESPERSON: ["Good Motors", "Middling Motors", "Far Motors"],
    Role.SALES_MANAGER: ["Good Motors", "Middling Motors", "Far Motors"],
    Role.SERVICE_ADVISOR: ["Good Motors", "Middling Motors", "Far Motors"],
    Role.DEALER_ADMIN: ["Good Motors", "Middling Motors", "Far Motors"],
    Role.CALL_CENTRE_AGENT: [],
    Role.REGIONAL_MANAGER: ["Far Motors"],
    Role.OEM_ADMIN: [],
}


def dealers_routes() -> list[Route]:
    """The figure pages; the judging side's routes (scorecards, audits, findings, mystery shops) have their
    expected answers in tests/dealers/audits/test_access_audit.py, which visits every dealers route."""
    return [route for route in all_routes() if route.name in ALLOWED]


def test_every_figure_page_has_an_expected_answer():
    assert {route.name for route in dealers_routes()} == set(ALLOWED)


def url_of(route: Route, dealer) -> str:
    kwargs = {name: dealer.id for name, _converter in route.arguments}
    return reverse(route.name, kwargs=kwargs or None)


def read_count() -> int:
    with network_wide(reason="test: read log"):
        return OemRead.objects.count()


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_each_role_gets_exactly_its_dealers_pages(role, network, client_as):
    client = client_as(network.users[role])
    for route in dealers_routes():
        url = url_of(route, network.bad)
        response = client.get(url)
        expected = 200 if role in ALLOWED[route.name] else 404
        assert response.status_code == expected, f"{role} GET {url}: {response.status_code}"
        body = response.content.decode("utf-8-sig", errors="replace")
        leaked = [name for name in HIDDEN[role] if name in body]
        assert not leaked, f"{role} GET {url} shows {leaked}"
        for method in ("post", "put", "patch", "delete"):
            assert getattr(client, method)(url).status_code in (403, 404, 405), f"{role} {method} {url}"


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_no_role_reads_a_dealer_outside_its_scope_and_nothing_is_logged(role, network, client_as):
    client = client_as(network.users[role])
    for name in ("dealers:dealer", "dealers:dealer_export"):
        response = client.get(reverse(name, args=[network.far.id]))
        expected = 200 if role == Role.OEM_ADMIN else 404
        assert response.status_code == expected, f"{role} {name} of another region's dealer"
    if role != Role.OEM_ADMIN:
        assert read_count() == 0


def test_a_regional_managers_landing_never_lists_another_regions_dealer(network, client_as):
    client = client_as(network.users["north_manager"])
    html = client.get(reverse("dealers:network")).content.decode()
    assert "Far Motors" in html
    assert not any(name in html for name in ("Good Motors", "Middling Motors", "Bad Motors"))
    for region in (network.east.id, "x", "-1"):
        html = client.get(reverse("dealers:network"), {"region": region}).content.decode()
        assert "Bad Motors" not in html


def test_a_manager_of_several_dealers_is_asked_which_before_the_own_view(network, client_as):
    from tests.factories import staff

    manager = staff(Role.SALES_MANAGER, dealer=network.good)
    with network_wide(reason="test arrange"):
        manager.role_assignments.create(role=Role.SALES_MANAGER, dealer=network.middling)
    client = client_as(manager)
    asked = client.get(reverse("dealers:own"))
    assert asked.status_code == 200 and "Good Motors" in asked.content.decode()
    chosen = client.get(reverse("dealers:own"), {"dealer": network.middling.id})
    assert chosen.context["dealer"] == network.middling
    assert f'name="dealer" value="{network.middling.id}"' in chosen.content.decode()  # kept by the period form
    assert client.get(reverse("dealers:own"), {"dealer": network.far.id}).status_code == 404
