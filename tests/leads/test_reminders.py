"""Staff reminders and escalation: the morning digest at each dealer's opening in its own time zone, due-soon
reminders, breach escalation to the sales manager and, later, to the OEM regional manager. Each is sent
once per key however often (or however concurrently) the per-minute scan runs."""

import threading
import time
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.core.scope import network_wide, scoped
from crm.messaging.models import Notification, OutboxMessage
from crm.network.access import access_for
from crm.network.models import Role, StaffProfile
from leads.models import FollowUp, Lead, LostVerdict
from leads.services import contact_log, lost_decide, lost_propose, visit_log
from leads.services.reminders import business_cutoff, dealer_clocks, staff_reminders_run
from tests.factories import DealerFactory, RegionFactory, random_cn_mobile, staff, web_lead

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")  # UTC+8
URUMQI = zoneinfo.ZoneInfo("Asia/Urumqi")  # UTC+6
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED_SUNDAY = {**{day: [["09:00", "18:00"]] for day in WEEKDAYS}, "sun": []}
# 2025-03-03 is a Monday.


def shanghai(day, hour, minute=0):
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


def run(now):
    return staff_reminders_run(now=now)


def notifications(**filters):
    with network_wide(reason="test assert"):
        return list(Notification.objects.filter(**filters).order_by("id"))


def keys(**filters):
    return [n.key for n in notifications(**filters)]


def staff_emails(key):
    with network_wide(reason="test assert"):
        return list(OutboxMessage.objects.filter(idempotency_key=f"staff:{key}"))


@pytest.fixture(autouse=True)
def _quiet_broker(monkeypatch):
    """An email enqueued in a committed transaction wakes a sender through the broker: not in these tests."""
    monkeypatch.setattr("crm.messaging.services.outbox.outbox_wake", lambda **kwargs: None)


@pytest.fixture
def shop():
    region = RegionFactory()
    dealer = DealerFactory(time_zone="Asia/Shanghai", region=region, name="Pudong Motors")
    return {
        "dealer": dealer,
        "seller": staff(Role.SALESPERSON, dealer=dealer),
        "colleague": staff(Role.SALESPERSON, dealer=dealer),
        "manager": staff(Role.SALES_MANAGER, dealer=dealer),
        "admin": staff(Role.DEALER_ADMIN, dealer=dealer),
        "regional": staff(Role.REGIONAL_MANAGER, region=region),
        "other_regional": staff(Role.REGIONAL_MANAGER, region=RegionFactory()),
    }


def walk_in(seller, dealer, *, phone, arrived_at, name="Walk-in"):
    """A logged visit: a lead owned by the salesperson, with a call due the next morning at 10:00."""
    with scoped(access_for(seller).scope):
        # Arranged in a fixed past week (time is mocked for the scans): the system's own history.
        lead = visit_log(
            by=seller, dealer=dealer, phone=phone, name=name, arrived_at=arrived_at, is_history=True
        ).lead
    with network_wide(reason="test arrange"):
        return lead, FollowUp.objects.get(lead=lead, done_at__isnull=True)


def customer_name(lead) -> str:
    with network_wide(reason="test assert"):
        return Lead.objects.select_related("customer").get(id=lead.id).customer.name


def speak(user, language):
    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=user).update(language=language)


# --- Morning digest ---------------------------------------------------------------------------------------


def test_the_digest_goes_out_when_each_dealer_opens_in_its_own_time_zone():
    east = DealerFactory(time_zone="Asia/Shanghai")
    west = DealerFactory(time_zone="Asia/Urumqi")
    east_seller, west_seller = staff(Role.SALESPERSON, dealer=east), staff(Role.SALESPERSON, dealer=west)
    opening_east = datetime(2025, 3, 4, 9, 0, tzinfo=SHANGHAI)  # 01:00 UTC
    opening_west = datetime(2025, 3, 4, 9, 0, tzinfo=URUMQI)  # 03:00 UTC

    run(opening_east - timedelta(minutes=1))
    assert keys(kind="digest") == []

    run(opening_east)
    assert keys(kind="digest") == [f"digest:{east_seller.id}:2025-03-04"]

    run(opening_west - timedelta(minutes=1))
    run(opening_west)
    assert keys(kind="digest") == [
        f"digest:{east_seller.id}:2025-03-04",
        f"digest:{west_seller.id}:2025-03-04",
    ]
    assert opening_west - opening_east == timedelta(hours=2)


def test_no_digest_on_a_closed_day_nor_long_after_opening():
    dealer = DealerFactory(time_zone="Asia/Shanghai", business_hours=CLOSED_SUNDAY)
    seller = staff(Role.SALESPERSON, dealer=dealer)

    run(datetime(2025, 3, 9, 9, 30, tzinfo=SHANGHAI))  # Sunday
    late = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI) + timedelta(
        minutes=settings.LEAD_DIGEST_WINDOW_MINUTES
    )
    run(late)
    assert keys(kind="digest") == []

    run(late - timedelta(minutes=1))  # the beat was down at opening: a late digest still goes out
    assert keys(kind="digest") == [f"digest:{seller.id}:2025-03-10"]


def test_the_digest_lists_the_day_in_the_salespersons_language(shop):
    seller, dealer = shop["seller"], shop["dealer"]
    speak(seller, "zh-hans")
    walk_in(seller, dealer, phone="13811110001", arrived_at=shanghai(2, 15), name="Overdue Ouyang")
    walk_in(seller, dealer, phone="13811110002", arrived_at=shanghai(3, 15), name="Today Tang")
    web_lead(dealer, phone="13811110003", arrived_at=shanghai(3, 20), name="Newcomer Niu")
    web_lead(dealer, phone="13811110004", arrived_at=shanghai(3, 20), name="Theirs", owner=shop["colleague"])

    run(shanghai(4, 9))

    (digest,) = notifications(kind="digest", user=seller)
    assert digest.key == f"digest:{seller.id}:2025-03-04"
    assert digest.title.count("1") == 3 and digest.link == "/leads/my-day/"
    assert "Overdue Ouyang" in digest.body and "Today Tang" in digest.body and "Newcomer Niu" in digest.body
    assert "Theirs" not in digest.body
    assert "到店次日电话回访" in digest.body  # "Call the day after the visit", in Chinese
    (email,) = staff_emails(digest.key)
    assert (email.recipient, email.language, email.purpose) == (seller.email, "zh-hans", "staff")
    assert "/leads/" in email.body_text and "Newcomer Niu" in email.body_html
    colleague_digest = notifications(kind="digest", user=shop["colleague"])[0]
    assert "Theirs" in colleague_digest.body and "Newcomer Niu" in colleague_digest.body
    assert notifications(kind="digest", user=shop["manager"]) == []


def test_the_digest_is_sent_once_when_the_scan_runs_twice(shop):
    run(shanghai(4, 9))
    run(shanghai(4, 9, 1))
    run(shanghai(4, 9))

    assert keys(kind="digest", user=shop["seller"]) == [f"digest:{shop['seller'].id}:2025-03-04"]
    assert len(staff_emails(f"digest:{shop['seller'].id}:2025-03-04")) <= 1


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_send_each_digest_once():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    sellers = [staff(Role.SALESPERSON, dealer=dealer) for _ in range(12)]
    for number, seller in enumerate(sellers):
        walk_in(seller, dealer, phone=f"1370000{number:04d}", arrived_at=shanghai(3, 15))
    barrier = threading.Barrier(2)
    errors = []

    def scan():
        try:
            barrier.wait()
            staff_reminders_run(now=shanghai(4, 9), batch=5)
        except Exception as error:  # reported below: an assertion in a thread would be lost
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    digests = notifications(kind="digest")
    assert sorted(n.user_id for n in digests) == sorted(s.id for s in sellers)
    with network_wide(reason="test assert"):
        emails = OutboxMessage.objects.filter(kind="digest")
        assert emails.count() == len(sellers)
        assert sorted(emails.values_list("user_id", flat=True)) == sorted(s.id for s in sellers)


# --- Due soon -------------------------------------------------------------------------------------------


def test_a_follow_up_is_reminded_once_inside_its_window(shop):
    _lead, follow_up = walk_in(
        shop["seller"], shop["dealer"], phone="13811112222", arrived_at=shanghai(3, 15)
    )
    assert follow_up.due_at == shanghai(4, 10)
    key = f"followup-due:{follow_up.id}"

    run(shanghai(4, 9, 29))
    assert key not in keys()
    run(shanghai(4, 9, 30))
    run(shanghai(4, 9, 45))
    run(shanghai(4, 10, 5))

    (reminder,) = notifications(key=key)
    assert reminder.user_id == shop["seller"].id and reminder.kind == "follow_up_due"
    assert "10:00" in reminder.title and reminder.link == f"/leads/{follow_up.lead_id}/"
    assert len(staff_emails(key)) == 1


def test_done_follow_ups_and_closed_leads_are_not_reminded(shop):
    seller, dealer, manager = shop["seller"], shop["dealer"], shop["manager"]
    lead, done = walk_in(seller, dealer, phone="13811113333", arrived_at=shanghai(3, 15))
    with scoped(access_for(seller).scope):
        contact_log(lead=lead, by=seller, channel="call", outcome="reached", at=shanghai(4, 9))
    lost, dropped = walk_in(seller, dealer, phone="13811114444", arrived_at=shanghai(3, 15))
    with scoped(access_for(seller).scope):
        verdict = lost_propose(lead=lost, by=seller, reason=LostVerdict.Reason.PRICE)
    with scoped(access_for(manager).scope):
        lost_decide(verdict=verdict, by=manager, approve=True)

    for minute in range(0, 120, 15):
        run(shanghai(4, 9) + timedelta(minutes=minute))

    assert [k for k in keys() if not k.startswith("digest:")] == []
    with network_wide(reason="test assert"):
        assert FollowUp.objects.get(id=done.id).closed_reason == FollowUp.Closing.CONTACTED
        assert FollowUp.objects.get(id=dropped.id).closed_reason == FollowUp.Closing.LEAD_CLOSED


def test_a_first_response_deadline_is_reminded_to_the_owner(shop):
    lead = web_lead(shop["dealer"], phone="13811116666", arrived_at=shanghai(3, 10), owner=shop["seller"])
    assert lead.sla_due_at == shanghai(3, 12)

    run(shanghai(3, 11, 29))
    run(shanghai(3, 11, 30))
    run(shanghai(3, 11, 50))

    (reminder,) = notifications(kind="sla_due")
    assert (reminder.key, reminder.user_id) == (f"sla-due:{lead.id}", shop["seller"].id)
    assert "12:00" in reminder.title and "30" in reminder.body
    # The first-response follow-up due at the same time is not reminded a second time.
    assert notifications(kind="follow_up_due") == []


def test_an_unowned_lead_due_soon_goes_to_the_sales_managers(shop):
    second_manager = staff(Role.SALES_MANAGER, dealer=shop["dealer"])
    lead = web_lead(shop["dealer"], phone="13811117777", arrived_at=shanghai(3, 10))

    run(shanghai(3, 11, 40))

    assert sorted((n.key, n.user_id) for n in notifications(kind="sla_due")) == sorted(
        [
            (f"sla-due:{lead.id}:{shop['manager'].id}", shop["manager"].id),
            (f"sla-due:{lead.id}:{second_manager.id}", second_manager.id),
        ]
    )


# --- Catching up what fell due while no scan ran ---------------------------------------------------------


def test_a_follow_up_that_fell_due_while_no_scan_ran_is_reminded_once_as_overdue(shop):
    lead, follow_up = walk_in(shop["seller"], shop["dealer"], phone="13811115555", arrived_at=shanghai(3, 15))
    assert follow_up.due_at == shanghai(4, 10)
    run(shanghai(4, 9))  # the last scan before the system went down, before the 09:30 window opened
    key = f"followup-overdue:{follow_up.id}"

    report = run(shanghai(4, 14, 7))  # back up four hours later
    assert report["overdue"] == 1 and report["follow_ups"] == 0
    again = [run(shanghai(4, 14, 8)), run(shanghai(4, 15)), run(shanghai(5, 9, 5))]

    (reminder,) = notifications(key=key)
    assert (reminder.user_id, reminder.kind, reminder.link) == (
        shop["seller"].id,
        "follow_up_overdue",
        f"/leads/{lead.id}/",
    )
    assert "10:00" in reminder.title and customer_name(lead) in reminder.title
    assert len(staff_emails(key)) == 1
    assert [report["overdue"] for report in again] == [0, 0, 0]
    assert notifications(kind="follow_up_due") == []  # the missed due-soon reminder is not sent late


def test_a_follow_up_reminded_before_it_fell_due_is_not_reminded_again_as_overdue(shop):
    _lead, follow_up = walk_in(
        shop["seller"], shop["dealer"], phone="13811115556", arrived_at=shanghai(3, 15)
    )
    run(shanghai(4, 9, 45))
    run(shanghai(4, 10, 30))
    run(shanghai(4, 16))
    assert keys(kind="follow_up_due") == [f"followup-due:{follow_up.id}"]
    assert notifications(kind="follow_up_overdue") == []


def test_an_owned_first_response_missed_while_down_reaches_its_owner_and_an_unowned_one_only_the_managers(
    shop,
):
    owned = web_lead(shop["dealer"], phone="13811115557", arrived_at=shanghai(3, 10), owner=shop["seller"])
    unowned = web_lead(shop["dealer"], phone="13811115558", arrived_at=shanghai(3, 10))
    run(shanghai(3, 10, 1))
    run(shanghai(3, 15))  # the 11:30-12:00 window was missed

    (overdue,) = notifications(kind="follow_up_overdue")
    assert overdue.user_id == shop["seller"].id and overdue.link == f"/leads/{owned.id}/"
    breached = {(n.key, n.user_id) for n in notifications(kind="sla_breach")}
    assert (f"sla-breach:{unowned.id}:{shop['manager'].id}", shop["manager"].id) in breached


def test_a_follow_up_overdue_beyond_the_look_back_gets_no_reminder(shop):
    _lead, follow_up = walk_in(
        shop["seller"], shop["dealer"], phone="13811115559", arrived_at=shanghai(3, 15)
    )
    run(shanghai(12, 9, 5))  # eight days after it fell due
    assert notifications(kind="follow_up_overdue") == []


def test_the_catch_up_costs_the_same_few_queries_however_many_were_already_caught_up(shop):
    def rerun_queries(count: int) -> int:
        for _number in range(count):
            walk_in(shop["seller"], shop["dealer"], phone=random_cn_mobile(), arrived_at=shanghai(3, 15))
        run(shanghai(4, 14))
        with CaptureQueriesContext(connection) as queries:
            report = run(shanghai(4, 14, 1))
        assert report["overdue"] == 0
        return len(queries)

    few = rerun_queries(2)
    many = rerun_queries(20)
    assert len(notifications(kind="follow_up_overdue")) == 22
    assert few == many


# --- What is overdue now: the notifications page and the bell ----------------------------------------------


def test_the_notifications_page_lists_my_overdue_follow_ups_before_any_reminder_exists(client, shop):
    seller, colleague = shop["seller"], shop["colleague"]
    mine = [
        walk_in(
            seller, shop["dealer"], phone=random_cn_mobile(), arrived_at=shanghai(3, 15), name=f"Mine {n}"
        )
        for n in range(3)
    ]
    walk_in(colleague, shop["dealer"], phone=random_cn_mobile(), arrived_at=shanghai(3, 15), name="Theirs")
    assert notifications() == []

    client.force_login(seller)
    page = client.get("/messaging/notifications/").content.decode()
    section = page.split('id="due-overdue_follow_ups"', 1)[1].split("</section>", 1)[0]
    for lead, _follow_up in mine:
        assert f'href="/leads/{lead.id}/"' in section
        assert customer_name(lead) in section
    assert "Theirs" not in section
    assert 'data-count="3"' in page.split('id="due-overdue_follow_ups"', 1)[1][:40]

    bell = client.get("/messaging/notifications/bell/").content.decode()
    assert 'data-overdue="3"' in bell
    menu = client.get("/messaging/notifications/bell/?menu=1").content.decode()
    assert f'href="/leads/{mine[0][0].id}/"' in menu


def test_nothing_overdue_shows_no_overdue_section_nor_badge(client, shop):
    lead, follow_up = walk_in(shop["seller"], shop["dealer"], phone="13811115560", arrived_at=shanghai(3, 15))
    with scoped(access_for(shop["seller"]).scope):
        contact_log(lead=lead, by=shop["seller"], channel="call", outcome="reached", at=shanghai(4, 9))
    with network_wide(reason="test arrange: the next call is far ahead"):
        FollowUp.objects.filter(lead=lead, done_at__isnull=True).update(
            due_at=datetime(2100, 1, 1, tzinfo=UTC)
        )
    client.force_login(shop["seller"])
    assert "due-overdue_follow_ups" not in client.get("/messaging/notifications/").content.decode()
    assert "data-overdue" not in client.get("/messaging/notifications/bell/").content.decode()


def test_the_notifications_page_costs_the_same_queries_however_many_follow_ups_are_overdue(client, shop):
    seller = shop["seller"]
    client.force_login(seller)

    def page_queries(count: int) -> int:
        for _number in range(count):
            walk_in(seller, shop["dealer"], phone=random_cn_mobile(), arrived_at=shanghai(3, 15))
        client.get("/messaging/notifications/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/messaging/notifications/").status_code == 200
        return len(queries)

    # Past the 50 listed, one more query counts the rest; then the count stays flat.
    assert page_queries(2) + 1 >= page_queries(60) == page_queries(60)


# --- Escalation -------------------------------------------------------------------------------------------


def test_a_breach_reaches_the_sales_managers_once_and_nobody_else(shop):
    lead = web_lead(shop["dealer"], phone="13811118888", arrived_at=shanghai(3, 10), owner=shop["seller"])

    run(shanghai(3, 12))  # due at 12:00: not missed yet
    assert notifications(kind="sla_breach") == []
    run(shanghai(3, 12, 1))
    run(shanghai(3, 12, 2))

    (escalation,) = notifications(kind="sla_breach")
    assert (escalation.key, escalation.user_id) == (
        f"sla-breach:{lead.id}:{shop['manager'].id}",
        shop["manager"].id,
    )
    assert "12:00" in escalation.title and shop["seller"].first_name in escalation.body
    assert len(staff_emails(escalation.key)) == 1
    assert notifications(kind="sla_regional") == []


def test_a_dealer_without_a_sales_manager_escalates_to_its_dealer_admin():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    admin = staff(Role.DEALER_ADMIN, dealer=dealer)
    staff(Role.SALESPERSON, dealer=dealer)
    lead = web_lead(dealer, phone="13811119999", arrived_at=shanghai(3, 10))

    run(shanghai(3, 12, 1))

    assert keys(kind="sla_breach") == [f"sla-breach:{lead.id}:{admin.id}"]


def test_a_lead_contacted_in_time_is_not_escalated(shop):
    lead = web_lead(shop["dealer"], phone="13811110101", arrived_at=shanghai(3, 10), owner=shop["seller"])
    with scoped(access_for(shop["seller"]).scope):
        contact_log(lead=lead, by=shop["seller"], channel="call", outcome="no_answer", at=shanghai(3, 11))

    for hour in (12, 13, 18):
        run(shanghai(3, hour, 1))
    run(shanghai(4, 17))

    # (Its next follow-up, fallen due between these scans, is caught up as overdue: not an escalation.)
    assert [k for k in keys() if k.startswith("sla-")] == []


def test_the_regional_manager_hears_after_the_second_threshold_in_business_minutes(shop):
    # Due 17:30 Monday; the dealer closes at 18:00 and opens at 9:00, so 240 business minutes (30 on Monday,
    # 210 on Tuesday) have passed at 12:30 on Tuesday.
    lead = web_lead(shop["dealer"], phone="13811110202", arrived_at=shanghai(3, 15, 30), owner=shop["seller"])
    assert lead.sla_due_at == shanghai(3, 17, 30)

    run(shanghai(3, 17, 31))
    assert keys(kind="sla_breach") == [f"sla-breach:{lead.id}:{shop['manager'].id}"]
    run(shanghai(3, 21, 30))  # 240 minutes on the wall clock, but the showroom was closed
    run(shanghai(4, 12, 29))
    assert notifications(kind="sla_regional") == []

    run(shanghai(4, 12, 30))
    run(shanghai(4, 12, 31))

    (escalation,) = notifications(kind="sla_regional")
    assert (escalation.key, escalation.user_id) == (
        f"sla-regional:{lead.id}:{shop['regional'].id}",
        shop["regional"].id,
    )
    assert "Pudong Motors" in escalation.title
    assert len(staff_emails(escalation.key)) == 1
    assert notifications(user=shop["other_regional"]) == []
    assert len(notifications(kind="sla_breach")) == 1


def test_the_business_cutoff_is_the_latest_deadline_that_has_waited_long_enough():
    dealer = DealerFactory(time_zone="Asia/Shanghai")
    clock = dealer_clocks()[dealer.id]
    now = shanghai(4, 13)

    cutoff = business_cutoff(now, 240, dealer=clock, earliest=now - timedelta(days=14))

    assert cutoff == shanghai(4, 9)  # 09:00–13:00 Tuesday; a deadline any later has waited less
    assert business_cutoff(now, 300, dealer=clock, earliest=now - timedelta(days=14)) == shanghai(3, 17)
    assert business_cutoff(now, 300, dealer=clock, earliest=now - timedelta(hours=6)) is None


def test_a_rerun_over_reminded_rows_costs_the_same_few_queries_however_many_there_are(shop):
    def rerun_queries(count: int) -> int:
        for _number in range(count):
            walk_in(shop["seller"], shop["dealer"], phone=random_cn_mobile(), arrived_at=shanghai(3, 15))
        run(shanghai(4, 9, 40))
        with CaptureQueriesContext(connection) as queries:
            report = run(shanghai(4, 9, 41))
        assert report == {
            "breaches": 0,
            "regional": 0,
            "sla_due": 0,
            "follow_ups": 0,
            "overdue": 0,
            "digests": 0,
        }
        return len(queries)

    few = rerun_queries(2)
    many = rerun_queries(20)

    assert len(notifications(kind="follow_up_due")) == 22
    assert few == many <= 44


# --- A real worker ----------------------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_reminder_reaches_the_smtp_sink_once_though_the_scan_task_is_sent_again_and_again(monkeypatch):
    from crm.celery import queue_names
    from tests.messaging.peers import smtp_sink_process, stats
    from tests.messaging.workers import celery_worker, wait_until

    monkeypatch.undo()  # this test wants the real wake-up calls
    closed = {day: [] for day in WEEKDAYS}  # no digest to mix in: the dealer never opens
    dealer = DealerFactory(time_zone="Asia/Shanghai", business_hours=closed)
    seller = staff(Role.SALESPERSON, dealer=dealer)
    _lead, follow_up = walk_in(seller, dealer, phone="13811110303", arrived_at=datetime.now(UTC))
    with network_wide(reason="test arrange"):
        FollowUp.objects.filter(id=follow_up.id).update(due_at=datetime.now(UTC) + timedelta(minutes=10))
    key = f"staff:followup-due:{follow_up.id}"

    with (
        smtp_sink_process() as (smtp_port, sink_url),
        celery_worker(monkeypatch, extra_env={"EMAIL_PORT": str(smtp_port)}) as (queue, process, _env),
    ):
        for _ in range(2):
            current_app.send_task("leads.tasks.staff_reminders")

        assert wait_until(lambda: stats(sink_url)["by_message_id"].get(key), timeout=60), "no email arrived"
        # Once more after the first run is over (as a restarted beat would), then wait for it to be done.
        current_app.send_task("leads.tasks.staff_reminders")
        broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        assert wait_until(lambda: sum(broker.llen(q) for q in queue_names(queue)) == 0, timeout=30)
        time.sleep(3)  # let a duplicate that was already taken finish
        received = stats(sink_url)
        assert process.poll() is None

    assert received["by_message_id"][key] == 1
    assert received["duplicates"] == 0
    assert received["messages"] == 1
    with network_wide(reason="test assert"):
        (email,) = OutboxMessage.objects.filter(idempotency_key=key)
        assert email.status == OutboxMessage.Status.SENT and email.recipient == seller.email
        assert Notification.objects.filter(key=f"followup-due:{follow_up.id}").count() == 1
