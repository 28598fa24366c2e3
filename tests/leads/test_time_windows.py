"""Times people type are checked against plausible windows, in the form and the API alike: a visit is not
ahead of now nor older than the back-logging window, a contact attempt falls between the lead's arrival and
now, and a contact claimed well before it was logged is kept as back-dated."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.core.scope import network_wide
from crm.customers.exceptions import InvalidBirthday
from crm.customers.models import Customer
from crm.customers.normalize import birthday_check
from leads import services
from leads.exceptions import ContactTimeImplausible, VisitTimeImplausible
from leads.models import ContactAttempt, ShowroomVisit
from tests.factories import web_lead
from tests.leads.conftest import as_user, database_state

pytestmark = pytest.mark.django_db


def visit(shop, **times):
    with as_user(shop["seller"]):
        return services.visit_log(
            by=shop["seller"], dealer=shop["dealer"], phone="+8613900000001", name="Visitor", **times
        )


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"arrived_at": datetime(2100, 1, 1, 10, tzinfo=timezone.get_current_timezone())}, "arrived_at"),
        ({"arrived_at": timezone.now() - timedelta(days=8)}, "arrived_at"),
        ({"arrived_at": datetime(1, 1, 1, 10, tzinfo=timezone.get_current_timezone())}, "arrived_at"),
        ({"left_at": datetime(9999, 12, 31, 10, tzinfo=timezone.get_current_timezone())}, "left_at"),
        (
            {
                "arrived_at": timezone.now() - timedelta(hours=2),
                "left_at": timezone.now() - timedelta(hours=3),
            },
            "left_at",
        ),
    ],
)
def test_an_implausible_visit_time_is_refused_and_nothing_is_written(shop, times, field):
    before = database_state()
    with pytest.raises(VisitTimeImplausible) as refused:
        visit(shop, **times)
    assert refused.value.field == field
    assert database_state() == before


def test_a_visit_logged_a_few_days_late_is_accepted(shop):
    result = visit(shop, arrived_at=timezone.now() - timedelta(days=3))
    assert result.visit.pk is not None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "张" * 201}, "name"),
        ({"party_size": "0"}, "party_size"),
        ({"party_size": "100000000000000000000"}, "party_size"),
        ({"grade": "Z"}, "grade"),
        ({"arrived_at": "yesterday at noon"}, "arrived_at"),
        ({"arrived_at": "0001-01-01T10:00"}, "arrived_at"),
        ({"arrived_at": "9999-12-31T10:00"}, "arrived_at"),
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_the_visit_form_says_what_is_wrong_beside_the_field(client, shop, data, field):
    client.force_login(shop["seller"])
    before = database_state()
    response = client.post(reverse("leads:visit_new"), {"phone": "13900000002", "party_size": "1", **data})
    assert response.status_code == 200
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert f'id="id_{field}-error-1"' in response.content.decode()
    assert database_state() == before


def test_a_contact_attempt_before_the_lead_arrived_or_in_the_future_is_refused(shop):
    lead = web_lead(shop["dealer"], phone="+8613900000003", owner=shop["seller"], hours_ago=5)
    for at in (lead.arrived_at - timedelta(days=365), timezone.now() + timedelta(hours=1)):
        with as_user(shop["seller"]), pytest.raises(ContactTimeImplausible):
            services.contact_log(lead=lead, by=shop["seller"], channel="call", outcome="reached", at=at)
    with network_wide(reason="test check"):
        assert not ContactAttempt.objects.filter(lead=lead).exists()


def test_a_contact_claimed_hours_before_it_was_logged_is_kept_as_back_dated(shop):
    lead = web_lead(shop["dealer"], phone="+8613900000004", owner=shop["seller"], hours_ago=5)
    with as_user(shop["seller"]):
        late = services.contact_log(
            lead=lead,
            by=shop["seller"],
            channel="call",
            outcome="no_answer",
            at=timezone.now() - timedelta(hours=4),
        )
        fresh = services.contact_log(lead=lead, by=shop["seller"], channel="call", outcome="reached")
    assert late.is_backdated and late.logged_at - late.at > timedelta(hours=3)
    assert not fresh.is_backdated


def test_the_api_refuses_a_contact_attempt_dated_before_the_lead_with_the_field_named(shop):
    lead = web_lead(shop["dealer"], phone="+8613900000005", owner=shop["seller"], hours_ago=2)
    api = APIClient()
    api.force_authenticate(shop["seller"])
    response = api.post(
        f"/api/v1/leads/{lead.id}/contact-attempts/",
        {"channel": "call", "outcome": "reached", "at": "2020-01-01T10:00:00+08:00"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "contact_time_implausible"


@pytest.mark.parametrize("day", [datetime(1, 1, 1).date(), datetime(9999, 12, 31).date()])
def test_an_impossible_birthday_is_refused(day):
    with pytest.raises(InvalidBirthday):
        birthday_check(day)
    birthday_check((timezone.now() - timedelta(days=365 * 30)).date())


def test_the_customer_form_shows_a_birthday_error_beside_the_field(client, shop):
    client.force_login(shop["seller"])
    response = client.post(
        reverse("customers:create"),
        {
            "name": "生日",
            "phone": "13900000006",
            "birthday": "0001-01-01",
            "kind": "person",
            "preferred_language": "zh-hans",
            "preferred_channel": "phone",
        },
    )
    assert response.status_code in (200, 400)
    assert response.context["form"].errors.get("birthday")
    with network_wide(reason="test check"):
        assert not Customer.objects.filter(name="生日").exists()
    assert ShowroomVisit.objects.count() == 0
