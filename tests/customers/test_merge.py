"""A merge moves everything and loses nothing, in one transaction, with an audit record."""

import pytest

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.customers.exceptions import MergeNotAllowed
from crm.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomerDealer,
    CustomerMerge,
    DuplicateCandidate,
    Vehicle,
)
from crm.customers.services import consent_record, customers_merge
from crm.network.access import access_for
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from crm.timeline.services import event_record
from tests.factories import CustomerFactory, DealerFactory, VehicleFactory, staff

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    with network_wide(reason="test count"):
        return {
            model.__name__: model.objects.count()
            for model in (
                Customer,
                ContactPoint,
                Consent,
                CustomerDealer,
                Vehicle,
                TimelineEvent,
                CustomerMerge,
            )
        }


@pytest.fixture
def pair():
    """Two records of one person: one at Shanghai, one at Shanghai and Beijing, with overlapping data."""
    shanghai, beijing = DealerFactory(), DealerFactory()
    manager = staff(Role.SALES_MANAGER, dealer=shanghai)
    survivor = CustomerFactory(dealer=shanghai, name="王小明", phone="+8613800000001")
    merged = CustomerFactory(dealer=shanghai, name="王晓明", phone="+8613800000002")
    with network_wide(reason="test arrange"):
        CustomerDealer.objects.create(customer=merged, dealer=beijing, reason=CustomerDealer.Reason.SERVICE)
        ContactPoint.objects.create(
            customer=merged, kind="phone", value="+8613800000001"
        )  # same as survivor's
        ContactPoint.objects.create(customer=merged, kind="email", value="wang@example.com", is_primary=True)
        consent_record(
            customer=survivor, channel="sms", purpose="marketing", status="opt_in", source="showroom"
        )
        consent_record(customer=merged, channel="sms", purpose="marketing", status="opt_out", source="reply")
        consent_record(
            customer=merged, channel="email", purpose="service", status="opt_in", source="web_form"
        )
        VehicleFactory(owner=merged)
        event_record(
            customer_id=merged.id, kind="customer.note", dealer_id=beijing.id, data={"text": "serviced"}
        )
        DuplicateCandidate.objects.create(customer=survivor, other=merged, score=0.4, reason="test")
    return {
        "manager": manager,
        "survivor": survivor,
        "merged": merged,
        "shanghai": shanghai,
        "beijing": beijing,
    }


def test_merge_moves_every_relationship_vehicle_consent_and_timeline_entry(pair):
    survivor, merged, manager = pair["survivor"], pair["merged"], pair["manager"]
    before = counts()
    with scoped(access_for(manager).scope):
        record = customers_merge(survivor=survivor, merged=merged, by=manager)
    after = counts()

    with network_wide(reason="test assert"):
        # Nothing points at the merged record any more, except the audit trail.
        assert not ContactPoint.objects.filter(customer=merged).exists()
        assert not Consent.objects.filter(customer=merged).exists()
        assert not CustomerDealer.objects.filter(customer=merged).exists()
        assert not Vehicle.objects.filter(owner=merged).exists()
        assert not TimelineEvent.objects.filter(customer=merged).exists()
        # The Beijing relationship (another dealer's row the manager cannot see) moved too.
        assert set(CustomerDealer.objects.filter(customer=survivor).values_list("dealer_id", flat=True)) == {
            pair["shanghai"].id,
            pair["beijing"].id,
        }
        phones = set(ContactPoint.objects.filter(customer=survivor).values_list("value", flat=True))
        assert phones == {"+8613800000001", "+8613800000002", "wang@example.com"}
        # An opt-out on either side wins.
        assert Consent.objects.get(customer=survivor, channel="sms", purpose="marketing").status == "opt_out"
        assert Consent.objects.get(customer=survivor, channel="email", purpose="service").status == "opt_in"
        assert Customer.objects.get(id=merged.id).merged_into_id == survivor.id
        assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.MERGED
        assert TimelineEvent.objects.filter(customer=survivor, kind="customer.merged").count() == 1

    # Row counts: only the duplicates inside the pair disappeared (one shared phone, one consent, one link).
    assert after["Customer"] == before["Customer"]
    assert after["ContactPoint"] == before["ContactPoint"] - 1
    assert after["Consent"] == before["Consent"] - 1
    assert after["CustomerDealer"] == before["CustomerDealer"] - 1
    assert after["Vehicle"] == before["Vehicle"]
    assert after["TimelineEvent"] == before["TimelineEvent"] + 1
    assert after["CustomerMerge"] == 1
    assert record.snapshot["customer"]["name"] == "王晓明"
    assert record.moved["contact_points"] == 2 and record.moved["contact_points_merged"] == 1
    assert record.merged_by == manager


def test_a_salesperson_may_not_merge_and_nothing_changes(pair):
    salesperson = staff(Role.SALESPERSON, dealer=pair["shanghai"])
    before = counts()
    with pytest.raises(PermissionDenied), scoped(access_for(salesperson).scope):
        customers_merge(survivor=pair["survivor"], merged=pair["merged"], by=salesperson)
    assert counts() == before


def test_a_merged_customer_cannot_be_merged_again(pair):
    manager = pair["manager"]
    with scoped(access_for(manager).scope):
        customers_merge(survivor=pair["survivor"], merged=pair["merged"], by=manager)
    with network_wide(reason="test"):
        tombstone = Customer.objects.get(id=pair["merged"].id)
    other = CustomerFactory(dealer=pair["shanghai"])
    with pytest.raises(MergeNotAllowed), scoped(access_for(manager).scope):
        customers_merge(survivor=other, merged=tombstone, by=manager)


def test_merge_into_itself_is_refused(pair):
    with pytest.raises(MergeNotAllowed), scoped(access_for(pair["manager"]).scope):
        customers_merge(survivor=pair["survivor"], merged=pair["survivor"], by=pair["manager"])
