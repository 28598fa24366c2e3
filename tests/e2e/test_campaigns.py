"""A campaign in a real browser, sent by a real Celery worker to the SMS gateway simulator: one sales
manager prepares it through the pages, another approves it, and the page's progress bar is watched until
it reads 100 %. Screenshots (desktop 1366, tablet 820) go to test-artifacts/ for a human look."""

from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from crm.messaging.models import Campaign, MessageTemplate, OutboxMessage, Segment
from crm.network.models import Role
from tests.factories import PASSWORD, DealerFactory, customer_with, staff
from tests.messaging.bulk import customers_bulk
from tests.messaging.peers import SMS_API_KEY, sms_simulator_process, stats
from tests.messaging.workers import celery_worker

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "tablet": {"width": 820, "height": 1180}}
RECIPIENTS = 30

pytestmark = [pytest.mark.e2e, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state("networkidle")


def shoot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def header_fits(page) -> None:
    """Every header item stays on one line: the nav is no taller than one row of links."""
    heights = page.evaluate(
        "() => [document.querySelector('.app-nav').getBoundingClientRect().height,"
        " document.querySelector('.app-nav .nav-link').getBoundingClientRect().height]"
    )
    assert heights[0] <= heights[1] + 4, f"the header wraps: {heights}"


def outbox_counts(campaign_id: int) -> dict[str, int]:
    with network_wide(reason="e2e check"):
        statuses = OutboxMessage.objects.filter(campaign_id=campaign_id).values_list("status", flat=True)
        counts: dict[str, int] = {}
        for status in statuses:
            counts[status] = counts.get(status, 0) + 1
        return counts


def test_a_manager_prepares_a_campaign_another_approves_it_and_the_bar_reaches_100(
    live_server, browser, monkeypatch
):
    ARTIFACTS.mkdir(exist_ok=True)
    dealer = DealerFactory(name="Pudong Aurora 4S", city="Shanghai", time_zone="Asia/Shanghai")
    preparer = staff(Role.SALES_MANAGER, dealer=dealer, username="wang-manager")
    approver = staff(Role.DEALER_ADMIN, dealer=dealer, username="li-admin")
    for user, (first, last) in ((preparer, ("Wei", "Wang")), (approver, ("Na", "Li"))):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    customers_bulk(dealer=dealer, count=RECIPIENTS, channel="sms")
    customer_with(dealer, sms=False)  # never asked: outside the segment, never messaged
    with network_wide(reason="e2e arrange"):
        Segment.objects.create(
            dealer=dealer,
            name="SMS opt-ins",
            filters={"marketing_consent": "sms"},
            last_count=RECIPIENTS,
            last_counted_at=timezone.now(),
        )
        MessageTemplate.objects.create(
            dealer=dealer,
            name="Spring service week",
            channel="sms",
            purpose="marketing",
            body_en="Hello {{ customer.name }}, spring service week at {{ dealer.name }}: 20% off labour.",
            body_zh="{{ customer.name }}您好，{{ dealer.name }}春季保养周：工时费八折。",
        )

    receipts = f"{live_server.url}{reverse('messaging:sms_receipt')}"
    with (
        sms_simulator_process(
            receipt_url=receipts,
            receipt_secret=settings.SMS_WEBHOOK_SECRET,
            receipt_delay_ms=(300, 1500),
            latency_ms=120,
        ) as gateway,
        celery_worker(
            monkeypatch,
            extra_env={
                "SMS_PROVIDER_URL": gateway,
                "SMS_PROVIDER_KEY": SMS_API_KEY,
                # Marketing waits out the dealer's quiet hours; the test must not depend on the time of day.
                "MESSAGING_QUIET_HOURS": "00:00-00:00",
                # Small batches, so the bar visibly moves on its way to 100 %.
                "MESSAGING_BATCH_SIZE": "4",
            },
        ),
    ):
        # The preparer: header → Campaigns → New campaign, through the pages.
        page = browser.new_page(viewport=VIEWPORTS["desktop"])
        sign_in(page, live_server.url, preparer)
        page.click(".app-nav a[href$='/messaging/campaigns/']")
        page.wait_for_selector("text=No campaign yet.")
        page.click("text=New campaign")
        page.fill("#id_name", "Spring service week")
        page.select_option("#id_segment", label=f"SMS opt-ins · {dealer.name} ({RECIPIENTS} customers)")
        page.wait_for_selector(f"#segment-count:has-text('{RECIPIENTS} customers')")
        page.wait_for_selector("#campaign-zone:has-text('Asia/Shanghai (UTC+08:00)')", state="attached")
        page.select_option("#id_template", label=f"Spring service week · {dealer.name} · Marketing")
        page.wait_for_selector("#template-preview:has-text('spring service week at')")
        shoot(page, "campaign-new-desktop")
        page.set_viewport_size(VIEWPORTS["tablet"])
        header_fits(page)
        shoot(page, "campaign-new-tablet")
        page.set_viewport_size(VIEWPORTS["desktop"])
        page.click("button:has-text('Save draft')")
        page.wait_for_selector("#campaign-status[data-status=draft]")
        campaign_id = int(page.url.rstrip("/").split("/")[-1])
        page.click("button:has-text('Submit for approval')")
        page.wait_for_selector("#campaign-status[data-status=pending]")
        assert "Na Li" in page.inner_text("#approvers"), "the preparer is told who may approve"
        assert page.locator("#approval button:has-text('Approve')").count() == 0
        shoot(page, "campaign-pending-desktop")
        page.close()

        # The approver: sees it waiting, approves it, and watches the bar.
        page = browser.new_page(viewport=VIEWPORTS["desktop"])
        sign_in(page, live_server.url, approver)
        page.goto(f"{live_server.url}/messaging/campaigns/?status=pending")
        page.click("text=Spring service week")
        page.wait_for_selector("#approval")
        shoot(page, "campaign-approve-desktop")
        page.click("#approval button:has-text('Approve')")
        page.wait_for_selector("#campaign-status[data-status=sending]")
        moving_shot = False
        for _ in range(600):
            percent = int(page.get_attribute("#campaign-progress", "data-percent") or 0)
            if 0 < percent < 100 and not moving_shot:
                shoot(page, "campaign-sending-desktop")
                moving_shot = True
            if percent == 100:
                break
            page.wait_for_timeout(100)
        assert percent == 100, f"the bar stopped at {percent} % (outbox: {outbox_counts(campaign_id)})"
        assert page.inner_text("#campaign-percent").strip() == "100%"

        # The last sender (or beat's tick) completes the campaign: the page reloads itself, keeps polling while
        # delivery receipts arrive, and stops once every message is delivered.
        current_app.send_task("crm.messaging.tasks.messaging_tick")
        page.wait_for_selector("#campaign-status[data-status=completed]", timeout=30_000)
        page.wait_for_selector(f"li[data-part=delivered][data-count='{RECIPIENTS}']", timeout=30_000)
        page.wait_for_function("!document.querySelector('#campaign-progress').hasAttribute('hx-trigger')")
        assert stats(gateway)["messages"] == RECIPIENTS, "one SMS per recipient reached the gateway"
        shoot(page, "campaign-completed-desktop")
        page.set_viewport_size(VIEWPORTS["tablet"])
        header_fits(page)
        shoot(page, "campaign-completed-tablet")
        page.goto(f"{live_server.url}/messaging/campaigns/")
        shoot(page, "campaigns-list-tablet")
        page.set_viewport_size(VIEWPORTS["desktop"])
        shoot(page, "campaigns-list-desktop")
        page.close()

    counts = outbox_counts(campaign_id)
    assert counts == {"delivered": RECIPIENTS}, counts
    with network_wide(reason="e2e check"):
        campaign = Campaign.objects.get(id=campaign_id)
    assert campaign.status == Campaign.Status.COMPLETED and campaign.recipients == RECIPIENTS
    assert campaign.created_by == preparer and campaign.approved_by == approver
