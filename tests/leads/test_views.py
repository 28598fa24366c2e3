"""The salesperson's and manager's pages: who may open them, that their forms call the services and show
their errors, that lists cost a fixed number of queries, and that read-only roles change nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.network.models import Role
from leads import services as lead_services
from leads.models import (
    ContactAttempt,
    DemoCar,
    FollowUp,
    Grade,
    Lead,
    ShowroomVisit,
    Stage,
)
from leads.models import TestDrive as DriveBooking  # a bare TestDrive name looks like a test class
from tests.factories import CustomerFactory, DealerFactory, make_vin, staff, web_lead
from tests.leads.conftest import as_user, database_state

pytestmark = pytest.mark.django_db


def walk_in(shop, phone="+8613800000002", name="王先生", by=None, grade=Grade.H):
    by = by or shop["seller"]
    with as_user(by):
        return lead_services.visit_log(
            by=by, dealer=shop["dealer"], phone=phone, name=name, grade=grade, models_of_interest=["A6"]
        ).lead


# My day -------------------------------------------------------------------------------------------


def test_my_day_shows_new_leads_with_their_clock_and_due_follow_ups(client, shop):
    fresh = web_lead(shop["dealer"], phone="+8613800000001", name="新线索")
    visited = walk_in(shop, name="回访客户")
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead=visited, done_at__isnull=True).update(
            due_at=timezone.now() - timedelta(hours=1)
        )
    client.force_login(shop["seller"])
    response = client.get(reverse("leads:my_day"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "新线索" in page and "回访客户" in page
    assert [lead.id for lead in response.context["new_leads"]] == [fresh.id]
    assert response.context["new_leads"][0].clock.minutes_left > 100
    assert "data-sla-minutes" in page
    assert [f.lead_id for f in response.context["follow_ups"]] == [visited.id]
    assert response.context["overdue_count"] == 1
    assert f'action="{reverse("leads:claim", args=[fresh.id])}"' in page  # unowned: claim it


def test_my_day_marks_a_breached_clock_red(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(
            arrived_at=timezone.now() - timedelta(hours=5), sla_due_at=timezone.now() - timedelta(hours=3)
        )
    client.force_login(shop["seller"])
    response = client.get(reverse("leads:my_day"))
    clock = response.context["new_leads"][0].clock
    assert clock.is_breached and clock.minutes_left <= -179
    assert "sla-clock is-breached" in response.content.decode()


@pytest.mark.parametrize("role", ["advisor", "regional"])
def test_my_day_and_the_visit_log_are_only_for_sales_staff(client, shop, role):
    client.force_login(shop[role])
    assert client.get(reverse("leads:my_day")).status_code == 404
    assert client.get(reverse("leads:visit_new")).status_code == 404


def test_my_day_query_count_does_not_grow_with_rows(client, shop, django_assert_max_num_queries):
    client.force_login(shop["seller"])
    web_lead(shop["dealer"], phone="+8613800000011", name="网客")
    walk_in(shop, phone="+8613800000012")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("leads:my_day"))
    for index in range(6):
        web_lead(shop["dealer"], phone=f"+86138000001{index:02d}", name="网客")
        lead = walk_in(shop, phone=f"+86138000002{index:02d}")
        with network_wide(reason="test arrange"):
            FollowUp.objects.filter(lead=lead).update(due_at=timezone.now() - timedelta(minutes=5))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("leads:my_day"))
    assert len(response.context["new_leads"]) == 7 and len(response.context["follow_ups"]) == 6


def test_one_click_contact_logs_the_attempt_and_answers_the_inline_row(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客", owner=shop["seller"])
    client.force_login(shop["seller"])
    response = client.post(
        reverse("leads:contact_log", args=[lead.id]),
        {"channel": "call", "outcome": "reached", "note": "wants a quote"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Logged" in response.content.decode()
    with network_wide(reason="test check"):
        lead.refresh_from_db()
        attempt = ContactAttempt.objects.get(lead=lead)
    assert (attempt.channel, attempt.outcome, attempt.note) == ("call", "reached", "wants a quote")
    assert lead.first_contact_at is not None and lead.stage == Stage.CONTACTED


def test_a_colleagues_lead_cannot_be_contacted_by_another_salesperson(client, shop):
    lead = walk_in(shop, by=shop["colleague"])
    before = database_state()
    client.force_login(shop["seller"])
    response = client.post(
        reverse("leads:contact_log", args=[lead.id]), {"channel": "call", "outcome": "reached"}
    )
    assert response.status_code == 404
    assert database_state() == before


def test_the_second_claim_loses_and_is_told_who_has_it(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客")
    client.force_login(shop["colleague"])
    client.post(reverse("leads:claim", args=[lead.id]))
    client.force_login(shop["seller"])
    response = client.post(reverse("leads:claim", args=[lead.id]), follow=True)
    assert "Already claimed by colleague" in response.content.decode()
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=lead.id).owner_id == shop["colleague"].id


# Showroom visit log -------------------------------------------------------------------------------


def test_visit_log_for_a_new_customer_creates_them_and_says_so(client, shop):
    client.force_login(shop["seller"])
    page = client.get(reverse("leads:visit_new"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="A6"' in body and 'value="Q5"' in body  # the dealer's models as chips
    response = client.post(
        reverse("leads:visit_new"),
        {
            "phone": "139 1234 0000",
            "name": "赵女士",
            "party_size": "2",
            "models": ["A6"],
            "other_model": "Q7",
            "grade": "H",
            "next_step": "test_drive",
            "next_step_text": "周六",
            "note": "带孩子",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "New customer 赵女士 created" in body
    with network_wide(reason="test check"):
        visit = ShowroomVisit.objects.get()
        assert visit.party_size == 2 and visit.models_of_interest == ["A6", "Q7"]
        assert visit.grade == Grade.H and visit.next_step == "Test drive · 周六"
        assert visit.lead.owner_id == shop["seller"].id
    assert [v.id for v in response.context["visits"]] == [visit.id]


def test_visit_for_a_colleagues_customer_joins_their_lead_and_names_the_owner(client, shop):
    lead = walk_in(shop, phone="+8613812340000", by=shop["colleague"], name="钱先生")
    client.force_login(shop["seller"])
    response = client.post(
        reverse("leads:visit_new"), {"phone": "13812340000", "party_size": "1"}, follow=True
    )
    assert "owned by First" in response.content.decode() or "owned by colleague" in response.content.decode()
    with network_wide(reason="test check"):
        assert ShowroomVisit.objects.filter(lead=lead).count() == 2
        assert Lead.objects.count() == 1


def test_anonymous_visit_counts_in_traffic(client, shop):
    client.force_login(shop["seller"])
    response = client.post(reverse("leads:visit_new"), {"party_size": "3"}, follow=True)
    assert "Anonymous visit counted" in response.content.decode()
    assert response.context["traffic"] == {"visits": 1, "people": 3, "anonymous": 1, "first_visits": 0}


def test_visit_form_shows_its_errors(client, shop):
    client.force_login(shop["seller"])
    now = timezone.localtime()
    response = client.post(
        reverse("leads:visit_new"),
        {
            "party_size": "0",
            "arrived_at": now.strftime("%Y-%m-%dT%H:%M"),
            "left_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 200
    assert "leaves after arriving" in response.content.decode()
    with network_wide(reason="test check"):
        assert ShowroomVisit.objects.count() == 0


def test_phone_lookup_recognises_a_returning_customer(client, shop):
    walk_in(shop, phone="+8613876540000", by=shop["colleague"], name="孙先生")
    client.force_login(shop["seller"])
    response = client.get(reverse("leads:visit_lookup"), {"phone": "1387654 0000"})
    body = response.content.decode()
    assert "Returning customer: 孙先生" in body and 'data-customer-name="孙先生"' in body
    assert "owned by" in body and "last visit" in body
    assert "Returning" not in client.get(reverse("leads:visit_lookup"), {"phone": "13876"}).content.decode()


def test_phone_lookup_of_a_customer_whose_open_lead_has_no_owner_says_nobody_yet(client, shop):
    # The lookup answered 500 while typing the phone of any customer with an unassigned web lead.
    web_lead(shop["dealer"], phone="+8613876541111", name="钱女士")
    client.force_login(shop["seller"])
    response = client.get(reverse("leads:visit_lookup"), {"phone": "13876541111"})
    assert response.status_code == 200
    assert "Returning customer: 钱女士" in response.content.decode()
    assert "owned by nobody yet" in response.content.decode()


def test_phone_lookup_does_not_reveal_another_dealers_customer(client, shop):
    CustomerFactory(dealer=DealerFactory(), name="别家客户", phone="+8613711112222")
    client.force_login(shop["seller"])
    body = client.get(reverse("leads:visit_lookup"), {"phone": "13711112222"}).content.decode()
    assert "别家客户" not in body and "New to this showroom" in body


# Lead list ----------------------------------------------------------------------------------------


def test_lead_list_filters_and_puts_own_leads_first(client, shop):
    mine = walk_in(shop, phone="+8613800000031", name="我的")
    theirs = walk_in(shop, phone="+8613800000032", name="同事的", by=shop["colleague"])
    unassigned = web_lead(shop["dealer"], phone="+8613800000033", name="没人管")
    client.force_login(shop["seller"])
    everyone = client.get(reverse("leads:list")).context["leads"]
    assert everyone[0].id == mine.id and {lead.id for lead in everyone} == {mine.id, theirs.id, unassigned.id}
    assert [lead.id for lead in client.get(reverse("leads:list"), {"owner": "mine"}).context["leads"]] == [
        mine.id
    ]
    assert [
        lead.id for lead in client.get(reverse("leads:list"), {"owner": "unassigned"}).context["leads"]
    ] == [unassigned.id]
    assert [lead.id for lead in client.get(reverse("leads:list"), {"stage": "new"}).context["leads"]] == [
        unassigned.id
    ]
    assert [lead.id for lead in client.get(reverse("leads:list"), {"type": "internet"}).context["leads"]] == [
        unassigned.id
    ]


def test_lead_list_query_count_does_not_grow_with_rows(client, shop, django_assert_max_num_queries):
    client.force_login(shop["seller"])
    walk_in(shop, phone="+8613800000041")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("leads:list"))
    for index in range(30):
        web_lead(shop["dealer"], phone=f"+86138000005{index:02d}", name="网客")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("leads:list"))
    assert len(response.context["leads"]) == 25 and response.context["has_next"]
    assert len(client.get(reverse("leads:list"), {"page": 2}).context["leads"]) == 6


# Lead page ----------------------------------------------------------------------------------------


def test_lead_page_shows_the_lead_its_customer_and_its_timeline(client, shop):
    lead = walk_in(shop, name="周先生")
    client.force_login(shop["seller"])
    response = client.get(reverse("leads:detail", args=[lead.id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "周先生" in body and reverse("customers:detail", args=[lead.customer_id]) in body
    assert "Showroom visit" in body  # the lead's timeline
    assert response.context["can_work"] and response.context["questionnaire_form"] is not None
    assert [value for value, _label in response.context["moves"]] == [Stage.TEST_DRIVE, Stage.NEGOTIATION]


def test_lead_page_of_an_unassigned_lead_shows_its_unassigned_follow_up(client, shop):
    # Every new web lead starts like this; its page answered 500 (the follow-up's assignee is None).
    lead = web_lead(shop["dealer"], name="无人认领")
    with network_wide(reason="test check"):
        assert lead.owner_id is None
        assert FollowUp.objects.filter(lead=lead, assigned_to__isnull=True, done_at__isnull=True).exists()
    client.force_login(shop["manager"])
    response = client.get(reverse("leads:detail", args=[lead.id]))
    assert response.status_code == 200
    assert "无人认领" in response.content.decode()


def test_another_dealers_lead_is_404_everywhere(client, shop):
    other_dealer = DealerFactory()
    other_seller = staff(Role.SALESPERSON, dealer=other_dealer)
    with as_user(other_seller):
        foreign = lead_services.visit_log(
            by=other_seller, dealer=other_dealer, phone="+8613900009999", name="外人"
        ).lead
    before = database_state()
    client.force_login(shop["manager"])
    assert client.get(reverse("leads:detail", args=[foreign.id])).status_code == 404
    for name in ("contact_log", "claim", "grade", "move", "lost_propose", "assign", "reject"):
        response = client.post(
            reverse(f"leads:{name}", args=[foreign.id]),
            {"channel": "call", "outcome": "reached", "grade": "H", "reason": "x", "to_stage": "negotiation"},
        )
        assert response.status_code == 404, name
    assert database_state() == before


def test_questionnaire_answers_grade_the_lead(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客", owner=shop["seller"])
    client.force_login(shop["seller"])
    response = client.post(
        reverse("leads:answers", args=[lead.id]),
        {"timeframe": "within_month", "payment": "loan"},
        follow=True,
    )
    assert "Grade: A" in response.content.decode()
    with network_wide(reason="test check"):
        lead.refresh_from_db()
    assert lead.grade == Grade.A and lead.answers == {"timeframe": "within_month", "payment": "loan"}


def test_grade_override_without_a_reason_shows_the_services_error(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客", owner=shop["seller"])
    client.force_login(shop["seller"])
    client.post(reverse("leads:answers", args=[lead.id]), {"timeframe": "later"})
    response = client.post(reverse("leads:grade", args=[lead.id]), {"grade": "H", "reason": ""})
    assert response.status_code == 400
    assert "Say why you override" in response.content.decode()
    ok = client.post(
        reverse("leads:grade", args=[lead.id]), {"grade": "H", "reason": "定金已付"}, follow=True
    )
    assert "Grade set" in ok.content.decode()


def test_booking_a_taken_demo_car_shows_demo_car_taken(client, shop):
    first = walk_in(shop, phone="+8613800000061")
    second = walk_in(shop, phone="+8613800000062")
    with network_wide(reason="test arrange"):
        car = DemoCar.objects.get(model="A6")
    starts = (timezone.localtime() + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    client.force_login(shop["seller"])
    data = {"demo_car": car.id, "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "minutes": "30"}
    ok = client.post(reverse("leads:test_drive_book", args=[first.id]), data, follow=True)
    assert "Test drive booked" in ok.content.decode()
    taken = client.post(reverse("leads:test_drive_book", args=[second.id]), data)
    assert taken.status_code == 400 and "already booked" in taken.content.decode()
    with network_wide(reason="test check"):
        assert DriveBooking.objects.count() == 1


def test_quote_order_and_delivery_from_the_lead_page(client, shop):
    lead = walk_in(shop)
    client.force_login(shop["seller"])
    client.post(
        reverse("leads:quote", args=[lead.id]),
        {"model": "A6", "list_price": "300000", "discount": "10000", "deposit": "0"},
    )
    with network_wide(reason="test check"):
        order = lead.orders.get()
    client.post(reverse("leads:order_place", args=[lead.id, order.id]), {"deposit": "5000"})
    bad = client.post(reverse("leads:order_deliver", args=[lead.id, order.id]), {"vin": "short"})
    assert bad.status_code == 400
    wrong_check_digit = client.post(
        reverse("leads:order_deliver", args=[lead.id, order.id]), {"vin": "LSVAB4BR0NA000123"}
    )
    assert (
        wrong_check_digit.status_code == 400 and "check digit" in wrong_check_digit.content.decode().lower()
    )
    response = client.post(
        reverse("leads:order_deliver", args=[lead.id, order.id]), {"vin": make_vin()}, follow=True
    )
    assert "call-backs are scheduled" in response.content.decode()
    with network_wide(reason="test check"):
        lead.refresh_from_db()
    assert lead.stage == Stage.DELIVERED


def test_lost_proposal_then_manager_approves_it(client, shop):
    lead = walk_in(shop)
    client.force_login(shop["seller"])
    missing_brand = client.post(reverse("leads:lost_propose", args=[lead.id]), {"reason": "competitor_brand"})
    assert missing_brand.status_code == 400 and "Name the brand" in missing_brand.content.decode()
    client.post(
        reverse("leads:lost_propose", args=[lead.id]),
        {"reason": "competitor_brand", "competitor_brand": "BYD"},
    )
    client.force_login(shop["manager"])
    page = client.get(reverse("leads:approvals"))
    verdict = page.context["verdicts"][0]
    client.post(reverse("leads:verdict_decide", args=[verdict.id]), {"decision": "approve"})
    with network_wide(reason="test check"):
        lead.refresh_from_db()
    assert (lead.stage, lead.grade) == (Stage.LOST, Grade.F1)


def test_manager_assigns_and_accepts_an_oem_lead(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客")
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(acceptance=Lead.Acceptance.PENDING)
    client.force_login(shop["manager"])
    page = client.get(reverse("leads:approvals"))
    assert [awaiting.id for awaiting in page.context["awaiting"]] == [lead.id]
    client.post(reverse("leads:accept", args=[lead.id]), {"to": shop["colleague"].id})
    with network_wide(reason="test check"):
        lead.refresh_from_db()
    assert (lead.acceptance, lead.owner_id) == (Lead.Acceptance.ACCEPTED, shop["colleague"].id)
    client.post(reverse("leads:assign", args=[lead.id]), {"to": shop["seller"].id})
    with network_wide(reason="test check"):
        assert Lead.objects.get(id=lead.id).owner_id == shop["seller"].id


def test_salesperson_cannot_assign_or_open_approvals(client, shop):
    lead = web_lead(shop["dealer"], phone="+8613800000001", name="网客")
    before = database_state()
    client.force_login(shop["seller"])
    assert client.get(reverse("leads:approvals")).status_code == 404
    assert client.post(reverse("leads:assign", args=[lead.id]), {"to": shop["seller"].id}).status_code == 404
    assert database_state() == before


def test_reassign_all_asks_for_confirmation_with_the_count_then_moves(client, shop):
    for index in range(3):
        walk_in(shop, phone=f"+86138000007{index:02d}", by=shop["colleague"])
    client.force_login(shop["manager"])
    data = {"from_user": shop["colleague"].id, "to": shop["seller"].id}
    preview = client.post(reverse("leads:reassign_all"), data)
    assert preview.context["reassign_count"] == 3 and "3 open leads" in preview.content.decode()
    with network_wide(reason="test check"):
        assert Lead.objects.filter(owner=shop["colleague"]).count() == 3
    done = client.post(reverse("leads:reassign_all"), {**data, "confirmed": "1"}, follow=True)
    assert "3 open leads" in done.content.decode()
    with network_wide(reason="test check"):
        assert Lead.objects.filter(owner=shop["seller"]).count() == 3


# Read-only roles ----------------------------------------------------------------------------------


def test_regional_manager_reads_lead_pages_without_write_buttons_and_posts_change_nothing(client, shop):
    lead = walk_in(shop, name="区域看")
    with network_wide(reason="test arrange"):
        car = DemoCar.objects.first()
    client.force_login(shop["regional"])
    assert client.get(reverse("leads:list")).status_code == 200
    page = client.get(reverse("leads:detail", args=[lead.id]))
    body = page.content.decode()
    assert page.status_code == 200 and "区域看" in body
    assert 'method="post"' not in body.split("<main", 1)[1].replace('action="/i18n/', "")
    before = database_state()
    posts = {
        "contact_log": {"channel": "call", "outcome": "reached"},
        "claim": {},
        "answers": {"timeframe": "within_7_days"},
        "grade": {"grade": "H", "reason": "x"},
        "move": {"to_stage": "negotiation"},
        "test_drive_book": {"demo_car": car.id, "starts_at": "2030-01-01T10:00", "minutes": "30"},
        "quote": {"model": "A6", "list_price": "1"},
        "lost_propose": {"reason": "price"},
        "assign": {"round_robin": "1"},
        "accept": {},
        "reject": {"reason": "x"},
    }
    for name, data in posts.items():
        assert client.post(reverse(f"leads:{name}", args=[lead.id]), data).status_code == 404, name
    assert client.post(reverse("leads:visit_new"), {"party_size": "1"}).status_code == 404
    assert client.post(reverse("leads:reassign_all"), {"from_user": shop["seller"].id}).status_code == 404
    assert client.get(reverse("leads:approvals")).status_code == 404
    assert database_state() == before


def test_service_advisor_and_call_centre_do_not_see_the_funnel(client, shop):
    lead = walk_in(shop)
    for user in (shop["advisor"], staff(Role.CALL_CENTRE_AGENT)):
        client.force_login(user)
        assert client.get(reverse("leads:list")).status_code == 404
        assert client.get(reverse("leads:detail", args=[lead.id])).status_code == 404


def test_navigation_offers_the_lead_pages_by_role(client, shop):
    client.force_login(shop["seller"])
    labels = [str(item.label) for item in client.get(reverse("leads:my_day")).context["nav_items"]]
    assert {"My day", "Leads", "Log a visit"} <= set(labels) and "Approvals" not in labels
    client.force_login(shop["manager"])
    labels = [str(item.label) for item in client.get(reverse("leads:my_day")).context["nav_items"]]
    assert {"My day", "Leads", "Log a visit", "Approvals"} <= set(labels)


def test_phone_lookup_hands_the_open_leads_grade_and_models_to_the_visit_form(client, shop):
    walk_in(shop, phone="+8613876540001", by=shop["seller"], name="钱女士", grade=Grade.A)
    client.force_login(shop["seller"])
    body = client.get(reverse("leads:visit_lookup"), {"phone": "13876540001"}).content.decode()
    assert 'data-grade="A"' in body and 'data-models="A6"' in body


def test_the_visit_form_offers_the_dealers_brand_models(client, shop):
    from tests.factories import BrandModelFactory

    brand = shop["dealer"].brands.first()
    BrandModelFactory(brand=brand, code="EV7", name="Aurora EV7")
    client.force_login(shop["seller"])
    assert "EV7" in client.get(reverse("leads:visit_new")).context["models"]
