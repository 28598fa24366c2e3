"""Shared fixtures of the API tests: a small world with rows in the states the API's actions care about."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.customers.models import Customer
from crm.network.access import access_for
from crm.network.models import Role
from leads import services
from leads.models import DemoCar, Lead
from leads.services import lead_source_create
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, VehicleFactory, staff


def _lead(by, dealer, name, phone, **extra) -> Lead:
    return services.lead_capture(dealer=dealer, by=by, name=name, phones=[phone], **extra).lead


def _judgements(admin, dealers) -> tuple[list[int], list[int]]:
    """A published scorecard and an open finding at each dealer (the dealers API's scorecards and findings)."""
    from dealers.models import Scorecard, ScorecardTemplate
    from dealers.services.findings import finding_raise

    now = timezone.now()
    scorecards, findings = [], []
    with network_wide(reason="test arrange: the OEM's judgements"):
        template = ScorecardTemplate.objects.create(version=98, name="API", created_by=admin)
        for dealer in dealers:
            scorecard = Scorecard.objects.create(
                dealer=dealer, template=template, month=datetime.date(2026, 10, 1), points_tier="B", tier="B",
                rebate_rate=Decimal(1), computed_at=now, total_points=Decimal("84.00"),
            )
            Scorecard.objects.filter(id=scorecard.id).update(status="published", published_at=now)
            scorecards.append(scorecard.id)
    with scoped(access_for(admin).scope):
        for dealer in dealers:
            finding = finding_raise(
                dealer=dealer, by=admin, title="Follow-ups late", severity="major",
                due_on=datetime.date.today() + datetime.timedelta(days=7), figure_code="leads.overdue",
            )
            findings.append(finding.id)
    return scorecards, findings


@pytest.fixture
def api_world() -> dict:
    """Two dealers (one in the regional manager's region), their staff, customers, vehicles, and leads in
    the states the actions care about: new and ungraded, graded and contacted, quoted, awaiting a lost
    verdict, arrived in 1897 (a local-mean-time offset in Asia/Shanghai), and another dealer's."""
    east = RegionFactory(code="east-fuzz")
    dealer, other_dealer = DealerFactory(region=east), DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    other_seller = staff(Role.SALESPERSON, dealer=other_dealer)
    users = {
        "salesperson": seller,
        "sales_manager": manager,
        "regional_manager": staff(Role.REGIONAL_MANAGER, region=east),
        "oem_admin": staff(Role.OEM_ADMIN),
    }
    customers = [CustomerFactory(dealer=dealer), CustomerFactory(dealer=other_dealer)]
    vehicles = [VehicleFactory(owner=customers[0]), VehicleFactory(owner=customers[1])]
    with scoped(access_for(manager).scope):
        source, key = lead_source_create(code="fuzz-web", name="Web", channel="web_form", dealer=dealer)
        ungraded = _lead(manager, dealer, "Ungraded", "13911110001", type="internet", source=source)
        graded = _lead(manager, dealer, "Graded", "13911110002", type="phone", owner=seller)
        services.lead_grade(lead=graded, by=seller, grade="H", reason="keen")
        services.contact_log(lead=graded, by=seller, channel="call", outcome="reached")
        quoted = _lead(manager, dealer, "Quoted", "13911110003", type="phone", owner=seller)
        order = services.order_quote(lead=quoted, by=seller, model="A6", list_price=200_000)
        losing = _lead(manager, dealer, "Losing", "13911110004", type="phone", owner=seller)
        services.lost_propose(lead=losing, by=seller, reason="price")
        old = _lead(manager, dealer, "Old", "13911110005", type="phone", owner=seller)
        DemoCar.objects.create(dealer=dealer, model="A6")
    with scoped(access_for(other_seller).scope):
        foreign = _lead(other_seller, other_dealer, "Foreign", "13811110001", type="phone")
    with network_wide(reason="test arrange: records from before 1901"):
        long_ago = datetime.datetime(1897, 1, 3, 17, 30, tzinfo=datetime.UTC)
        Lead.objects.filter(id=old.id).update(arrived_at=long_ago, sla_due_at=long_ago)
        Customer.objects.filter(id=customers[0].id).update(birthday=datetime.date(1900, 1, 1))
    scorecards, findings = _judgements(users["oem_admin"], [dealer, other_dealer])
    return {
        "users": users,
        "intake_key": key,
        "ids": {
            "customers": [customer.id for customer in customers],
            "vehicles": [vehicle.id for vehicle in vehicles],
            "leads": [ungraded.id, graded.id, quoted.id, losing.id, old.id, foreign.id],
            "orders": [order.id],
            "dealers": [dealer.id, other_dealer.id],  # dl-figures: a dealer's key figures
            "scorecards": scorecards,  # dl-gaps: the judging API
            "findings": findings,
        },
    }
