"""Every owner-club route × every role: who gets the page, who gets a 404 (missing and forbidden look the
same), and a refused write changes nothing. Dealer A's member and repair order are the targets; dealer B's
staff and the other region's manager are the outsiders."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.network.models import Role
from loyalty.models import Member, PointsEntry, Programme, Redemption
from loyalty.services.ledger import points_earn
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, staff
from tests.loyalty.conftest import enrol, everything, repair_order_billed

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "seller_a", "manager_a", "advisor_a", "admin_a",
    "seller_b", "advisor_b", "admin_b",
    "region_a", "region_other", "call_centre", "oem_admin",
]  # fmt: skip


@pytest.fixture
def world():
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    dealer_a = DealerFactory(region=east, name="Dealer A")
    dealer_b = DealerFactory(region=north, name="Dealer B")
    owner = CustomerFactory(dealer=dealer_a, name="Zqxowner")
    users = {
        "seller_a": staff(Role.SALESPERSON, dealer=dealer_a),
        "manager_a": staff(Role.SALES_MANAGER, dealer=dealer_a),
        "advisor_a": staff(Role.SERVICE_ADVISOR, dealer=dealer_a),
        "admin_a": staff(Role.DEALER_ADMIN, dealer=dealer_a),
        "seller_b": staff(Role.SALESPERSON, dealer=dealer_b),
        "advisor_b": staff(Role.SERVICE_ADVISOR, dealer=dealer_b),
        "admin_b": staff(Role.DEALER_ADMIN, dealer=dealer_b),
        "region_a": staff(Role.REGIONAL_MANAGER, region=east),
        "region_other": staff(Role.REGIONAL_MANAGER, region=north),
        "call_centre": staff(Role.CALL_CENTRE_AGENT),
        "oem_admin": staff(Role.OEM_ADMIN),
    }
    member = enrol(owner, dealer_a)
    with everything():
        points_earn(member=member, points=5000, source="delivery", dealer=dealer_a, idempotency_key="funds")
    return {
        "users": users,
        "member": member,
        "prospect": CustomerFactory(dealer=dealer_a, name="Zqxprospect"),
        "repair_order": repair_order_billed(dealer_a, users["advisor_a"], owner, labour="600"),
    }


def client_for(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def state() -> tuple:
    with everything():
        return (
            Member.objects.count(),
            PointsEntry.objects.count(),
            Redemption.objects.count(),
            list(Programme.objects.values_list("delivery_points", flat=True)),
        )


def check(world, url, allowed: set[str], *, method="get", data=None, allowed_status=200):
    for role in ROLES:
        before = state()
        response = getattr(client_for(world, role), method)(url, data or {})
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response.url, (role, url)
        elif role in allowed:
            assert response.status_code == allowed_status, (role, url, response.status_code)
        else:
            assert response.status_code == 404, (role, url, response.status_code)
            assert state() == before, (role, url)


READERS = {"seller_a", "manager_a", "advisor_a", "admin_a", "region_a", "call_centre", "oem_admin"}


def test_the_member_list_shows_only_members_the_role_may_see(world):
    url = reverse("loyalty:members")
    for role in ROLES[1:]:
        page = client_for(world, role).get(url)
        assert page.status_code == 200, role
        assert (world["member"].number in page.content.decode()) == (role in READERS), role


def test_the_member_page_and_statement(world):
    member_id = world["member"].id
    check(world, reverse("loyalty:member", args=[member_id]), READERS)
    check(world, reverse("loyalty:statement", args=[member_id]), READERS)
    check(world, reverse("loyalty:statement", args=[member_id]) + "?format=csv", READERS)
    approvers = {"manager_a", "admin_a", "oem_admin"}
    check(world, reverse("loyalty:adjust", args=[member_id]), approvers)
    check(world, reverse("loyalty:adjust", args=[member_id]), approvers, method="post", data={"points": "5"},
          allowed_status=400)  # fmt: skip


def test_signing_up_needs_a_dealer_that_knows_the_customer(world):
    url = reverse("loyalty:enrol", args=[world["prospect"].id])
    dealer_a_staff = {"seller_a", "manager_a", "advisor_a", "admin_a"}
    # The first of dealer A's staff signs the customer up; the others are told it is a member already.
    check(world, url, dealer_a_staff, method="post", data={"consent": "on"}, allowed_status=302)
    with everything():
        assert Member.objects.filter(customer=world["prospect"]).count() == 1


def test_redeeming_is_for_the_dealers_workshop(world):
    url = reverse("loyalty:redeem", args=[world["repair_order"].id])
    check(world, url, {"advisor_a", "admin_a", "oem_admin"})
    workshop = {"advisor_a", "admin_a", "oem_admin"}
    check(world, url, workshop, method="post", data={"points": "100", "request_key": "k"}, allowed_status=302)
    with everything():
        assert Redemption.objects.count() == 1  # one form, sent by three people: redeemed once
    # No tier, no discount: the workshop is told so (a redirect with the message), others get a 404.
    check(world, reverse("loyalty:tier_discount", args=[world["repair_order"].id]), workshop, method="post",
          allowed_status=302)  # fmt: skip


def test_the_programme_is_the_oem_admins(world):
    url = reverse("loyalty:programme")
    check(world, url, {"oem_admin"})
    check(world, url, {"oem_admin"}, method="post", data={"delivery_points": "1"}, allowed_status=400)  # incomplete form
    check(world, reverse("loyalty:campaign_add"), {"oem_admin"}, method="post", data={"name": "x"}, allowed_status=400)


def test_the_settlement_is_the_oems(world):
    oem = {"region_a", "region_other", "oem_admin"}
    check(world, reverse("loyalty:settlement"), oem)
    check(world, reverse("loyalty:settlement") + "?format=xlsx", oem)
