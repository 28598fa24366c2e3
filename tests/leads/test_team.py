"""The sales manager's morning: the team view is their landing page; per salesperson it shows overdue
follow-ups and new leads not yet contacted, in a fixed number of queries; nobody else may open it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from leads.models import FollowUp, Lead
from tests.factories import staff, web_lead
from tests.leads.conftest import database_state

pytestmark = pytest.mark.django_db


def overdue(lead: Lead, *, hours: int) -> None:
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(
            due_at=timezone.now() - timedelta(hours=hours)
        )


def test_a_sales_manager_lands_on_the_team_view(client, shop):
    client.force_login(shop["manager"])
    assert client.get("/").url == reverse("leads:team")


def test_a_salesperson_still_lands_on_my_day(client, shop):
    client.force_login(shop["seller"])
    assert client.get("/").url == reverse("leads:my_day")


def test_the_team_view_counts_each_salespersons_overdue_follow_ups_and_uncontacted_leads(client, shop):
    behind = web_lead(shop["dealer"], phone="+8613800000101", owner=shop["seller"], hours_ago=30)
    overdue(behind, hours=50)
    web_lead(shop["dealer"], phone="+8613800000102", owner=shop["seller"])
    web_lead(shop["dealer"], phone="+8613800000103", name="没人管")
    client.force_login(shop["manager"])
    response = client.get(reverse("leads:team"))
    assert response.status_code == 200
    rows = {member.person.username: member for member in response.context["team"]}
    assert rows["seller"].open_leads == 2
    assert rows["seller"].overdue_follow_ups == 1
    assert rows["seller"].waiting_first_response == 2
    assert rows["seller"].breached == 1  # 30 hours old: past any business-hours deadline
    assert rows["colleague"].overdue_follow_ups == 0
    assert response.context["team"][0].person == shop["seller"]  # most behind first
    assert [lead.customer.name for lead in response.context["unowned"]] == ["没人管"]
    assert response.context["totals"]["waiting_first_response"] == 3  # two of the seller's, one nobody's
    page = response.content.decode()
    assert f"?owner={shop['seller'].id}&amp;overdue=on" in page


def test_the_team_view_costs_the_same_queries_for_a_bigger_team(client, shop):
    client.force_login(shop["manager"])
    client.get(reverse("leads:team"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("leads:team"))
    for index in range(6):
        person = staff("salesperson", dealer=shop["dealer"])
        lead = web_lead(shop["dealer"], phone=f"+86138000002{index:02d}", owner=person)
        overdue(lead, hours=index + 1)
        web_lead(shop["dealer"], phone=f"+86138000003{index:02d}")
    with CaptureQueriesContext(connection) as big:
        response = client.get(reverse("leads:team"))
    assert len(response.context["team"]) == 8
    assert len(big.captured_queries) <= len(small.captured_queries)


def test_the_lead_list_filters_by_one_salesperson_for_a_manager(client, shop):
    web_lead(shop["dealer"], phone="+8613800000401", name="Mine", owner=shop["seller"])
    web_lead(shop["dealer"], phone="+8613800000402", name="Theirs", owner=shop["colleague"])
    client.force_login(shop["manager"])
    response = client.get(reverse("leads:list"), {"owner": shop["seller"].id})
    assert [lead.customer.name for lead in response.context["leads"]] == ["Mine"]


@pytest.mark.parametrize("role", ["seller", "advisor", "regional"])
def test_only_sales_managers_open_the_team_view(client, shop, role):
    web_lead(shop["dealer"], phone="+8613800000501")
    before = database_state()
    client.force_login(shop[role])
    assert client.get(reverse("leads:team")).status_code == 404
    assert database_state() == before
