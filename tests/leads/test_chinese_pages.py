"""The funnel's pages as a Chinese salesperson or manager reads them: names family name first, stored codes
in words, dates written the Chinese way, overdue times in the largest sensible unit."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm.core.scope import network_wide, scoped
from crm.customers.services import consent_record
from crm.network.access import access_for
from crm.network.models import Role, StaffProfile
from crm.timeline.models import TimelineEvent
from leads import services as lead_services
from leads.models import FollowUp, Grade, Lead
from tests.factories import DealerFactory, lead_source, staff, web_lead

pytestmark = pytest.mark.django_db

ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def named(role, dealer, username, given, family, language="zh-hans"):
    user = staff(role, dealer=dealer, username=username)
    user.first_name, user.last_name = given, family
    user.save(update_fields=["first_name", "last_name"])
    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=user).update(language=language)
    return user


def visible_text(response) -> str:
    """What a reader sees: the page without its markup, scripts and attributes."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(autouse=True)
def default_language_afterwards():
    """A request as a Chinese user activates Chinese in this thread (Django never resets it): reset it, so
    the tests that follow read the default language."""
    yield
    translation.deactivate()


@pytest.fixture
def shop():
    dealer = DealerFactory(name="上海浦东奥瑞4S店", business_hours=ALWAYS_OPEN)
    return {
        "dealer": dealer,
        # Signed in in English: what they record must still read in Chinese for their manager.
        "seller": named(Role.SALESPERSON, dealer, "zhangwei", "伟", "张", language="en"),
        "manager": named(Role.SALES_MANAGER, dealer, "wangjl", "建林", "王"),
    }


def walk_in(shop, name="王先生", phone="+8613800000002"):
    with scoped(access_for(shop["seller"]).scope):
        return lead_services.visit_log(
            by=shop["seller"],
            dealer=shop["dealer"],
            phone=phone,
            name=name,
            grade=Grade.H,
            models_of_interest=["A6"],
        ).lead


def test_staff_names_read_family_name_first_on_the_list_the_lead_page_and_the_timeline(client, shop):
    lead = walk_in(shop)
    client.force_login(shop["manager"])
    for url in (reverse("leads:list"), reverse("leads:detail", args=[lead.id])):
        text = visible_text(client.get(url))
        assert "张伟" in text
        assert "伟 张" not in text
    with network_wide(reason="test check"):
        assignments = list(TimelineEvent.objects.filter(kind="lead.assigned").values_list("data", flat=True))
    assert all(data["owner"] == "张伟" for data in assignments)


def test_claiming_a_lead_records_the_claimers_name_in_reading_order(shop):
    lead = web_lead(
        shop["dealer"],
        name="网客",
        phone="+8613800000001",
        source=lead_source(shop["dealer"], name="SH001 website"),
    )
    with scoped(access_for(shop["seller"]).scope):
        lead_services.lead_claim(lead=lead, by=shop["seller"])
    with network_wide(reason="test check"):
        event = TimelineEvent.objects.filter(kind="lead.assigned").latest("id")
    assert event.data["owner"] == "张伟"


def test_the_lead_page_shows_no_stored_code_and_no_english_label_in_chinese(client, shop):
    lead = walk_in(shop)
    client.force_login(shop["manager"])
    text = visible_text(client.get(reverse("leads:detail", args=[lead.id])))
    for raw in ("walk_in", "Walk-in", "showroom", "reached", "after_visit"):
        assert raw not in text, raw


def test_my_day_reads_overdue_times_in_days_and_the_date_with_a_chinese_weekday(client, shop):
    lead = walk_in(shop)
    fresh = web_lead(
        shop["dealer"],
        name="网客",
        phone="+8613800000001",
        source=lead_source(shop["dealer"], name="SH001 website"),
    )
    now = timezone.now()
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(due_at=now - timedelta(minutes=6377))
        Lead.objects.filter(id=fresh.id).update(
            owner=shop["seller"], arrived_at=now - timedelta(days=5), sla_due_at=now - timedelta(minutes=6377)
        )
        StaffProfile.objects.filter(user=shop["seller"]).update(language="zh-hans")
    client.force_login(shop["seller"])
    text = visible_text(client.get(reverse("leads:my_day")))
    assert "已逾期 4 天" in text  # the follow-up
    assert "已超时 4 天" in text  # the first-response clock
    assert "分钟前" not in text and "6377" not in text
    weekday = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][timezone.localdate().weekday()]
    assert f"{timezone.localdate().month}月{timezone.localdate().day}日 {weekday}" in text


def test_a_running_clock_counts_down_in_minutes_under_two_hours(client, shop):
    lead = web_lead(
        shop["dealer"],
        name="网客",
        phone="+8613800000001",
        source=lead_source(shop["dealer"], name="SH001 website"),
    )
    with network_wide(reason="test arrange"):
        Lead.objects.filter(id=lead.id).update(sla_due_at=timezone.now() + timedelta(minutes=95, seconds=30))
    client.force_login(shop["manager"])
    text = visible_text(client.get(reverse("leads:detail", args=[lead.id])))
    assert re.search(r"还剩 9[45] 分钟", text)


def test_the_customer_page_shows_consents_relationships_and_history_in_words(client, shop):
    lead = walk_in(shop)
    with scoped(access_for(shop["seller"]).scope):
        consent_record(
            by=shop["seller"],
            customer=lead.customer,
            dealer=shop["dealer"],
            channel="sms",
            purpose="marketing",
            status="opt_in",
            source="web_form",
        )
    client.force_login(shop["manager"])
    for url in (
        reverse("customers:detail", args=[lead.customer_id]),
        reverse("customers:history", args=[lead.customer_id]),
    ):
        text = visible_text(client.get(url))
        for raw in ("opt_in", "web_form", "walk_in", "marketing", "zh-hans", "person", "True", "False"):
            assert not re.search(rf"(?<![\w-]){raw}(?![\w-])", text), (url, raw)
    # The history names what a foreign key points at, and leaves out the links every row of it shares.
    history = visible_text(client.get(reverse("customers:history", args=[lead.customer_id])))
    assert "上海浦东奥瑞4S店" in history
    assert not re.search(r"(Customer|Recorded by|Dealer): \d", history)
