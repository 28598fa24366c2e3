"""Every role × every route: no role ever sees, counts or changes another dealer's rows.

The routes are read from the URL configuration, so a new page or API route is covered the day it is
added. Each route is called with the ids of rows the role must not see: every kind of foreign row is made
with the same id (FOREIGN_ID), so whatever the id means to the route it points at something foreign, and one
call per route covers them all; and list routes are also searched for the
foreign customer's name, phone and plate. A response may be a redirect, 401/403/404 or a page — but no
page may contain any of the foreign rows' identifying strings, and no request may change them.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, StringConverter
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.customers.models import ContactPoint, Customer, CustomerDealer, DuplicateCandidate, Vehicle
from crm.messaging.models import (
    Campaign,
    CareProgram,
    InboundMessage,
    MessageTemplate,
    OutboxMessage,
    Segment,
)
from crm.network.api_tokens.services import api_token_create
from crm.network.models import ApiToken, Role, TwoFactorDevice
from crm.network.two_factor.services import DEMO_SECRET, two_factor_demo_device_set
from crm.timeline.models import TimelineEvent
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, VehicleFactory, staff

pytestmark = pytest.mark.django_db

MARKER = "Zqxforeign"
FOREIGN_PHONE = "+8613955501234"
FOREIGN_PLATE = "京Q77777"
# Every foreign row, of whatever kind, has this id (the foreign customer's twin the next one): far above any id
# a test makes by sequence, so the id means "the foreign row" to every route. Apps' own access tests make
# their foreign rows with it too.
FOREIGN_ID = 900_001
# Namespaces whose routes are only for Django's staff admin; their index and list pages are still checked.
SKIP_ARGUMENT_ROUTES_IN = {"admin"}
DEALER_SCOPED_ROLES = [
    Role.SALESPERSON,
    Role.SALES_MANAGER,
    Role.SERVICE_ADVISOR,
    Role.DEALER_ADMIN,
    Role.REGIONAL_MANAGER,
]


@dataclass(frozen=True)
class Route:
    name: str
    arguments: tuple[tuple[str, type], ...]


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}

    def walk(patterns, namespace, converters):
        for entry in patterns:
            found = {**converters, **getattr(entry.pattern, "converters", {})}
            if isinstance(entry, URLResolver):
                space = ":".join(filter(None, [namespace, entry.namespace])) if entry.namespace else namespace
                walk(entry.url_patterns, space, found)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                arguments = tuple(
                    (key, type(converter)) for key, converter in found.items() if key != "format"
                )
                regex_groups = (
                    set(entry.pattern.regex.groupindex) if hasattr(entry.pattern, "regex") else set()
                )
                arguments += tuple(
                    (key, IntConverter) for key in regex_groups if key not in found and key != "format"
                )
                if name not in routes or len(arguments) < len(routes[name].arguments):
                    routes[name] = Route(name, arguments)

    walk(get_resolver().url_patterns, "", {})
    return sorted(routes.values(), key=lambda r: r.name)


ROUTES = all_routes()


def foreign_messaging(far, foreign) -> None:
    """Far's messaging rows (a template, a segment, a campaign sending to the foreign customer, its outbox
    row, a reply and a care message), each with FOREIGN_ID; their names are for the leak check."""
    with network_wide(reason="test arrange"):
        template = MessageTemplate.objects.create(
            id=FOREIGN_ID, dealer=far, name=f"{MARKER} Template", channel="sms", purpose="marketing", body_en=MARKER
        )
        segment = Segment.objects.create(id=FOREIGN_ID, dealer=far, name=f"{MARKER} Segment", filters={"city": MARKER})
        campaign = Campaign.objects.create(
            id=FOREIGN_ID,
            dealer=far,
            name=f"{MARKER} Campaign",
            segment=segment,
            template=template,
            channel="sms",
            purpose="marketing",
            status=Campaign.Status.SENDING,
        )
        OutboxMessage.objects.create(
            id=FOREIGN_ID,
            idempotency_key=f"{MARKER}:1",
            kind="campaign",
            channel="sms",
            purpose="marketing",
            recipient=FOREIGN_PHONE,
            customer=foreign,
            dealer=far,
            campaign=campaign,
            body_text=MARKER,
            scheduled_at=campaign.created_at,
        )
        InboundMessage.objects.create(
            id=FOREIGN_ID,
            sender=FOREIGN_PHONE, body=MARKER, received_at=campaign.created_at, dealer=far, campaign=campaign
        )
        CareProgram.objects.create(id=FOREIGN_ID, dealer=far, trigger="birthday", template=template, send_hour=7)


@pytest.fixture
def world():
    """Region East with dealers Home and Neighbour; region North with dealer Far. Every foreign row lives
    only at Far; a second customer lives at Neighbour (foreign to dealer staff at Home, visible to East's
    regional manager)."""
    east, north = RegionFactory(code="east"), RegionFactory(id=FOREIGN_ID, code="north")
    home, far = (
        DealerFactory(region=east, name="Home Motors"),
        DealerFactory(id=FOREIGN_ID, region=north, name=f"{MARKER} Motors"),
    )
    own = CustomerFactory(dealer=home, name="Own Customer")
    foreign = CustomerFactory(id=FOREIGN_ID, origin_dealer=far, name=f"{MARKER} Customer", phone=None)
    foreign_twin = CustomerFactory(id=FOREIGN_ID + 1, dealer=far, name=f"{MARKER} Twin")
    vehicle = VehicleFactory(id=FOREIGN_ID, owner=foreign, plate=FOREIGN_PLATE)
    with network_wide(reason="test arrange"):
        CustomerDealer.objects.create(
            id=FOREIGN_ID, customer=foreign, dealer=far, reason=CustomerDealer.Reason.WALK_IN
        )
        ContactPoint.objects.create(
            id=FOREIGN_ID, customer=foreign, kind=ContactPoint.Kind.PHONE, value=FOREIGN_PHONE, is_primary=True
        )
        TimelineEvent.objects.create(
            id=FOREIGN_ID, customer=foreign, kind="customer.note", dealer=far, data={"text": MARKER},
            occurred_at=timezone.now(), dispatched_at=timezone.now(),
        )
        DuplicateCandidate.objects.create(
            id=FOREIGN_ID, customer=foreign, other=foreign_twin, score=0.5, reason=MARKER
        )
    foreign_messaging(far, foreign)
    # Far's admin, with an authenticator app and an API token: no one at Home may reset, list or revoke them.
    far_admin = staff(Role.DEALER_ADMIN, dealer=far, username=f"{MARKER.lower()}-admin")
    two_factor_demo_device_set(user=far_admin, secret=DEMO_SECRET)
    far_token, _key = api_token_create(user=far_admin, name=f"{MARKER} Token", expires_in_days=30)
    far_assignment = far_admin.role_assignments.get()
    users = {
        role: staff(role, dealer=home)
        for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.DEALER_ADMIN)
    }
    users[Role.REGIONAL_MANAGER] = staff(Role.REGIONAL_MANAGER, region=east)
    users[Role.CALL_CENTRE_AGENT] = staff(Role.CALL_CENTRE_AGENT)
    users[Role.OEM_ADMIN] = staff(Role.OEM_ADMIN)
    return {
        "users": users,
        "own": own,
        "foreign": foreign,
        "far_admin": far_admin,
        # Far's token and its admin's role are made by their services, with ids of their own.
        "foreign_ids": sorted({FOREIGN_ID, FOREIGN_ID + 1, far_token.id, far_assignment.id}),
        "secrets": [
            f"{MARKER} Customer",
            f"{MARKER} Twin",
            f"{MARKER} Motors",
            f"{MARKER} Campaign",
            f"{MARKER} Segment",
            f"{MARKER} Template",
            f"{MARKER} Token",
            far_token.prefix,
            FOREIGN_PHONE,
            FOREIGN_PHONE[3:],
            "139 5550 1234",
            FOREIGN_PLATE,
            vehicle.vin,
        ],
    }


def foreign_state(world) -> tuple:
    """Everything a leaking write could change about the foreign rows."""
    foreign = world["foreign"]
    with network_wide(reason="test snapshot"):
        return (
            TwoFactorDevice.objects.filter(user=world["far_admin"]).count(),
            tuple(ApiToken.objects.filter(user=world["far_admin"]).values_list("id", "name", "revoked_at")),
            tuple(
                Customer.objects.filter(name__contains=MARKER)
                .order_by("id")
                .values_list("id", "name", "version", "merged_into")
            ),
            tuple(
                ContactPoint.objects.filter(customer=foreign).values_list("value", "is_primary", "is_invalid")
            ),
            TimelineEvent.objects.filter(customer=foreign).count(),
            CustomerDealer.objects.filter(customer=foreign).count(),
            tuple(Vehicle.objects.filter(owner=foreign).values_list("vin", "plate", "version")),
            tuple(DuplicateCandidate.objects.values_list("id", "status")),
            tuple(
                Campaign.objects.filter(name__contains=MARKER).values_list(
                    "id", "name", "status", "review_note", "approved_by", "scheduled_at", "finished_at"
                )
            ),
            tuple(OutboxMessage.objects.filter(customer=foreign).values_list("id", "status", "body_text")),
            tuple(Segment.objects.filter(dealer__name__contains=MARKER).values_list("id", "name", "filters")),
            tuple(
                MessageTemplate.objects.filter(dealer__name__contains=MARKER).values_list(
                    "id", "name", "body_en", "is_active"
                )
            ),
            tuple(
                CareProgram.objects.filter(dealer__name__contains=MARKER).values_list(
                    "id", "trigger", "template_id", "send_hour", "is_active"
                )
            ),
        )


def urls_for(route: Route, world) -> list[str]:
    if not route.arguments:
        return [reverse(route.name)]
    if route.name.split(":")[0] in SKIP_ARGUMENT_ROUTES_IN or any(
        converter not in (IntConverter, StringConverter) for _, converter in route.arguments
    ):
        return []
    return [
        reverse(route.name, kwargs={key: value for key, _ in route.arguments})
        for value in world["foreign_ids"]
    ]


def assert_nothing_leaks(response, world, where, typed: str = ""):
    """No foreign row's identifying string in the page (other than what the caller typed, echoed back)."""
    if response.status_code in (301, 302, 303, 401, 403, 404, 405, 409, 412, 428):
        return
    body = response.content.decode("utf-8", errors="replace")
    leaked = [secret for secret in world["secrets"] if secret in body and secret not in typed]
    assert not leaked, f"{where} answered {response.status_code} showing {leaked}"
    assert response.status_code < 500, f"{where} failed with {response.status_code}"


def searchable(response) -> bool:
    """Whether a list route is searched for the foreign rows: every API answer (its `search` parameter) and
    every page that offers a search or filter field; a page without one (a figure page) ignores the terms."""
    if response.status_code != 200:
        return False
    if "json" in response.get("Content-Type", ""):
        return True
    body = response.content.decode("utf-8", errors="replace")
    return 'name="q"' in body or 'name="search"' in body


def test_the_route_list_covers_pages_and_api():
    names = {route.name for route in ROUTES}
    assert "login" in names and "api-schema" in names


@pytest.mark.parametrize("role", DEALER_SCOPED_ROLES, ids=str)
def test_no_route_shows_or_changes_another_dealers_rows(role, world):
    user = world["users"][role]
    before = foreign_state(world)
    client = APIClient()
    client.force_login(user)
    for route in ROUTES:
        for url in urls_for(route, world):
            response = client.get(url)
            assert_nothing_leaks(response, world, f"{role} GET {url}")
            if not route.arguments and searchable(response):
                for term in (MARKER, FOREIGN_PHONE[-4:], FOREIGN_PHONE, FOREIGN_PLATE):
                    response = client.get(url, {"q": term, "search": term})
                    assert_nothing_leaks(response, world, f"{role} GET {url}?q={term}", typed=term)
            for method in ("post", "patch", "put", "delete"):
                response = getattr(client, method)(
                    url, {"name": "Hijacked", "note": "x", "text": "x"}, format="json"
                )
                assert response.status_code < 500, (
                    f"{role} {method.upper()} {url} failed with {response.status_code}"
                )
                assert_nothing_leaks(response, world, f"{role} {method.upper()} {url}")
    assert foreign_state(world) == before


@pytest.mark.parametrize("role", [Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN], ids=str)
def test_network_roles_reach_every_route_without_errors(role, world):
    client = APIClient()
    client.force_login(world["users"][role])
    for route in ROUTES:
        for url in urls_for(route, world):
            response = client.get(url)
            assert response.status_code < 500, f"{role} GET {url} failed with {response.status_code}"


def test_anonymous_callers_reach_nothing_but_public_pages(world):
    client = APIClient()
    before = foreign_state(world)
    for route in ROUTES:
        for url in urls_for(route, world):
            assert_nothing_leaks(client.get(url), world, f"anonymous GET {url}")
            response = client.post(url, {"name": "Hijacked"}, format="json")
            assert response.status_code < 500, f"anonymous POST {url} failed with {response.status_code}"
    assert foreign_state(world) == before
