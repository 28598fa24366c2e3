"""Public intake: the web form and ADF documents, posted by ANONYMOUS callers holding a source key (the
LESSONS trap: public intake behind tenant middleware answering 403)."""

import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from crm.core.public_keys import key_hash
from crm.core.scope import Scope, network_wide, scope_current, scoped
from crm.customers.models import Consent, Customer, CustomerDealer, DuplicateCandidate
from crm.network.models import Brand, DealerAlias, Role
from crm.timeline.models import TimelineEvent
from leads.adf import parse_adf
from leads.models import Campaign, Lead, LeadSource, TradeIn
from leads.services import KEY_HEADER, adf_capture, lead_assign, lead_source_create
from tests.factories import BrandFactory, BrandModelFactory, DealerFactory, staff

pytestmark = pytest.mark.django_db

WEB_FORM = "/api/intake/web-form/"
ADF = "/api/intake/adf/"
SAMPLES = Path(__file__).parent / "adf_samples"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def make_source(dealer=None, *, channel="web_form", code=None, active=True):
    with network_wide(reason="test arrange"):
        source, key = lead_source_create(
            code=code or f"src-{dealer.code if dealer else 'oem'}-{channel}",
            name="Site",
            channel=channel,
            dealer=dealer,
        )
        if not active:
            LeadSource.objects.filter(id=source.id).update(is_active=False)
    return source, key


def counts():
    with network_wide(reason="test snapshot"):
        return Lead.objects.count(), Customer.objects.count(), TimelineEvent.objects.count()


def post_form(key, body, **extra):
    return APIClient().post(
        WEB_FORM, body, format="json", **{f"HTTP_{KEY_HEADER.upper().replace('-', '_')}": key}, **extra
    )


def post_adf(key, xml: bytes, content_type="application/xml", query=""):
    return APIClient().post(
        ADF + query, xml, content_type=content_type, **{f"HTTP_{KEY_HEADER.upper().replace('-', '_')}": key}
    )


@pytest.fixture
def dealer():
    return DealerFactory()


# --- Web form --------------------------------------------------------------------------------------------


def test_anonymous_web_form_creates_a_lead_at_the_sources_dealer_with_consents(dealer):
    source, key = make_source(dealer)
    response = post_form(
        key,
        {
            "name": "王小明",
            "phone": "139 1234 5678",
            "email": "xm@example.com",
            "models": ["Aurora S7"],
            "message": "请联系我",
            "utm_source": "baidu",
            "consent_sms": True,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"] is True
    with network_wide(reason="test check"):
        lead = Lead.objects.select_related("customer").get(id=response.json()["lead_id"])
        assert lead.dealer_id == dealer.id and lead.source_id == source.id
        assert lead.type == "internet" and lead.models_of_interest == ["Aurora S7"]
        assert lead.sla_due_at is not None
        consent = Consent.objects.get(customer=lead.customer)
        assert (consent.channel, consent.status, consent.source) == ("sms", "opt_in", "web_form")
        created = TimelineEvent.objects.get(customer=lead.customer, kind="lead.created")
        assert "请联系我" in created.data["note"] and "utm_source=baidu" in created.data["note"]


def test_repeat_submission_attaches_to_the_open_lead(dealer):
    _source, key = make_source(dealer)
    first = post_form(key, {"name": "A", "phone": "13912345678", "external_id": "F-1"})
    again = post_form(key, {"name": "A", "phone": "13912345678", "external_id": "F-1"})
    other_form = post_form(key, {"name": "A", "email": "a@example.com", "phone": "+86 139 1234 5678"})
    assert first.status_code == 201
    assert again.status_code == 200 and again.json()["lead_id"] == first.json()["lead_id"]
    assert other_form.status_code == 200 and other_form.json()["lead_id"] == first.json()["lead_id"]
    assert counts()[0] == 1
    with network_wide(reason="test check"):
        assert TimelineEvent.objects.filter(kind="lead.touched").count() == 2


def test_honeypot_answers_accepted_and_stores_nothing(dealer):
    _source, key = make_source(dealer)
    before = counts()
    response = post_form(key, {"name": "Bot", "phone": "13912345678", "website": "http://spam"})
    assert response.status_code == 202
    assert counts() == before


def test_form_sent_too_fast_is_refused(dealer):
    _source, key = make_source(dealer)
    before = counts()
    response = post_form(key, {"name": "Bot", "phone": "13912345678", "rendered_at": time.time()})
    assert response.status_code == 400 and response.json()["code"] == "submitted_too_fast"
    assert counts() == before
    ok = post_form(key, {"name": "Person", "phone": "13912345678", "rendered_at": time.time() - 30})
    assert ok.status_code == 201


def test_rate_limit_per_source_and_ip_answers_429_with_retry_after(dealer, settings):
    settings.LEAD_INTAKE_RATE_PER_IP = 3
    _source, key = make_source(dealer)
    statuses = [post_form(key, {"name": f"P{i}", "phone": f"1391234567{i}"}).status_code for i in range(4)]
    assert statuses == [201, 201, 201, 429]
    limited = post_form(key, {"name": "P9", "phone": "13912345679"})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json()["code"] == "rate_limited"
    assert counts()[0] == 3
    # Another source on the same IP has its own budget.
    _other, other_key = make_source(DealerFactory())
    assert post_form(other_key, {"name": "Q", "phone": "13812345678"}).status_code == 201


@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 500])
def test_bad_key_is_401_and_stores_nothing(dealer, key):
    make_source(dealer)
    before = counts()
    response = (
        post_form(key or "", {"name": "A", "phone": "13912345678"})
        if key is not None
        else (APIClient().post(WEB_FORM, {"name": "A", "phone": "13912345678"}, format="json"))
    )
    assert response.status_code == 401
    assert (
        set(response.json()) == {"message", "code", "extra"}
        and response.json()["code"] == "invalid_source_key"
    )
    assert counts() == before


def test_inactive_source_key_is_401(dealer):
    _source, key = make_source(dealer, active=False)
    assert post_form(key, {"name": "A", "phone": "13912345678"}).status_code == 401


def test_only_the_key_hash_is_stored(dealer):
    source, key = make_source(dealer)
    with network_wide(reason="test check"):
        stored = LeadSource.objects.get(id=source.id).key_hash
    assert stored == key_hash(key) and key not in stored


def test_bad_phone_is_400_naming_the_field(dealer):
    _source, key = make_source(dealer)
    before = counts()
    response = post_form(key, {"name": "A", "phone": "12"})
    assert response.status_code == 400
    assert "phone" in response.json()["extra"]["fields"]
    assert counts() == before


def test_no_contact_unknown_fields_and_oversized_body_are_refused(dealer):
    _source, key = make_source(dealer)
    before = counts()
    assert post_form(key, {"name": "A"}).status_code == 400
    unknown = post_form(key, {"name": "A", "phone": "13912345678", "admin": True})
    assert unknown.status_code == 400 and "admin" in unknown.json()["extra"]["fields"]
    big = post_form(key, {"name": "A", "phone": "13912345678", "message": "x" * 20_000})
    assert big.status_code == 413
    assert counts() == before


def test_oem_wide_source_needs_an_active_dealer_carrying_the_brand():
    brand = BrandFactory()
    carrying = DealerFactory(brands=[brand])
    other_brand = DealerFactory(brands=[BrandFactory(code="rival", name="Rival", is_oem_brand=False)])
    _source, key = make_source(None, code="oem-web")
    before = counts()
    assert post_form(key, {"name": "A", "phone": "13912345678"}).status_code == 400
    assert post_form(key, {"name": "A", "phone": "13912345678", "dealer_code": "nope"}).status_code == 400
    refused = post_form(key, {"name": "A", "phone": "13912345678", "dealer_code": other_brand.code})
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_dealer"
    assert counts() == before
    response = post_form(key, {"name": "A", "phone": "13912345678", "dealer_code": carrying.code})
    assert response.status_code == 201
    with network_wide(reason="test check"):
        lead = Lead.objects.get(id=response.json()["lead_id"])
    assert lead.dealer_id == carrying.id and lead.acceptance == Lead.Acceptance.PENDING


def test_web_form_lead_is_invisible_to_another_dealer(dealer):
    _source, key = make_source(dealer)
    lead_id = post_form(key, {"name": "A", "phone": "13912345678"}).json()["lead_id"]
    outsider = staff(Role.SALESPERSON, dealer=DealerFactory())
    client = APIClient()
    client.force_login(outsider)
    assert client.get(f"/api/v1/leads/{lead_id}/").status_code == 404


def test_lead_source_create_command_prints_the_key_once(dealer):
    out = StringIO()
    call_command("lead_source_create", "site-x", "Site X", "--dealer", dealer.code, stdout=out)
    key = out.getvalue().split("store it now): ")[1].strip()
    with network_wide(reason="test check"):
        assert LeadSource.objects.get(code="site-x").key_hash == key_hash(key)
    assert post_form(key, {"name": "A", "phone": "13912345678"}).status_code == 201


def test_web_form_campaign_code_is_the_oems_or_the_dealers_own(dealer):
    _source, key = make_source(dealer)
    with network_wide(reason="test arrange"):
        oem = Campaign.objects.create(code="spring", name="Spring")
        own = Campaign.objects.create(code="open-day", name="Open day", dealer=dealer)
        Campaign.objects.create(code="elsewhere", name="Elsewhere", dealer=DealerFactory())
    leads = {}
    for number, code in enumerate(("spring", "open-day", "elsewhere", "unknown")):
        response = post_form(key, {"name": "A", "phone": f"1391234560{number}", "campaign": code})
        assert response.status_code == 201
        leads[code] = response.json()
    with network_wide(reason="test check"):
        campaign_ids = dict(
            Lead.objects.filter(id__in=[body["lead_id"] for body in leads.values()]).values_list(
                "id", "campaign_id"
            )
        )
    assert [campaign_ids[leads[code]["lead_id"]] for code in leads] == [oem.id, own.id, None, None]
    assert [bool(leads[code]["warnings"]) for code in leads] == [False, False, True, True]


# The capture path's query budget. A new web-form lead: the request's scope, the key lookup, the campaign,
# the dealer's model catalogue, identity (lock, match, lookalikes), customer + link + contact points, lead +
# stage change + first-response follow-up, their timeline events, the consent.
WEB_FORM_QUERIES = 40


def test_web_form_capture_query_count(dealer, django_assert_max_num_queries):
    _source, key = make_source(dealer)
    body = {
        "name": "王小明",
        "phone": "139 1234 5678",
        "email": "xm@example.com",
        "models": ["Aurora S7"],
        "campaign": "unknown",
        "consent_sms": True,
    }
    with django_assert_max_num_queries(WEB_FORM_QUERIES):
        assert post_form(key, body).status_code == 201


# --- ADF -------------------------------------------------------------------------------------------------


def adf(prospects: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><adf>{prospects}</adf>'.encode()


def prospect(external_id: str, phone: str, name: str = "李雷") -> str:
    return (
        f'<prospect><id source="site">{external_id}</id><requestdate>2024-03-05T09:00:00+08:00</requestdate>'
        f"<vehicle interest='buy'><make>Aurora</make><model>S7</model></vehicle>"
        f"<customer><contact><name part='full'>{name}</name><phone>{phone}</phone></contact>"
        f"<comments>Call after 6pm</comments></customer></prospect>"
    )


def test_adf_single_prospect_creates_a_lead_and_a_resend_attaches(dealer):
    source, key = make_source(dealer, channel="adf")
    document = adf(prospect("L-1", "13912345678"))
    response = post_adf(key, document)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["attached"], body["rejected"]) == (1, 0, 0)
    result = body["prospects"][0]
    assert result["index"] == 1 and result["status"] == "created" and result["errors"] == []
    with network_wide(reason="test check"):
        lead = Lead.objects.get(id=result["lead_id"])
    assert (lead.source_id, lead.external_id, lead.type) == (source.id, "L-1", "internet")
    assert lead.models_of_interest == ["Aurora S7"]
    again = post_adf(key, document, content_type="text/xml").json()
    assert again["prospects"][0] == {**result, "status": "attached"}
    assert counts()[0] == 1


def test_adf_bad_prospect_is_rejected_alone_and_leaves_nothing(dealer):
    _source, key = make_source(dealer, channel="adf")
    document = adf(
        prospect("L-1", "13912345678", "One")
        + prospect("L-2", "12345678901", "Bad Phone")
        + prospect("L-3", "13812345678", "Three")
    )
    body = post_adf(key, document).json()
    assert [p["status"] for p in body["prospects"]] == ["created", "rejected", "created"]
    assert body["prospects"][1]["errors"][0]["code"] == "invalid_phone"
    with network_wide(reason="test check"):
        assert not Customer.objects.filter(name="Bad Phone").exists()
        assert Lead.objects.count() == 2


def test_adf_samples_multiple_prospects(dealer, settings):
    settings.DEFAULT_PHONE_REGION = "US"
    _source, key = make_source(dealer, channel="adf")
    body = post_adf(key, (SAMPLES / "multiple_prospects.xml").read_bytes()).json()
    assert len(body["prospects"]) == 3
    assert [p["index"] for p in body["prospects"]] == [1, 2, 3]
    stored = [p for p in body["prospects"] if p["status"] == "created"]
    assert stored and all(p["lead_id"] for p in stored)
    with network_wide(reason="test check"):
        assert Lead.objects.count() == len(stored)


def test_adf_sample_single_full_and_missing_fields_are_reported(dealer, settings):
    settings.DEFAULT_PHONE_REGION = "US"
    _source, key = make_source(dealer, channel="adf")
    full = post_adf(key, (SAMPLES / "single_full.xml").read_bytes())
    assert full.status_code == 200 and len(full.json()["prospects"]) == 1
    missing = post_adf(key, (SAMPLES / "missing_fields.xml").read_bytes())
    assert missing.status_code == 200
    for result in missing.json()["prospects"]:
        assert result["status"] in ("created", "attached", "rejected")
        assert (result["lead_id"] is None) == (result["status"] == "rejected")
        if result["status"] == "rejected":
            assert result["errors"]


@pytest.mark.parametrize(
    "sample",
    [
        "billion_laughs.xml",
        "xxe.xml",
        "xxe_parameter_entity.xml",
        "external_dtd.xml",
        "not_xml.xml",
        "wrong_root.xml",
        "no_prospects.xml",
    ],
)
def test_malicious_or_unreadable_adf_is_400_and_stores_nothing(dealer, sample):
    _source, key = make_source(dealer, channel="adf")
    before = counts()
    response = post_adf(key, (SAMPLES / sample).read_bytes())
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_adf" and response.json()["message"]
    assert counts() == before


def test_adf_needs_a_key_and_xml(dealer):
    _source, key = make_source(dealer, channel="adf")
    assert post_adf("wrong", adf(prospect("L-1", "13912345678"))).status_code == 401
    assert post_adf(key, b'{"a": 1}', content_type="application/json").status_code == 415
    assert counts()[0] == 0


def vendor_prospect(external_id: str, phone: str, vendor_code: str) -> str:
    return prospect(external_id, phone, "韩梅梅").replace(
        "</prospect>", f"<vendor><id>{vendor_code}</id><vendorname>Site</vendorname></vendor></prospect>"
    )


def test_adf_oem_wide_document_sends_each_prospect_to_its_vendors_dealer():
    brand = BrandFactory()
    first, second = DealerFactory(brands=[brand]), DealerFactory(brands=[brand])
    _source, key = make_source(None, channel="adf", code="oem-adf")
    document = adf(
        vendor_prospect("V-1", "13900000001", first.code)
        + vendor_prospect("V-2", "13900000002", second.code)
        + vendor_prospect("V-3", "12345678901", second.code)
        + vendor_prospect("V-4", "13900000004", "nope")
        + vendor_prospect("V-5", "13900000001", second.code)
        + vendor_prospect("V-6", "13900000006", first.code)
    )
    body = post_adf(key, document).json()
    results = body["prospects"]
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "rejected",
        "rejected",
        "created",
        "created",
    ]
    assert [r["errors"][0]["code"] for r in results if r["errors"]] == ["invalid_phone", "unknown_dealer"]
    with network_wide(reason="test check"):
        leads = {lead.external_id: lead for lead in Lead.objects.all()}
        assert {external_id: lead.dealer_id for external_id, lead in leads.items()} == {
            "V-1": first.id,
            "V-2": second.id,
            "V-5": second.id,
            "V-6": first.id,
        }
        assert all(lead.acceptance == Lead.Acceptance.PENDING for lead in leads.values())
        # The same person at two dealers: one customer, known to both, with a lead at each.
        assert leads["V-1"].customer_id == leads["V-5"].customer_id
        assert set(
            CustomerDealer.objects.filter(customer_id=leads["V-1"].customer_id).values_list(
                "dealer_id", flat=True
            )
        ) == {first.id, second.id}
        assert Customer.objects.count() == 3


def test_adf_same_person_twice_in_one_document_is_one_customer_and_one_lead(dealer):
    _source, key = make_source(dealer, channel="adf")
    document = adf(prospect("L-1", "13912345678") + prospect("L-2", "+86 139 1234 5678"))
    results = post_adf(key, document).json()["prospects"]
    assert [r["status"] for r in results] == ["created", "attached"]
    assert results[0]["lead_id"] == results[1]["lead_id"]
    with network_wide(reason="test check"):
        assert (Lead.objects.count(), Customer.objects.count()) == (1, 1)
        assert TimelineEvent.objects.filter(kind="lead.touched").count() == 1


def test_adf_lookalikes_are_queued_for_review_once_per_pair(dealer):
    _source, key = make_source(dealer, channel="adf")
    document = adf(
        prospect("L-1", "13811115678", "张伟")
        + prospect("L-2", "13922225678", "张玮")
        + prospect("L-3", "13733335678", "张伟")
    )
    results = post_adf(key, document).json()["prospects"]
    assert [r["status"] for r in results] == ["created", "created", "created"]
    with network_wide(reason="test check"):
        customers = dict(Lead.objects.values_list("external_id", "customer_id"))
        pairs = set(DuplicateCandidate.objects.values_list("customer_id", "other_id"))
    first, second, third = customers["L-1"], customers["L-2"], customers["L-3"]
    assert pairs == {(first, second), (first, third), (second, third)}


def test_adf_capture_gives_the_caller_its_scope_back(dealer):
    source, _key = make_source(dealer, channel="adf")
    prospects = parse_adf(adf(prospect("L-1", "13912345678") + prospect("L-2", "12345678901"))).prospects
    with scoped(Scope.nothing()):
        results = adf_capture(source=source, prospects=prospects)
        assert scope_current() == Scope.nothing()
    assert [r.status for r in results] == ["created", "rejected"]


# The budget per prospect of an ADF document. Per document (17): the request's scope, the key lookup, the
# document's transaction and dealer scope, the dealer's model catalogue. Per new prospect (18): its savepoint, the resend check,
# identity (savepoint, scope check, lock, match, lookalikes), customer + link + contact point, lead +
# stage change + first-response follow-up, three timeline events. Per resent prospect (4): its savepoint,
# the resend check, the timeline event.
ADF_QUERIES_PER_DOCUMENT = 16
ADF_QUERIES_PER_NEW_PROSPECT = 19  # the dealer brand model list is read with each capture
ADF_QUERIES_PER_RESENT_PROSPECT = 5


def test_adf_query_count_per_prospect_does_not_grow(dealer, django_assert_max_num_queries):
    _source, key = make_source(dealer, channel="adf")
    size = 10
    document = adf("".join(prospect(f"L-{i}", f"1391234{i:04d}", f"客户{i}") for i in range(size)))
    with django_assert_max_num_queries(ADF_QUERIES_PER_DOCUMENT + ADF_QUERIES_PER_NEW_PROSPECT * size):
        assert post_adf(key, document).json()["created"] == size
    with django_assert_max_num_queries(ADF_QUERIES_PER_DOCUMENT + ADF_QUERIES_PER_RESENT_PROSPECT * size):
        assert post_adf(key, document).json()["attached"] == size


# --- ADF intake: what the sender leaves unsaid or says loosely (hand-made samples) -------------------------


@pytest.fixture
def catalogue():
    """The OEM's brand with its models, as the demo data has them."""
    with network_wide(reason="test arrange"):
        aurora = BrandFactory()
        Brand.objects.filter(id=aurora.id).update(aliases=["奥罗拉", "奥瑞"])
    for position, (code, name, aliases) in enumerate(
        [("A6", "A6 Saloon", ["锐享"]), ("X5", "SUV X5", ["途岳"]), ("EV7", "EV7 Electric", [])]
    ):
        BrandModelFactory(brand=aurora, code=code, name=name, aliases=aliases, position=position)
    return aurora


def stored_leads(*external_ids):
    with network_wide(reason="test check"):
        leads = Lead.objects.select_related("customer").prefetch_related("trade_ins")
        return {lead.external_id: lead for lead in leads.filter(external_id__in=external_ids)}


def lead_created_note(lead) -> str:
    with network_wide(reason="test check"):
        return TimelineEvent.objects.get(customer_id=lead.customer_id, kind="lead.created").data.get(
            "note", ""
        )


def test_adf_trade_ins_are_recorded_on_the_lead_and_not_taken_for_models_of_interest(dealer, catalogue):
    _source, key = make_source(dealer, channel="adf")
    sample = (SAMPLES / "trade_in.xml").read_bytes()

    body = post_adf(key, sample).json()

    assert [p["status"] for p in body["prospects"]] == ["created", "created"]
    leads = stored_leads("TI-1", "TI-2")
    buyer, seller = leads["TI-1"], leads["TI-2"]
    assert buyer.models_of_interest == ["A6", "X5"]
    assert [
        (t.interest, t.year, t.make, t.model, t.trim, t.vin, t.colour, t.odometer, t.odometer_units, t.comments)
        for t in buyer.trade_ins.all()
    ] == [
        ("trade-in", 2016, "Volkswagen", "Passat", "330TSI", "LSVAB4BR0GN000123", "Silver", 90000, "km",
         "Scratch on the driver's door."),
        ("sell", 2012, "Honda", "Fit", "", "", "", 45123, "mi", ""),
    ]  # fmt: skip
    assert all(t.dealer_id == dealer.id for t in buyer.trade_ins.all())
    # A prospect who only offers cars wants none of them.
    assert seller.models_of_interest == []
    assert [(t.make, t.model, t.odometer, t.odometer_units) for t in seller.trade_ins.all()] == [
        ("Kestrel", "K3", 65000, "km"),
        ("Toyota", "Corolla", 120000, ""),
    ]
    # The buyer's own car's comments are on its record, not in the note about what he wants.
    note = lead_created_note(buyer)
    assert "Wants the white one." in note and "Scratch" not in note

    # A resend records no trade-in twice.
    again = post_adf(key, sample).json()
    assert [p["status"] for p in again["prospects"]] == ["attached", "attached"]
    with network_wide(reason="test check"):
        assert TradeIn.objects.count() == 4


def test_adf_trade_in_shows_on_the_lead_page(client, dealer, catalogue):
    _source, key = make_source(dealer, channel="adf")
    lead_id = post_adf(key, (SAMPLES / "trade_in.xml").read_bytes()).json()["prospects"][0]["lead_id"]
    manager = staff(Role.SALES_MANAGER, dealer=dealer)
    with scoped(Scope.dealers([dealer.id])):
        # Assigned: the page of a lead whose follow-up has no assignee is issue 8's first bug, fixed elsewhere.
        lead_assign(lead=Lead.objects.get(id=lead_id), to=staff(Role.SALESPERSON, dealer=dealer), by=manager)
    client.force_login(manager)

    page = client.get(f"/leads/{lead_id}/").content.decode()

    assert 'id="trade-in"' in page
    assert "2016 Volkswagen Passat 330TSI" in page and "90000 km" in page and "45123 miles" in page


@pytest.mark.parametrize("sample_index", range(9))
def test_adf_placeholder_names_store_no_name_and_say_so(dealer, sample_index):
    _source, key = make_source(dealer, channel="adf")
    body = post_adf(key, (SAMPLES / "placeholder_names.xml").read_bytes()).json()
    result = body["prospects"][sample_index]

    assert result["status"] == "created"
    with network_wide(reason="test check"):
        customer = Lead.objects.select_related("customer").get(id=result["lead_id"]).customer
    assert customer.name == ""
    assert any("placeholder name" in warning for warning in result["warnings"])
    assert "No name was given: the customer was stored without a name." in result["warnings"]


def test_adf_a_real_name_that_looks_like_a_title_is_kept_and_a_later_name_fills_the_blank(dealer):
    _source, key = make_source(dealer, channel="adf")
    body = post_adf(key, (SAMPLES / "placeholder_names.xml").read_bytes()).json()
    real = body["prospects"][9]
    assert real["warnings"] == []
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=real["lead_id"]).customer.name == "王先生"

    # The "Unknown" customer sends again, named: the name fills the blank "Unknown" would have held.
    named = adf(prospect("PN-1b", "139 0000 0101", "Jane Roe"))
    assert post_adf(key, named).json()["prospects"][0]["status"] == "attached"
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=body["prospects"][0]["lead_id"]).customer.name == "Jane Roe"


def test_adf_phone_extensions_are_kept_in_the_note_with_a_warning(dealer):
    _source, key = make_source(dealer, channel="adf")
    body = post_adf(key, (SAMPLES / "phone_extensions.xml").read_bytes()).json()

    results = body["prospects"]
    assert [r["status"] for r in results] == ["created"] * 6
    expected = {
        "EX-1": ("021-5888 1001", "12", "+862158881001"),
        "EX-2": ("021-5888 1002", "34", "+862158881002"),
        "EX-3": ("0571-8866 2002", "56", "+8657188662002"),
        "EX-4": ("010-6788 1001", "78", "+861067881001"),
        "EX-5": ("025-5211 3003", "8801", "+862552113003"),
    }
    leads = stored_leads(*expected, "EX-6")
    for index, (external_id, (phone, extension, e164)) in enumerate(expected.items()):
        assert (
            f"The phone number “{phone}” has the extension {extension}: it is kept in the lead's note."
            in results[index]["warnings"]
        )
        assert f"Phone {phone}, extension {extension}" in lead_created_note(leads[external_id])
        with network_wide(reason="test check"):
            assert e164 in set(leads[external_id].customer.contact_points.values_list("value", flat=True))
    assert results[5]["warnings"] == []
    assert "extension" not in lead_created_note(leads["EX-6"])


def test_web_form_phone_extension_is_kept_in_the_note_with_a_warning(dealer):
    _source, key = make_source(dealer)
    response = post_form(key, {"name": "Li Wei", "phone": "021-5888 1001 转 12"})

    assert response.status_code == 201, response.content
    assert response.json()["warnings"] == [
        "The phone number “+862158881001” has the extension 12: it is kept in the lead's note."
    ]
    [lead] = stored_leads("").values()
    assert "Phone +862158881001, extension 12" in lead_created_note(lead)


def test_web_form_placeholder_name_is_not_stored(dealer):
    _source, key = make_source(dealer)
    response = post_form(key, {"name": "N/A", "phone": "13912345678"})

    assert response.status_code == 201
    assert response.json()["warnings"] == ["“N/A” is not a name: the customer was stored without a name."]
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=response.json()["lead_id"]).customer.name == ""


@pytest.fixture
def shanghai_and_beijing():
    brand = BrandFactory()
    pudong = DealerFactory(code="SH001", name="Shanghai Pudong Aurora 4S", brands=[brand])
    yizhuang = DealerFactory(code="BJ001", name="Beijing Yizhuang Aurora 4S", brands=[brand])
    with network_wide(reason="test arrange"):
        DealerAlias.objects.create(dealer=pudong, alias="Pudong Aurora Motors")
    return pudong, yizhuang


def test_adf_vendor_is_matched_by_id_then_exact_name_or_alias_never_a_lookalike(shanghai_and_beijing):
    pudong, yizhuang = shanghai_and_beijing
    _source, key = make_source(None, channel="adf", code="oem-adf")
    before = counts()

    body = post_adf(key, (SAMPLES / "vendor_names.xml").read_bytes()).json()

    results = body["prospects"]
    assert [r["status"] for r in results] == [
        "created",
        "created",
        "created",
        "rejected",
        "rejected",
        "created",
    ]
    leads = stored_leads("VN-1", "VN-2", "VN-3", "VN-6")
    assert {external_id: lead.dealer_id for external_id, lead in leads.items()} == {
        "VN-1": pudong.id,  # the id wins over a vendor name naming another dealer
        "VN-2": yizhuang.id,  # the exact name, case and spacing aside
        "VN-3": pudong.id,  # a configured alias
        "VN-6": pudong.id,  # an unknown id, then the exact name
    }
    for rejected in (results[3], results[4]):
        assert rejected["errors"][0]["code"] == "unknown_dealer" and rejected["lead_id"] is None
    assert "Shanghai Pudong Aurora" in results[3]["errors"][0]["message"]
    assert counts()[0] == before[0] + 4


def test_adf_vendor_of_a_dealer_source_never_moves_the_lead_elsewhere(shanghai_and_beijing):
    pudong, _yizhuang = shanghai_and_beijing
    _source, key = make_source(pudong, channel="adf")

    body = post_adf(key, (SAMPLES / "vendor_names.xml").read_bytes()).json()

    assert [r["status"] for r in body["prospects"]] == ["created"] * 6
    with network_wide(reason="test check"):
        assert set(Lead.objects.values_list("dealer_id", flat=True)) == {pudong.id}


@pytest.mark.parametrize(
    ("time_zone", "naive_arrival"),
    [
        ("Asia/Shanghai", datetime(2024, 3, 5, 6, 22, 1, tzinfo=UTC)),
        ("America/Chicago", datetime(2024, 3, 5, 20, 22, 1, tzinfo=UTC)),
    ],
)
def test_adf_date_without_a_zone_is_read_in_the_dealers_zone_and_said_so(time_zone, naive_arrival):
    dealer = DealerFactory(time_zone=time_zone)
    _source, key = make_source(dealer, channel="adf")

    body = post_adf(key, (SAMPLES / "naive_dates.xml").read_bytes()).json()

    results = body["prospects"]
    leads = stored_leads("ND-1", "ND-2", "ND-3", "ND-4")
    assert leads["ND-1"].arrived_at == naive_arrival
    assert leads["ND-2"].arrived_at == datetime(2024, 3, 5, 6, 22, 1, tzinfo=UTC)
    assert leads["ND-3"].arrived_at == datetime(2024, 3, 5, 14, 22, 1, tzinfo=UTC)
    assert leads["ND-4"].arrived_at == naive_arrival - timedelta(seconds=1)
    warning = (
        "The request date “2024-03-05 14:22:01” has no time zone: it was read in the dealer's time zone, "
        f"{time_zone}."
    )
    assert results[0]["warnings"] == [warning]
    assert results[1]["warnings"] == results[2]["warnings"] == []
    assert any(time_zone in w for w in results[3]["warnings"])


def test_adf_and_web_form_model_names_count_as_the_catalogues_models(dealer, catalogue):
    _source, adf_key = make_source(dealer, channel="adf")
    _web, web_key = make_source(dealer)
    document = adf(
        prospect("M-1", "13912345601").replace("<model>S7</model>", "<model>A6</model>")
        + prospect("M-2", "13912345602").replace(
            "<make>Aurora</make><model>S7</model>", "<model>奥罗拉 ｘ５</model>"
        )
        + prospect("M-3", "13912345603")
    )

    results = post_adf(adf_key, document).json()["prospects"]
    form = post_form(
        web_key, {"name": "A", "phone": "13912345604", "models": ["AURORA a6", "锐享", "Aurora S9"]}
    )

    leads = stored_leads("M-1", "M-2", "M-3")
    assert leads["M-1"].models_of_interest == ["A6"] and results[0]["warnings"] == []
    assert leads["M-2"].models_of_interest == ["X5"] and results[1]["warnings"] == []
    assert leads["M-3"].models_of_interest == ["Aurora S7"]
    assert results[2]["warnings"] == [
        "The model “Aurora S7” is not in the model list of the dealer's brands: it was kept as sent."
    ]
    assert form.status_code == 201
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=form.json()["lead_id"]).models_of_interest == ["A6", "Aurora S9"]
    assert form.json()["warnings"] == [
        "The model “Aurora S9” is not in the model list of the dealer's brands: it was kept as sent."
    ]
