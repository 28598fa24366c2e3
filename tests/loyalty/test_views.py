"""The club's pages: the member page and its statement export, the customer panel and sign-up, redeeming on
a repair order from the browser (twice sent, once redeemed), the OEM's earn rules and the settlement."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from crm.network.models import Role
from loyalty.models import Member, PointsEntry, Programme, Redemption
from loyalty.services.ledger import points_earn, points_redeem
from tests.factories import CustomerFactory, DealerFactory, staff
from tests.loyalty.conftest import enrol, everything, repair_order_billed, tiers_make

pytestmark = pytest.mark.django_db


def funded(member, points=5000, key="funds", dealer=None):
    with everything():
        return points_earn(member=member, points=points, source="delivery", idempotency_key=key, dealer=dealer)


def test_the_member_page_shows_tier_balance_expiring_points_and_history(client, club):
    tiers_make()
    funded(club["member"], dealer=club["dealer"])
    with everything():
        points_redeem(member=club["member"], points=1200, idempotency_key="spend", dealer=club["dealer"])
    client.force_login(club["seller"])
    page = client.get(reverse("loyalty:member", args=[club["member"].id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-balance>3800<' in html
    assert "+5000" in html and "-1200" in html


def test_the_member_list_query_count_does_not_grow_with_members(client, club, django_assert_max_num_queries):
    client.force_login(club["seller"])
    client.get(reverse("loyalty:members"))
    for _ in range(5):
        enrol(CustomerFactory(dealer=club["dealer"]), club["dealer"])
    with django_assert_max_num_queries(14):
        page = client.get(reverse("loyalty:members"))
    assert page.status_code == 200 and page.content.decode().count('data-href="/loyalty/members/') == 6


def test_the_monthly_statement_adds_up_and_exports(client, club):
    funded(club["member"], dealer=club["dealer"])
    client.force_login(club["seller"])
    month = timezone.localdate().strftime("%Y-%m")
    url = reverse("loyalty:statement", args=[club["member"].id])
    page = client.get(url, {"month": month})
    assert page.status_code == 200 and "data-closing>5000<" in page.content.decode()
    export = client.get(url, {"month": month, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][4] == 0 and rows[-1][4] == 5000 and rows[2][4] == 5000
    assert client.get(url, {"month": month, "format": "pdf"}).status_code == 400
    assert client.get(url, {"month": "not-a-month"}).status_code == 200


def test_the_customer_panel_signs_a_customer_up_with_consent(client, club):
    customer = CustomerFactory(dealer=club["dealer"])
    client.force_login(club["seller"])
    page = client.get(reverse("customers:detail", args=[customer.id]))
    assert "loyalty-panel" in page.content.decode()
    refused = client.post(reverse("loyalty:enrol", args=[customer.id]), {})
    assert refused.status_code == 302
    with everything():
        assert not Member.objects.filter(customer=customer).exists()
    joined = client.post(reverse("loyalty:enrol", args=[customer.id]), {"consent": "on"})
    with everything():
        member = Member.objects.get(customer=customer)
    assert joined.url == reverse("loyalty:member", args=[member.id])
    assert member.home_dealer_id == club["dealer"].id and member.joined_via == "dealer"
    panel = client.get(reverse("customers:detail", args=[customer.id])).content.decode()
    assert member.number in panel


def test_an_advisor_redeems_from_the_browser_and_a_resent_form_redeems_once(client, club):
    funded(club["member"])
    repair_order = repair_order_billed(club["dealer"], club["advisor"], club["owner"], labour="600")
    client.force_login(club["advisor"])
    url = reverse("loyalty:redeem", args=[repair_order.id])
    form = client.get(url)
    assert form.status_code == 200
    key = form.context["form"].initial["request_key"]
    panel = client.get(reverse("customers:detail", args=[club["owner"].id])).content.decode()
    assert url in panel  # the customer page's club panel links to the open order's redemption
    for _ in range(2):
        assert client.post(url, {"points": "2000", "request_key": key}).status_code == 302
    with everything():
        assert Redemption.objects.get().points == 2000
        assert PointsEntry.objects.filter(kind="redeem").count() == 1
    too_many = client.post(url, {"points": "9000", "request_key": "other"})
    assert too_many.status_code == 400
    assert "does not have that many points" in too_many.content.decode()
    assert client.post(url, {"points": "-5", "request_key": "x"}).status_code == 400


def test_the_oem_admin_sets_earn_rules_and_tier_benefits(client, club):
    tiers = tiers_make()
    admin = staff(Role.OEM_ADMIN)
    client.force_login(admin)
    url = reverse("loyalty:programme")
    assert client.get(url).status_code == 200
    data = {
        "tier_basis": "calendar_year", "rolling_months": "12", "downgrade_grace_days": "60",
        "expiry_months": "36", "return_window_days": "14", "points_per_yuan": "2", "delivery_points": "1500",
        "referral_points": "3000", "point_value": "0.01",
    }
    for tier in tiers:
        prefix = f"tier-{tier.id}"
        data.update({
            f"{prefix}-name": tier.name, f"{prefix}-name_zh": "", f"{prefix}-qualifying_points": tier.qualifying_points,
            f"{prefix}-earn_multiplier": "2" if tier.code == "platinum" else tier.earn_multiplier,
            f"{prefix}-service_discount_percent": tier.service_discount_percent,
        })
    assert client.post(url, data).status_code == 302
    with everything():
        programme = Programme.objects.get()
        assert (programme.tier_basis, programme.expiry_months, programme.delivery_points) == ("calendar_year", 36, 1500)
        assert str(tiers[2].__class__.objects.get(code="platinum").earn_multiplier) == "2.00"
    bad = client.post(url, {**data, "point_value": "0", "expiry_months": "0"})
    assert bad.status_code == 400
    with everything():
        assert Programme.objects.get().expiry_months == 36
    client.force_login(club["manager"])
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404


def test_the_settlement_says_which_dealer_owes_which(client, club):
    other = DealerFactory(name="Hangzhou Aurora 4S")
    other_advisor = staff(Role.SERVICE_ADVISOR, dealer=other)
    funded(club["member"], points=3000, key="earned-at-home", dealer=club["dealer"])
    with everything():
        points_earn(
            member=club["member"], points=1000, source="referral", idempotency_key="oem-funded",
            dealer=club["dealer"], funded_by="oem",
        )
    # The owner has the car serviced in Hangzhou and spends points there.
    from crm.customers.models import CustomerDealer

    with everything():
        CustomerDealer.objects.create(customer=club["owner"], dealer=other, reason="service")
    repair_order = repair_order_billed(other, other_advisor, club["owner"], labour="600")
    from loyalty.services.redemption import points_redeem_on_repair_order
    from tests.loyalty.conftest import as_user

    with as_user(other_advisor):
        points_redeem_on_repair_order(repair_order=repair_order, points=3500, by=other_advisor, idempotency_key="hz")
    client.force_login(staff(Role.OEM_ADMIN))
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("loyalty:settlement"), {"month": month})
    rows = [(r.payer_dealer_id, r.payee_dealer_id, r.points, str(r.amount)) for r in page.context["rows"]]
    assert rows == [(None, other.id, 500, "5.00"), (club["dealer"].id, other.id, 3000, "30.00")]
    liability = page.context["liability"]
    assert (liability.points, str(liability.amount), liability.members) == (500, "5.00", 1)
    export = client.get(reverse("loyalty:settlement"), {"month": month, "format": "csv"})
    assert "Hangzhou Aurora 4S" in export.content.decode("utf-8-sig")
    client.force_login(club["manager"])
    assert client.get(reverse("loyalty:settlement")).status_code == 404


def test_the_oem_admin_adds_a_campaign_and_bad_dates_are_refused_beside_the_field(client, club):
    from loyalty.models import EarnCampaign

    client.force_login(staff(Role.OEM_ADMIN))
    url = reverse("loyalty:campaign_add")
    good = {"name": "Spring double points", "starts_on": "2027-03-01", "ends_on": "2027-03-31", "multiplier": "2"}
    assert client.post(url, good).status_code == 302
    bad = client.post(url, {**good, "ends_on": "2027-02-01", "multiplier": "1"})
    assert bad.status_code == 400
    errors = bad.context["campaign_form"].errors
    assert set(errors) == {"ends_on", "multiplier"}
    with everything():
        assert list(EarnCampaign.objects.values_list("name", flat=True)) == ["Spring double points"]
    client.force_login(club["manager"])
    assert client.post(url, good).status_code == 404


def test_a_manager_approves_an_adjustment_someone_else_asked_for(client, club):
    funded(club["member"], points=100)
    url = reverse("loyalty:adjust", args=[club["member"].id])
    client.force_login(club["seller"])
    assert client.get(url).status_code == 404
    client.force_login(club["manager"])
    form = client.get(url)
    assert form.status_code == 200
    people = list(form.context["form"].fields["requested_by"].queryset)
    assert club["seller"] in people and club["manager"] not in people
    key = form.context["form"].initial["request_key"]
    data = {"points": "-30", "reason": "Points credited twice", "requested_by": club["seller"].id, "request_key": key}
    for _ in range(2):
        assert client.post(url, data).status_code == 302
    with everything():
        entry = PointsEntry.objects.get(kind="adjust")
        assert (entry.points, entry.approver_id, entry.actor_id, entry.dealer_id) == (
            -30, club["manager"].id, club["seller"].id, club["dealer"].id,
        )
    refused = client.post(url, {**data, "points": "-500", "request_key": "other"})
    assert refused.status_code == 400 and "does not have that many points" in refused.content.decode()
    assert client.post(url, {**data, "points": "0", "request_key": "zero"}).status_code == 400
    assert client.post(url, {**data, "requested_by": club["manager"].id, "request_key": "self"}).status_code == 400
