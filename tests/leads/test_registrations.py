"""What leads lend to messaging: the lead grade and stage segment filters (open leads only, the segment's
dealer only) and the {{ salesperson.* }} placeholders."""

import pytest
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.messaging.exceptions import PlaceholderMissing
from crm.messaging.registry import segment_filters
from crm.messaging.selectors.recipients import recipient_values
from crm.messaging.selectors.segments import segment_customers
from crm.messaging.services.rendering import render
from crm.network.access import access_for
from crm.network.models import Role, StaffProfile
from leads.models import CLOSED_STAGES, Lead, LeadType, Stage
from leads.registrations import salesperson_values
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db


def lead_add(customer, dealer, *, grade="", stage=Stage.NEW, owner=None, arrived_at=None) -> Lead:
    closed = stage in CLOSED_STAGES
    with network_wide(reason="test arrange"):
        return Lead.objects.create(
            customer=customer,
            dealer=dealer,
            type=LeadType.WALK_IN,
            grade=grade,
            stage=stage,
            furthest_stage=Stage.DELIVERED
            if stage == Stage.DELIVERED
            else (stage if not closed else Stage.NEW),
            owner=owner,
            closed_at=timezone.now() if closed else None,
            arrived_at=arrived_at or timezone.now(),
        )


def link(customer, dealer):
    from crm.customers.models import CustomerDealer

    with network_wide(reason="test arrange"):
        CustomerDealer.objects.get_or_create(customer=customer, dealer=dealer, defaults={"reason": "walk_in"})


@pytest.fixture
def funnel():
    region = RegionFactory(code="east")
    home, far = DealerFactory(region=region, name="Home"), DealerFactory(region=region, name="Far")
    hot, warm, cold, bought, lost, at_far = (
        CustomerFactory(dealer=home, name=name) for name in ("Hot", "Warm", "Cold", "Bought", "Lost", "AtFar")
    )
    link(at_far, far)
    seller = staff(Role.SALESPERSON, dealer=home, username="seller")
    lead_add(hot, home, grade="H", stage=Stage.VISITED, owner=seller)
    lead_add(warm, home, grade="A", stage=Stage.CONTACTED)
    lead_add(cold, home, grade="C", stage=Stage.NEW)
    lead_add(bought, home, grade="D", stage=Stage.DELIVERED)
    lead_add(lost, home, grade="H", stage=Stage.LOST)
    lead_add(at_far, far, grade="H", stage=Stage.NEGOTIATION)
    return {
        "home": home,
        "far": far,
        "seller": seller,
        "hot": hot,
        "warm": warm,
        "cold": cold,
        "at_far": at_far,
    }


def names(filters, dealer_id) -> set[str]:
    with network_wide(reason="test check"):
        return set(segment_customers(filters=filters, dealer_id=dealer_id).values_list("name", flat=True))


def test_leads_register_grade_and_stage_filters_in_their_own_group():
    registered = {f.key: f for f in segment_filters()}
    assert registered["lead_grade"].group == "lead" and registered["lead_stage"].group == "lead"
    grades = [value for value, _label in registered["lead_grade"].field().choices]
    assert grades == ["O", "H", "A", "B", "C"]
    stages = [value for value, _label in registered["lead_stage"].field().choices]
    assert "lost" not in stages and "delivered" not in stages and "negotiation" in stages


def test_the_grade_filter_selects_customers_with_an_open_lead_of_that_grade(funnel):
    home = funnel["home"].id
    assert names({"lead_grade": ["H"]}, home) == {"Hot"}  # the lost lead graded H is closed
    assert names({"lead_grade": ["H", "A"]}, home) == {"Hot", "Warm"}
    assert names({"lead_grade": ["O"]}, home) == set()


def test_the_stage_filter_selects_customers_with_an_open_lead_at_that_stage(funnel):
    home = funnel["home"].id
    assert names({"lead_stage": ["new", "contacted"]}, home) == {"Warm", "Cold"}
    assert names({"lead_stage": ["visited"]}, home) == {"Hot"}


def test_a_dealers_segment_never_counts_another_dealers_leads(funnel):
    # AtFar is a customer of both dealers, with an open H lead at Far only.
    assert names({"lead_grade": ["H"]}, funnel["home"].id) == {"Hot"}
    assert names({"lead_stage": ["negotiation"]}, funnel["home"].id) == set()
    assert names({"lead_grade": ["H"]}, funnel["far"].id) == {"AtFar"}
    # A network segment looks at every dealer's leads.
    assert names({"lead_grade": ["H"]}, None) == {"Hot", "AtFar"}


def test_a_dealer_managers_count_under_their_scope_sees_only_their_leads(funnel):
    manager = staff(Role.SALES_MANAGER, dealer=funnel["home"])
    with scoped(access_for(manager).scope):
        found = set(
            segment_customers(filters={"lead_grade": ["H"]}, dealer_id=funnel["home"].id).values_list(
                "name", flat=True
            )
        )
    assert found == {"Hot"}


def test_a_stored_value_no_longer_allowed_selects_nobody(funnel):
    assert names({"lead_grade": ["F1"]}, funnel["home"].id) == set()
    assert names({"lead_stage": ["lost"]}, funnel["home"].id) == set()


def test_the_combined_filters_must_all_match(funnel):
    assert names({"lead_grade": ["H", "A"], "lead_stage": ["contacted"]}, funnel["home"].id) == {"Warm"}


def test_the_salesperson_is_the_owner_of_the_customers_open_lead_at_that_dealer(funnel):
    seller = funnel["seller"]
    with network_wide(reason="test arrange"):
        seller.first_name, seller.last_name = "Na", "Li"
        seller.save()
        StaffProfile.objects.filter(user=seller).update(phone="138 0000 0000")
    home, far = funnel["home"].id, funnel["far"].id
    with network_wide(reason="test check"):
        values = salesperson_values(
            [funnel["hot"].id, funnel["warm"].id, funnel["at_far"].id],
            {funnel["hot"].id: home, funnel["warm"].id: home, funnel["at_far"].id: home},
        )
    assert values == {funnel["hot"].id: {"salesperson.name": "Na Li", "salesperson.phone": "138 0000 0000"}}
    with network_wide(reason="test check"):
        assert salesperson_values([funnel["hot"].id], {funnel["hot"].id: far}) == {}
        assert salesperson_values([funnel["hot"].id], {funnel["hot"].id: None}) == {}


def test_the_salesperson_placeholders_reach_the_message_through_the_context(funnel):
    with network_wide(reason="test check"):
        values = recipient_values(
            customers=[funnel["hot"], funnel["warm"]],
            dealer_by_customer={funnel["hot"].id: funnel["home"].id, funnel["warm"].id: funnel["home"].id},
        )
    hot = render(
        subject="", body="Your advisor: {{ salesperson.name }}", values=values[funnel["hot"].id], html=False
    )
    assert hot.body_text == f"Your advisor: {funnel['seller'].get_full_name()}"
    with pytest.raises(PlaceholderMissing) as missing:  # Warm's lead has nobody assigned
        render(subject="", body="{{ salesperson.name }}", values=values[funnel["warm"].id], html=False)
    assert missing.value.names == ["salesperson.name"]
    with pytest.raises(PlaceholderMissing):  # no phone on the profile: an error, never a blank
        render(subject="", body="{{ salesperson.phone }}", values=values[funnel["hot"].id], html=False)


def test_the_salesperson_lookup_costs_two_queries_for_a_batch(funnel, django_assert_num_queries):
    customers = [funnel["hot"], funnel["warm"], funnel["cold"]]
    with network_wide(reason="test check"), django_assert_num_queries(2):
        salesperson_values([c.id for c in customers], {c.id: funnel["home"].id for c in customers})
