"""A sales manager on a showroom tablet (820 pixels wide) in Chinese: Approvals, the customer page, My day and
the lead page fit the screen (nothing scrolls sideways, no button breaks a word into one character per line,
the consents stay inside their card) and every header item has a label a screen reader can say.
Screenshots go to test-artifacts/ for a human look."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.customers.services import consent_record
from crm.network.access import access_for
from crm.network.models import Role, StaffProfile
from leads import services as lead_services
from leads.models import FollowUp, Grade, LeadSource, LeadType, LostVerdict
from tests.factories import PASSWORD, DealerFactory, staff

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TABLET = {"width": 820, "height": 1180}
ALWAYS_OPEN = {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

HEADER_ITEMS_WITHOUT_A_NAME = """() => [...document.querySelectorAll('header a[href], header button')]
  .filter(item => item.offsetParent !== null)
  .filter(item => !(item.getAttribute('aria-label') || item.innerText || item.title || '').trim())
  .map(item => item.outerHTML.slice(0, 120))"""
NAV_ITEMS_WITHOUT_VISIBLE_TEXT = """() => [...document.querySelectorAll('header .app-nav .nav-link')]
  .filter(item => !item.innerText.trim()).map(item => item.outerHTML.slice(0, 120))"""
# A button whose label broke between characters is taller than two lines of its own text.
BROKEN_BUTTONS = """() => [...document.querySelectorAll('main .btn')].filter(button => button.offsetParent !== null)
  .filter(button => button.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(button).lineHeight))
  .map(button => button.innerText)"""
OUTSIDE_THE_CONSENTS_CARD = """() => { const card = document.querySelector('.consent-card').getBoundingClientRect();
  return [...document.querySelectorAll('.consent-card *')].filter(element => {
    const box = element.getBoundingClientRect(); return box.width && (box.right > card.right + .5 || box.left < card.left - .5);
  }).map(element => element.outerHTML.slice(0, 80)); }"""


def named(role, dealer, username, given, family):
    user = staff(role, dealer=dealer, username=username)
    user.first_name, user.last_name = given, family
    user.save(update_fields=["first_name", "last_name"])
    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=user).update(language="zh-hans")
    return user


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_manager_on_a_tablet_in_chinese_sees_every_page_fit_and_every_header_item_named(
    live_server, browser
):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="上海浦东奥瑞4S店 Shanghai Pudong Aurora 4S", business_hours=ALWAYS_OPEN)
    seller = named(Role.SALESPERSON, dealer, "zhangwei", "伟", "张")
    manager = named(Role.SALES_MANAGER, dealer, "wangjl", "建林", "王")
    with scoped(access_for(seller).scope):
        walk_in = lead_services.visit_log(
            by=seller,
            dealer=dealer,
            phone="+8613812345678",
            name="邹玉华",
            grade=Grade.A,
            models_of_interest=["A6"],
        ).lead
        consent_record(
            by=seller,
            customer=walk_in.customer,
            dealer=dealer,
            channel="sms",
            purpose="marketing",
            status="opt_out",
            source="web_form",
        )
        consent_record(
            by=seller,
            customer=walk_in.customer,
            dealer=dealer,
            channel="phone",
            purpose="service",
            status="opt_in",
            source="showroom",
        )
        lead_services.lost_propose(
            lead=walk_in,
            by=seller,
            reason=LostVerdict.Reason.COMPETITOR_BRAND,
            competitor_brand="BYD",
            note="客户选择了比亚迪汉",
        )
    with network_wide(reason="test arrange"):
        oem_source = LeadSource.objects.create(
            code="oem-800", name="主机厂 800 呼叫中心", channel="call_centre"
        )
        FollowUp.objects.filter(lead=walk_in, done_at__isnull=True).update(
            due_at=timezone.now() - timedelta(days=4), assigned_to=manager
        )
    with scoped(access_for(manager).scope):
        issued = lead_services.lead_capture(
            dealer=dealer,
            by=manager,
            name="欧阳明",
            type=LeadType.PHONE,
            phones=["+8613900001111"],
            source=oem_source,
            issued_by_oem=True,
            models_of_interest=["EV7"],
        ).lead

    page = browser.new_page(viewport=TABLET)
    page.goto(f"{live_server.url}/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_url("**/leads/team/")
    pages = {
        "approvals": ("/leads/approvals/", "审批"),
        "customer": (f"/customers/{walk_in.customer_id}/", "邹玉华"),
        "my-day": ("/leads/my-day/", "我的今日"),
        "lead": (f"/leads/{issued.id}/", "欧阳明"),
    }
    for name, (path, heading) in pages.items():
        page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(f"h1:has-text('{heading}')")
        page.screenshot(path=ARTIFACTS / f"tablet-zh-{name}.png", full_page=True)
        overflow = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], f"{path} scrolls sideways: {overflow[0]}px in {overflow[1]}px"
        assert page.evaluate(HEADER_ITEMS_WITHOUT_A_NAME) == [], path
        assert page.evaluate(NAV_ITEMS_WITHOUT_VISIBLE_TEXT) == [], path
        assert page.evaluate(BROKEN_BUTTONS) == [], path
        if name == "customer":
            assert page.evaluate(OUTSIDE_THE_CONSENTS_CARD) == []
            assert page.get_by_text("已退订").first.is_visible()
        if name == "my-day":
            assert page.locator("#follow-ups .chip:has-text('已逾期 4 天')").count() == 1
        if name == "approvals":
            assert page.get_by_text("张伟 申请于").first.is_visible()
    page.close()
