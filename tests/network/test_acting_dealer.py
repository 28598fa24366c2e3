"""The dealer a user acts for: named, else the only one; a user of several dealers is asked, in the browser
as in the API, and never silently given the first."""

import pytest
from django.urls import reverse

from crm.core.exceptions import NotFound
from crm.core.scope import network_wide
from crm.network.exceptions import DealerChoiceRequired
from crm.network.models import DEALER_MANAGER_ROLES, SALES_ROLES, Role, RoleAssignment
from crm.network.selectors import acting_dealer
from leads.models import ShowroomVisit
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    """A salesperson who sells at two dealers of one group, and a colleague at one."""
    north, south = (
        DealerFactory(code="GRP-N", name="Group North"),
        DealerFactory(code="GRP-S", name="Group South"),
    )
    seller = staff(Role.SALESPERSON, dealer=north, username="roaming")
    with network_wide(reason="test arrange"):
        RoleAssignment.objects.create(user=seller, role=Role.SALESPERSON, dealer=south)
    return {"north": north, "south": south, "seller": seller, "single": staff(Role.SALESPERSON, dealer=north)}


def test_the_only_dealer_is_chosen_without_asking(group):
    assert acting_dealer(user=group["single"], roles=SALES_ROLES) == group["north"]


def test_several_dealers_and_none_named_asks_with_the_choices(group):
    with pytest.raises(DealerChoiceRequired) as refused:
        acting_dealer(user=group["seller"], roles=SALES_ROLES)
    assert [choice["code"] for choice in refused.value.extra["choices"]] == ["GRP-N", "GRP-S"]
    assert refused.value.field == "dealer"


def test_a_named_dealer_must_be_one_of_the_users(group):
    assert (
        acting_dealer(user=group["seller"], roles=SALES_ROLES, wanted=str(group["south"].id))
        == group["south"]
    )
    other = DealerFactory()
    for wanted in (other.id, "not-a-number"):
        with pytest.raises(NotFound):
            acting_dealer(user=group["seller"], roles=SALES_ROLES, wanted=wanted)
    with pytest.raises(NotFound):
        acting_dealer(user=group["seller"], roles=DEALER_MANAGER_ROLES)


def test_the_browser_asks_then_remembers_the_choice(client, group):
    client.force_login(group["seller"])
    asked = client.get(reverse("leads:visit_new"))
    assert asked.status_code == 200
    assert [choice["id"] for choice in asked.context["choices"]] == [group["north"].id, group["south"].id]
    chosen = client.post(
        reverse("acting_dealer_set"), {"dealer": group["south"].id, "next": reverse("leads:visit_new")}
    )
    assert chosen.url == reverse("leads:visit_new")
    page = client.get(reverse("leads:visit_new"))
    assert page.context["dealer"] == group["south"]
    client.post(reverse("leads:visit_new"), {"phone": "", "party_size": 1, "arrived_at": ""})
    with network_wide(reason="test check"):
        assert set(ShowroomVisit.objects.values_list("dealer_id", flat=True)) <= {group["south"].id}


def test_a_user_cannot_switch_to_a_dealer_they_do_not_work_at(client, group):
    client.force_login(group["seller"])
    other = DealerFactory()
    client.post(reverse("acting_dealer_set"), {"dealer": other.id})
    assert client.session.get("acting_dealer_id") is None


def test_the_header_offers_the_dealer_switch_only_to_staff_of_several_dealers(client, group):
    client.force_login(group["seller"])
    page = client.get(reverse("customers:search"))
    assert [dealer.code for dealer in page.context["dealer_switch"]["dealers"]] == ["GRP-N", "GRP-S"]
    client.force_login(group["single"])
    assert client.get(reverse("customers:search")).context["dealer_switch"] is None


def test_the_api_asks_the_same_question_with_a_400_naming_the_dealer_field(group):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(group["seller"])
    asked = api.post("/api/v1/visits/", {"party_size": 1}, format="json")
    assert asked.status_code == 400 and list(asked.json()["extra"]["fields"]) == ["dealer"]
    named = api.post("/api/v1/visits/", {"party_size": 1, "dealer": group["south"].id}, format="json")
    assert named.status_code == 201, named.json()
    with network_wide(reason="test check"):
        assert ShowroomVisit.objects.get().dealer_id == group["south"].id
