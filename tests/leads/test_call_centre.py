"""The phone channels: the OEM call centre's phone-in (issue a caller's lead to a dealer), a call taken at
the dealer, and a friend an owner refers. Who may open each page, what each writes, that refused
requests change nothing, and that the "issued today" list costs a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.scope import network_wide, scoped
from crm.customers.models import Consent, Customer
from crm.network.access import access_for
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from leads import services as lead_services
from leads.models import ContactAttempt, Lead, LeadSource, LeadType
from tests.factories import BrandFactory, CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PHONE_IN = "leads_call_centre:phone_in"
DEALER_PHONE_IN = "leads_call_centre:dealer_phone_in"


def database_state() -> dict:
    with network_wide(reason="test check"):
        return {
            "leads": sorted(
                Lead.objects.values_list("id", "stage", "grade", "owner_id", "acceptance", "version")
            ),
            "attempts": ContactAttempt.objects.count(),
            "customers": Customer.objects.count(),
            "consents": Consent.objects.count(),
            "events": TimelineEvent.objects.count(),
        }


@pytest.fixture
def network():
    region = RegionFactory(code="east")
    aurora = BrandFactory()
    zenith = BrandFactory(code="zenith", name="Zenith", is_oem_brand=False)
    pudong = DealerFactory(
        code="D0001",
        name="Pudong Aurora 4S",
        city="Shanghai",
        region=region,
        brands=[aurora],
        business_hours=ALWAYS_OPEN,
    )
    minhang = DealerFactory(
        code="D0002",
        name="Minhang Aurora 4S",
        city="Shanghai",
        region=region,
        brands=[aurora],
        business_hours=ALWAYS_OPEN,
    )
    hangzhou = DealerFactory(
        code="D0003",
        name="Hangzhou Aurora 4S",
        city="Hangzhou",
        region=region,
        brands=[aurora],
        business_hours=ALWAYS_OPEN,
    )
    suzhou = DealerFactory(
        code="D0004",
        name="Suzhou Zenith",
        city="Suzhou",
        region=region,
        brands=[zenith],
        business_hours=ALWAYS_OPEN,
    )
    with network_wide(reason="test arrange"):
        source = LeadSource.objects.create(
            code="oem-800", name="OEM 800 line", channel=LeadSource.Channel.CALL_CENTRE
        )
    return {
        "region": region,
        "aurora": aurora,
        "pudong": pudong,
        "minhang": minhang,
        "hangzhou": hangzhou,
        "suzhou": suzhou,
        "source": source,
        "agent": staff(Role.CALL_CENTRE_AGENT, username="agent"),
        "other_agent": staff(Role.CALL_CENTRE_AGENT, username="agent2"),
        "oem_admin": staff(Role.OEM_ADMIN, username="oemadmin"),
        "seller": staff(Role.SALESPERSON, dealer=pudong, username="seller"),
        "colleague": staff(Role.SALESPERSON, dealer=pudong, username="colleague"),
        "manager": staff(Role.SALES_MANAGER, dealer=pudong, username="manager"),
        "regional": staff(Role.REGIONAL_MANAGER, region=region, username="regional"),
    }


def caller(network, **changes) -> dict:
    data = {
        "phone": "139 1111 2222",
        "name": "来电张先生",
        "city": "Shanghai",
        "brand": network["aurora"].id,
        "models": "A6, Q5",
        "preferred_dealer": "",
        "note": "Asks for a Saturday test drive",
        "consent_sms": "opt_in",
        "consent_phone": "",
        "source": network["source"].id,
    }
    return {**data, **changes}


def issued_lead() -> Lead:
    with network_wide(reason="test check"):
        return Lead.objects.select_related("dealer", "customer").get(customer__name="来电张先生")


# OEM phone-in ------------------------------------------------------------------------------------------


def test_phone_in_issues_the_lead_to_the_preferred_dealer_with_the_clock_running(client, network):
    client.force_login(network["agent"])
    response = client.post(
        reverse(PHONE_IN), caller(network, preferred_dealer=network["hangzhou"].id), follow=True
    )
    assert response.status_code == 200
    lead = issued_lead()
    assert lead.dealer == network["hangzhou"]
    assert lead.acceptance == Lead.Acceptance.PENDING
    assert lead.type == LeadType.PHONE and lead.source == network["source"]
    assert lead.sla_due_at is not None and lead.first_contact_at is None
    assert lead.models_of_interest == ["A6", "Q5"]
    page = response.content.decode()
    assert "issued to Hangzhou Aurora 4S" in page
    assert [row.id for row in response.context["issued"]] == [lead.id]
    with network_wide(reason="test check"):
        consents = list(
            Consent.objects.filter(customer=lead.customer).values_list("channel", "status", "source")
        )
    assert consents == [("sms", "opt_in", "phone")]  # the phone channel was not asked: nothing recorded


def test_phone_in_without_a_preference_goes_to_a_same_city_dealer_selling_the_brand(client, network):
    client.force_login(network["oem_admin"])
    response = client.post(reverse(PHONE_IN), caller(network, city="shanghai"), follow=True)
    assert response.status_code == 200
    lead = issued_lead()
    assert lead.dealer == network["pudong"]  # the city typed in lower case still finds Shanghai's dealers
    assert lead.customer.city == "Shanghai"


def test_phone_in_with_no_dealer_selling_the_brand_in_the_city_asks_to_choose_and_stores_nothing(
    client, network
):
    client.force_login(network["agent"])
    before = database_state()
    response = client.post(reverse(PHONE_IN), caller(network, city="Suzhou"))
    assert response.status_code == 200
    assert "No active dealer in Suzhou sells this brand" in response.content.decode()
    assert response.context["must_choose_dealer"]
    assert database_state() == before


def test_phone_in_refuses_a_preferred_dealer_that_does_not_sell_the_brand(client, network):
    client.force_login(network["agent"])
    before = database_state()
    response = client.post(reverse(PHONE_IN), caller(network, preferred_dealer=network["suzhou"].id))
    assert response.status_code == 200
    assert "does not sell Aurora" in response.content.decode()
    assert database_state() == before


def test_phone_lookup_answers_only_the_known_customers_name(client, network):
    CustomerFactory(dealer=network["hangzhou"], name="老客户李女士", phone="+8613912345678", city="Hangzhou")
    client.force_login(network["agent"])
    known = client.get(reverse("leads_call_centre:phone_in_lookup"), {"phone": "139 1234 5678"})
    assert "Known customer: 老客户李女士" in known.content.decode()
    assert "Hangzhou" not in known.content.decode()
    unknown = client.get(reverse("leads_call_centre:phone_in_lookup"), {"phone": "13700000000"})
    assert "New caller" in unknown.content.decode()


def test_dealer_options_follow_the_city_and_the_brand(client, network):
    client.force_login(network["agent"])
    url = reverse("leads_call_centre:phone_in_dealers")
    page = client.get(url, {"city": "shang", "brand": network["aurora"].id}).content.decode()
    assert "Pudong Aurora 4S" in page and "Minhang Aurora 4S" in page and "Hangzhou" not in page
    page = client.get(url, {"city": "Suzhou", "brand": network["aurora"].id}).content.decode()
    assert "No dealer found" in page
    page = client.get(url, {"city": "Suzhou", "dealer_search": "hangzhou", "brand": network["aurora"].id})
    assert "Hangzhou Aurora 4S" in page.content.decode()


@pytest.mark.parametrize("role", ["seller", "manager", "regional"])
def test_phone_in_is_only_for_the_call_centre_and_oem_admins(client, network, role):
    client.force_login(network[role])
    before = database_state()
    for name in (PHONE_IN, "leads_call_centre:phone_in_lookup", "leads_call_centre:phone_in_dealers"):
        assert client.get(reverse(name), {"phone": "13911112222", "city": "Shanghai"}).status_code == 404
    assert client.post(reverse(PHONE_IN), caller(network)).status_code == 404
    assert database_state() == before


def test_issued_today_lists_only_this_agents_leads_in_a_fixed_number_of_queries(client, network):
    def issue(by, index):
        with scoped(access_for(by).scope):
            lead_services.lead_issue(
                by=by,
                source=network["source"],
                name=f"来电{index}",
                phones=[f"+86139000000{index:02d}"],
                city="Shanghai",
                brand_code="aurora",
            )

    issue(network["other_agent"], 99)
    issue(network["agent"], 1)
    client.force_login(network["agent"])
    client.get(reverse(PHONE_IN))  # warm the session and the access cache
    with CaptureQueriesContext(connection) as one_row:
        response = client.get(reverse(PHONE_IN))
    assert [lead.customer.name for lead in response.context["issued"]] == ["来电1"]
    for index in range(2, 8):
        issue(network["agent"], index)
    with CaptureQueriesContext(connection) as seven_rows:
        response = client.get(reverse(PHONE_IN))
    assert len(response.context["issued"]) == 7
    assert "来电99" not in response.content.decode()
    assert len(seven_rows.captured_queries) <= len(one_row.captured_queries)


# Dealer phone-in -----------------------------------------------------------------------------------------


def test_dealer_phone_in_opens_a_phone_lead_with_a_claimed_first_contact(client, network):
    client.force_login(network["seller"])
    response = client.post(
        reverse(DEALER_PHONE_IN),
        {
            "phone": "13922223333",
            "name": "电话王先生",
            "models": ["A6"],
            "other_model": "Q5",
            "grade": "H",
            "note": "Asked the price",
        },
    )
    with network_wide(reason="test check"):
        lead = Lead.objects.get(customer__name="电话王先生")
        attempt = ContactAttempt.objects.get(lead=lead)
    assert response.status_code == 302 and response.url == reverse("leads:detail", args=[lead.id])
    assert (
        lead.type == LeadType.PHONE and lead.owner == network["seller"] and lead.dealer == network["pudong"]
    )
    # Taken on the dealer's own phone and logged by hand: claimed, not witnessed (leads/verification.py).
    assert lead.first_contact_at is not None and lead.is_first_contact_verified is False
    assert lead.first_response_minutes == 0 and not lead.is_sla_breached
    assert lead.grade == "H" and lead.stage == "contacted"
    assert lead.models_of_interest == ["A6", "Q5"]
    assert (attempt.channel, attempt.outcome, attempt.is_verified) == ("call", "reached", False)


def test_dealer_phone_in_says_whose_lead_it_is_when_a_colleague_owns_it(client, network):
    with scoped(access_for(network["colleague"]).scope):
        theirs = lead_services.lead_capture(
            dealer=network["pudong"],
            by=network["colleague"],
            name="熟客",
            type=LeadType.WALK_IN,
            phones=["+8613944445555"],
            owner=network["colleague"],
        ).lead
    client.force_login(network["seller"])
    response = client.post(reverse(DEALER_PHONE_IN), {"phone": "139 4444 5555", "name": "熟客"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "owned by First" in page or network["colleague"].first_name in page
    assert reverse("leads:detail", args=[theirs.id]) in page
    with network_wide(reason="test check"):
        assert Lead.objects.filter(customer=theirs.customer).count() == 1
        assert not ContactAttempt.objects.filter(lead=theirs).exists()
        assert Lead.objects.get(id=theirs.id).owner == network["colleague"]


def test_dealer_phone_in_lookup_of_a_caller_whose_open_lead_has_no_owner_says_nobody_yet(client, network):
    # The lookup answered 500 for any caller with an unassigned lead (a fresh web or OEM lead).
    with network_wide(reason="test arrange"):
        lead_services.lead_capture(
            dealer=network["pudong"],
            by=network["seller"],
            name="无主客户",
            type=LeadType.INTERNET,
            phones=["+8613944446666"],
        )
    client.force_login(network["seller"])
    response = client.get(reverse("leads_call_centre:dealer_phone_in_lookup"), {"phone": "13944446666"})
    assert response.status_code == 200
    assert "Known customer: 无主客户" in response.content.decode()
    assert "owned by nobody yet" in response.content.decode()


@pytest.mark.parametrize("role", ["agent", "oem_admin", "regional"])
def test_dealer_phone_in_is_only_for_dealer_sales_staff(client, network, role):
    client.force_login(network[role])
    before = database_state()
    assert client.get(reverse(DEALER_PHONE_IN)).status_code == 404
    assert (
        client.get(reverse("leads_call_centre:dealer_phone_in_lookup"), {"phone": "13911112222"}).status_code
        == 404
    )
    assert client.post(reverse(DEALER_PHONE_IN), {"phone": "13922223333", "name": "x"}).status_code == 404
    assert database_state() == before


# Referral ------------------------------------------------------------------------------------------------


def test_referral_opens_the_friends_referral_lead_naming_the_referrer(client, network):
    owner = CustomerFactory(dealer=network["pudong"], name="车主赵先生")
    client.force_login(network["seller"])
    url = reverse("leads_call_centre:referral", args=[owner.id])
    assert "车主赵先生" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "朋友钱女士",
            "phone": "13955556666",
            "models": [],
            "other_model": "A6",
            "note": "Colleague",
        },
    )
    with network_wide(reason="test check"):
        lead = Lead.objects.get(customer__name="朋友钱女士")
        created = TimelineEvent.objects.get(kind="lead.created", data__lead=lead.id)
    assert response.status_code == 302 and response.url == reverse("leads:detail", args=[lead.id])
    assert lead.type == LeadType.REFERRAL and lead.owner == network["seller"]
    assert lead.answers["referred_by"] == owner.id
    assert "车主赵先生" in created.data["note"]


def test_referral_with_the_referrers_own_phone_is_refused(client, network):
    owner = CustomerFactory(dealer=network["pudong"], name="车主赵先生", phone="+8613955557777")
    client.force_login(network["seller"])
    before = database_state()
    response = client.post(
        reverse("leads_call_centre:referral", args=[owner.id]), {"name": "朋友", "phone": "13955557777"}
    )
    assert response.status_code == 200
    assert "referrer&#x27;s own" in response.content.decode() or "referrer's own" in response.content.decode()
    assert database_state() == before


@pytest.mark.parametrize("role", ["seller", "agent", "regional", "oem_admin"])
def test_referral_from_a_customer_the_user_may_not_use_is_404(client, network, role):
    foreign = CustomerFactory(dealer=network["hangzhou"], name="别家车主")
    own = CustomerFactory(dealer=network["pudong"], name="车主")
    client.force_login(network[role])
    before = database_state()
    targets = [foreign] if role == "seller" else [foreign, own]
    for referrer in targets:
        url = reverse("leads_call_centre:referral", args=[referrer.id])
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "朋友", "phone": "13955558888"}).status_code == 404
    assert database_state() == before
