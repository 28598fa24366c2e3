"""The bell: a user sees, counts, opens and marks read only their own notifications; each exists once per key
with at most one email; the badge is one cheap query and the pages' query counts do not grow with rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.scope import network_wide
from crm.messaging.models import Notification, OutboxMessage
from crm.messaging.services.notifications import staff_notify
from crm.network.models import Role
from tests.factories import DealerFactory, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    dealer = DealerFactory()
    return {"me": staff(Role.SALESPERSON, dealer=dealer), "other": staff(Role.SALESPERSON, dealer=dealer)}


def notify(user, key, *, title=None, link="/leads/my-day/", email=False) -> Notification:
    staff_notify(
        user=user, key=key, kind="follow_up_due", title=title or f"Title {key}", link=link, email=email
    )
    with network_wide(reason="test arrange"):
        return Notification.objects.get(key=key)


def state() -> list[tuple]:
    with network_wide(reason="test snapshot"):
        return list(Notification.objects.order_by("id").values_list("id", "user_id", "read_at"))


def signed_in(client, user):
    client.force_login(user)
    return client


def test_staff_notify_writes_each_key_once_with_one_email(people):
    me = people["me"]

    first = staff_notify(
        user=me, key="followup-due:1", kind="follow_up_due", title="Call Wang", link="/leads/1/", email=True
    )
    again = staff_notify(user=me, key="followup-due:1", kind="follow_up_due", title="Call Wang", email=True)

    assert (first, again) == (True, False)
    with network_wide(reason="test assert"):
        (notification,) = Notification.objects.filter(key="followup-due:1")
        (email,) = OutboxMessage.objects.filter(idempotency_key="staff:followup-due:1")
    assert email.recipient == me.email and email.purpose == "staff"
    # The email's link opens the notification (marking it read), then the lead.
    assert reverse("messaging:notification_open", args=[notification.id]) in email.body_text


def test_the_bell_counts_only_my_unread_notifications(client, people):
    me, other = people["me"], people["other"]
    for number in range(3):
        notify(me, f"mine:{number}")
    read = notify(me, "mine:read")
    with network_wide(reason="test arrange"):
        Notification.objects.filter(id=read.id).update(read_at=read.created_at)
    for number in range(5):
        notify(other, f"theirs:{number}", title=f"Secret {number}")

    badge = signed_in(client, me).get(reverse("messaging:notifications_bell"))
    menu = client.get(reverse("messaging:notifications_bell"), {"menu": "1"}, HTTP_HX_REQUEST="true")
    with CaptureQueriesContext(connection) as page_queries:
        page = client.get(reverse("leads:my_day"))

    assert badge.status_code == 200 and ">3<" in badge.content.decode()
    assert "every 60s" in badge.content.decode()
    assert "Title mine:0" in menu.content.decode() and "Title mine:read" in menu.content.decode()
    assert "Secret" not in menu.content.decode()
    # The page shows the bell and leaves the count to the badge's own request, paying no query for it.
    assert 'id="notification-bell"' in page.content.decode()
    assert 'hx-trigger="load, every 60s' in page.content.decode()
    assert not [q for q in page_queries if "messaging_notification" in q["sql"]]


def test_the_badge_is_one_query_and_caps_its_count(client, people, django_assert_max_num_queries):
    me = people["me"]
    with network_wide(reason="test arrange"):
        Notification.objects.bulk_create(
            Notification(user=me, key=f"bulk:{n}", kind="digest", title=f"Digest {n}") for n in range(120)
        )
    signed_in(client, me)
    client.get(reverse("messaging:notifications_bell"))  # warm the session and the user's language

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("messaging:notifications_bell"))

    counts = [q["sql"] for q in queries if "messaging_notification" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 100" in counts[0]
    assert "99+" in response.content.decode()


def test_opening_my_notification_marks_it_read_and_follows_its_link(client, people):
    mine = notify(people["me"], "mine:open", link="/leads/my-day/")

    response = signed_in(client, people["me"]).get(reverse("messaging:notification_open", args=[mine.id]))

    assert response.status_code == 302 and response.url == "/leads/my-day/"
    with network_wide(reason="test assert"):
        assert Notification.objects.get(id=mine.id).read_at is not None


def test_a_link_to_another_site_is_not_followed(client, people):
    mine = notify(people["me"], "mine:evil", link="https://evil.example/phish")

    response = signed_in(client, people["me"]).get(reverse("messaging:notification_open", args=[mine.id]))

    assert response.status_code == 302 and response.url == reverse("messaging:notifications")


def test_someone_elses_notification_is_not_found_and_stays_unread(client, people):
    theirs = notify(people["other"], "theirs:private")
    before = state()
    signed_in(client, people["me"])

    opened = client.get(reverse("messaging:notification_open", args=[theirs.id]))
    marked = client.post(reverse("messaging:notification_read", args=[theirs.id]))
    client.post(reverse("messaging:notifications_read_all"))
    listed = client.get(reverse("messaging:notifications"))

    assert (opened.status_code, marked.status_code) == (404, 404)
    assert "theirs:private" not in listed.content.decode()
    assert state() == before


def test_mark_one_and_mark_all_read_touch_only_mine(client, people):
    first, second = notify(people["me"], "mine:1"), notify(people["me"], "mine:2")
    theirs = notify(people["other"], "theirs:1")
    signed_in(client, people["me"])

    response = client.post(reverse("messaging:notification_read", args=[first.id]), {"next": "/leads/"})
    assert response.status_code == 302 and response.url == "/leads/"
    with network_wide(reason="test assert"):
        assert Notification.objects.get(id=first.id).read_at is not None
        assert Notification.objects.get(id=second.id).read_at is None

    menu = client.post(reverse("messaging:notifications_read_all"), HTTP_HX_REQUEST="true")
    assert menu.status_code == 200 and 'hx-swap-oob="true"' in menu.content.decode()
    with network_wide(reason="test assert"):
        assert Notification.objects.get(id=second.id).read_at is not None
        assert Notification.objects.get(id=theirs.id).read_at is None


def test_the_notifications_page_lists_mine_newest_first_with_an_unread_filter(client, people):
    notify(people["me"], "mine:old", title="Older one")
    newer = notify(people["me"], "mine:new", title="Newer one")
    with network_wide(reason="test arrange"):
        Notification.objects.filter(key="mine:old").update(read_at=newer.created_at)
    signed_in(client, people["me"])

    everything = client.get(reverse("messaging:notifications")).content.decode()
    unread = client.get(reverse("messaging:notifications"), {"unread": "1"}).content.decode()

    assert everything.index("Newer one") < everything.index("Older one")
    assert "Newer one" in unread and "Older one" not in unread


def test_the_notifications_page_costs_the_same_queries_with_many_rows(client, people):
    me = people["me"]
    signed_in(client, me)

    def page_queries(count: int) -> int:
        with network_wide(reason="test arrange"):
            Notification.objects.bulk_create(
                Notification(user=me, key=f"row:{count}:{n}", kind="sla_due", title="Row", link="/leads/")
                for n in range(count)
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("messaging:notifications")).status_code == 200
        return len(queries)

    assert page_queries(2) == page_queries(40)


def test_a_signed_out_tab_stops_polling(client):
    response = client.get(reverse("messaging:notifications_bell"))

    assert response.status_code == 286
    assert client.get(reverse("messaging:notifications")).status_code == 302
