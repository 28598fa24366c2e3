"""The campaign pages: who sees which campaigns, who may do what (and that a refusal changes nothing), the
approval flow through the pages, the progress fragment's figures against the outbox, and the navigation."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

from crm.core.scope import network_wide
from crm.messaging.models import Campaign, InboundMessage, MessageTemplate, OutboxMessage, Segment
from crm.messaging.selectors.campaigns import recipient_mask
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db

Status = Campaign.Status


@pytest.fixture
def world():
    """Region East: dealers Home and Neighbour; region North: dealer Far. Home has two managers (one
    prepares, the other approves) and staff who may not run campaigns."""
    east, north = RegionFactory(code="east"), RegionFactory(code="north")
    home = DealerFactory(name="Home Motors", region=east, time_zone="Asia/Shanghai")
    neighbour = DealerFactory(name="Neighbour Motors", region=east)
    far = DealerFactory(name="Far Motors", region=north)
    users = {
        "creator": staff(Role.SALES_MANAGER, dealer=home, username="creator"),
        "approver": staff(Role.DEALER_ADMIN, dealer=home, username="approver"),
        "salesperson": staff(Role.SALESPERSON, dealer=home),
        "advisor": staff(Role.SERVICE_ADVISOR, dealer=home),
        "regional": staff(Role.REGIONAL_MANAGER, region=east),
        "regional_north": staff(Role.REGIONAL_MANAGER, region=north),
        "call_centre": staff(Role.CALL_CENTRE_AGENT),
        "oem": staff(Role.OEM_ADMIN, username="oem"),
        "far_manager": staff(Role.SALES_MANAGER, dealer=far),
    }
    with network_wide(reason="test arrange"):
        segments = {
            dealer: Segment.objects.create(
                dealer=dealer,
                name=f"{dealer.name} opted in",
                filters={"marketing_consent": "sms"},
                last_count=3,
                last_counted_at=timezone.now(),
            )
            for dealer in (home, neighbour, far)
        }
        network_segment = Segment.objects.create(dealer=None, name="Network birthdays", filters={})
        templates = {
            dealer: MessageTemplate.objects.create(
                dealer=dealer,
                name=f"{dealer.name} spring offer",
                channel="sms",
                purpose="marketing",
                body_en="Hello {{ customer.name }}",
                body_zh="{{ customer.name }}，您好",
            )
            for dealer in (home, neighbour, far)
        }
        oem_template = MessageTemplate.objects.create(
            dealer=None, name="OEM greeting", channel="sms", purpose="marketing", body_en="Hi", body_zh="你好"
        )
        email_template = MessageTemplate.objects.create(
            dealer=home, name="Home newsletter", channel="email", purpose="marketing", body_en="News"
        )
    return {
        "home": home,
        "neighbour": neighbour,
        "far": far,
        "users": users,
        "segments": segments,
        "network_segment": network_segment,
        "templates": templates,
        "oem_template": oem_template,
        "email_template": email_template,
    }


def campaign_make(world, *, dealer=None, status=Status.DRAFT, name=None, network=False, created_by=None):
    dealer = dealer or world["home"]
    with network_wide(reason="test arrange"):
        campaign = Campaign.objects.create(
            dealer=None if network else dealer,
            name=name or f"{dealer.name} campaign",
            segment=world["network_segment"] if network else world["segments"][dealer],
            template=world["oem_template"] if network else world["templates"][dealer],
            channel="sms",
            purpose="marketing",
            status=status,
            created_by=created_by or (world["users"]["oem"] if network else world["users"]["creator"]),
            started_at=timezone.now() if status in (Status.SENDING, Status.PAUSED) else None,
        )
    return campaign


def outbox_add(campaign, *, status, count=1, reason="", opted_out=False, customer=None):
    with network_wide(reason="test arrange"):
        start = OutboxMessage.objects.count()
        OutboxMessage.objects.bulk_create(
            [
                OutboxMessage(
                    idempotency_key=f"test:{campaign.id}:{start + n}",
                    kind="campaign",
                    channel="sms",
                    purpose="marketing",
                    status=status,
                    reason=reason,
                    recipient=f"+86138{start + n:08d}",
                    customer=customer,
                    dealer_id=campaign.dealer_id,
                    campaign=campaign,
                    scheduled_at=timezone.now(),
                    opted_out_at=timezone.now() if opted_out else None,
                    last_error="gateway said no" if status == "failed" else "",
                )
                for n in range(count)
            ]
        )


def database_state() -> dict:
    with network_wide(reason="test check"):
        return {
            "campaigns": sorted(
                Campaign.objects.values_list(
                    "id",
                    "status",
                    "review_note",
                    "submitted_at",
                    "approved_by_id",
                    "approved_at",
                    "started_at",
                    "finished_at",
                    "scheduled_at",
                    "name",
                )
            ),
            "outbox": sorted(OutboxMessage.objects.values_list("id", "status")),
        }


def status_of(campaign) -> str:
    with network_wide(reason="test check"):
        return Campaign.objects.get(id=campaign.id).status


# The list ---------------------------------------------------------------------------------------------


def listed_names(client) -> set[str]:
    response = client.get(reverse("messaging:campaigns"))
    assert response.status_code == 200
    return {campaign.name for campaign in response.context["campaigns"]}


def test_each_role_lists_the_campaigns_of_its_own_dealers_only(client, world):
    home = campaign_make(world, name="Home spring")
    neighbour = campaign_make(world, dealer=world["neighbour"], name="Neighbour spring")
    far = campaign_make(world, dealer=world["far"], name="Far spring")
    network = campaign_make(world, network=True, name="Network birthday")
    expected = {
        "creator": {home.name},
        "approver": {home.name},
        "regional": {home.name, neighbour.name},
        "regional_north": {far.name},
        "far_manager": {far.name},
        "oem": {home.name, neighbour.name, far.name, network.name},
    }
    for user_key, names in expected.items():
        client.force_login(world["users"][user_key])
        assert listed_names(client) == names, user_key
    for user_key in ("salesperson", "advisor", "call_centre"):
        client.force_login(world["users"][user_key])
        assert client.get(reverse("messaging:campaigns")).status_code == 404, user_key
        assert client.get(reverse("messaging:campaign", args=[home.id])).status_code == 404, user_key


def test_the_list_filters_by_status_and_counts_each_status(client, world):
    campaign_make(world, name="Draft one")
    campaign_make(world, name="Waiting one", status=Status.PENDING_APPROVAL)
    campaign_make(world, name="Waiting two", status=Status.PENDING_APPROVAL)
    client.force_login(world["users"]["approver"])
    response = client.get(reverse("messaging:campaigns"), {"status": "pending"})
    assert {c.name for c in response.context["campaigns"]} == {"Waiting one", "Waiting two"}
    counts = {value: count for value, _label, count in response.context["filters"]}
    assert counts[""] == 3 and counts["pending"] == 2 and counts["draft"] == 1 and counts["sending"] == 0
    # An unknown status is ignored, not an error.
    assert len(client.get(reverse("messaging:campaigns"), {"status": "bogus"}).context["campaigns"]) == 3


def test_the_list_shows_a_mini_bar_of_each_started_campaign(client, world):
    campaign = campaign_make(world, name="Halfway", status=Status.SENDING)
    outbox_add(campaign, status="delivered", count=2)
    outbox_add(campaign, status="queued", count=2)
    client.force_login(world["users"]["creator"])
    response = client.get(reverse("messaging:campaigns"))
    (row,) = response.context["campaigns"]
    assert row.bar["percent"] == 50 and row.bar["good"] == "50.00"
    assert 'aria-valuenow="50"' in response.content.decode()


def test_list_query_count_does_not_grow_with_campaigns(client, world, django_assert_max_num_queries):
    client.force_login(world["users"]["oem"])

    def arrange(count: int) -> None:
        for n in range(count):
            campaign = campaign_make(world, dealer=world["home"], name=f"c{n}", status=Status.SENDING)
            outbox_add(campaign, status="sent")

    arrange(2)
    client.get(reverse("messaging:campaigns"))  # warm the session and the access cache
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("messaging:campaigns"))
    arrange(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("messaging:campaigns"))
    assert len(response.context["campaigns"]) == 22


# A new campaign --------------------------------------------------------------------------------------


def options(body: str, name: str) -> set[int]:
    """The ids a <select name=…> of the page offers."""
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
    return {int(value) for value in re.findall(r'<option value="(\d+)"', select)}


def test_the_new_campaign_page_offers_only_the_users_segments_and_templates(client, world):
    client.force_login(world["users"]["creator"])
    response = client.get(reverse("messaging:campaign_new"))
    assert response.status_code == 200
    body = response.content.decode()
    assert options(body, "segment") == {world["segments"][world["home"]].id}
    assert options(body, "template") == {world["templates"][world["home"]].id, world["oem_template"].id}
    # Choosing a segment and the email channel (HTMX) narrows the templates and shows the zone and count.
    response = client.get(
        reverse("messaging:campaign_new"),
        {"segment": world["segments"][world["home"]].id, "channel": "email"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert options(body, "template") == {world["email_template"].id}
    assert "Asia/Shanghai (UTC+08:00)" in body and "3 customers" in body
    assert 'id="campaign-body"' in body and "<html" not in body


def test_oem_admins_may_start_a_network_campaign_from_network_segments(client, world):
    client.force_login(world["users"]["oem"])
    body = client.get(reverse("messaging:campaign_new")).content.decode()
    assert world["network_segment"].id in options(body, "segment")
    response = client.get(
        reverse("messaging:campaign_new"), {"segment": world["network_segment"].id, "channel": "sms"}
    )
    assert options(response.content.decode(), "template") == {world["oem_template"].id}


@pytest.mark.parametrize("user_key", ["salesperson", "advisor", "call_centre", "regional"])
def test_who_may_not_run_campaigns_cannot_open_the_new_campaign_page(client, world, user_key):
    client.force_login(world["users"][user_key])
    before = database_state()
    assert client.get(reverse("messaging:campaign_new")).status_code == 404
    response = client.post(
        reverse("messaging:campaign_new"),
        {
            "name": "Sneaky",
            "segment": world["segments"][world["home"]].id,
            "channel": "sms",
            "template": world["templates"][world["home"]].id,
            "when": "now",
        },
    )
    assert response.status_code == 404
    assert database_state() == before


def test_a_manager_saves_a_draft_that_sends_when_approved(client, world):
    client.force_login(world["users"]["creator"])
    response = client.post(
        reverse("messaging:campaign_new"),
        {
            "name": "Spring offer",
            "segment": world["segments"][world["home"]].id,
            "channel": "sms",
            "template": world["oem_template"].id,
            "when": "now",
        },
    )
    with network_wide(reason="test check"):
        campaign = Campaign.objects.get(name="Spring offer")
    assert response.status_code == 302 and response.url == reverse("messaging:campaign", args=[campaign.id])
    assert campaign.status == Status.DRAFT and campaign.scheduled_at is None
    assert campaign.dealer == world["home"] and campaign.created_by == world["users"]["creator"]
    assert campaign.template == world["oem_template"] and campaign.channel == "sms"


def test_a_scheduled_time_is_read_in_the_dealers_time_zone(client, world):
    with network_wide(reason="test arrange"):
        world["home"].time_zone = "America/New_York"
        world["home"].save(update_fields=["time_zone"])
    client.force_login(world["users"]["creator"])
    next_year = timezone.now().year + 1
    client.post(
        reverse("messaging:campaign_new"),
        {
            "name": "Later",
            "segment": world["segments"][world["home"]].id,
            "channel": "sms",
            "template": world["templates"][world["home"]].id,
            "when": "later",
            "send_at": f"{next_year}-03-02T10:30",
        },
    )
    with network_wide(reason="test check"):
        campaign = Campaign.objects.get(name="Later")
    assert campaign.scheduled_at == datetime(next_year, 3, 2, 10, 30, tzinfo=ZoneInfo("America/New_York"))
    page = client.get(reverse("messaging:campaign", args=[campaign.id])).content.decode()
    assert "America/New_York" in page


@pytest.mark.parametrize(
    "change, field",
    [
        ({"segment": "far_segment"}, "segment"),
        ({"template": "far_template"}, "template"),
        ({"template": "email_template"}, "template"),
        ({"when": "later", "send_at": ""}, "send_at"),
        ({"when": "later", "send_at": "2001-01-01T10:00"}, "send_at"),
        ({"name": ""}, "name"),
    ],
)
def test_a_new_campaign_with_a_wrong_choice_is_refused_and_nothing_is_saved(client, world, change, field):
    client.force_login(world["users"]["creator"])
    values = {
        "far_segment": world["segments"][world["far"]].id,
        "far_template": world["templates"][world["far"]].id,
        "email_template": world["email_template"].id,
    }
    data = {
        "name": "Spring offer",
        "segment": world["segments"][world["home"]].id,
        "channel": "sms",
        "template": world["templates"][world["home"]].id,
        "when": "now",
    }
    data.update({key: values.get(value, value) for key, value in change.items()})
    before = database_state()
    response = client.post(reverse("messaging:campaign_new"), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert database_state() == before


# Actions by role --------------------------------------------------------------------------------------

ACTION_NEEDS = {
    "submit": Status.DRAFT,
    "approve": Status.PENDING_APPROVAL,
    "send_back": Status.PENDING_APPROVAL,
    "pause": Status.SENDING,
    "resume": Status.PAUSED,
    "cancel": Status.SENDING,
}
ACTION_LEADS_TO = {
    "submit": Status.PENDING_APPROVAL,
    "approve": Status.SENDING,
    "send_back": Status.DRAFT,
    "pause": Status.PAUSED,
    "resume": Status.SENDING,
    "cancel": Status.CANCELLED,
}
ALLOWED = {
    "creator": {"submit", "pause", "resume", "cancel"},
    "approver": set(ACTION_NEEDS),
    "oem": set(ACTION_NEEDS),
}
FORBIDDEN_403 = {"regional"}  # sees the campaign, may not change it


@pytest.mark.parametrize("action", list(ACTION_NEEDS))
@pytest.mark.parametrize(
    "user_key",
    ["creator", "approver", "oem", "regional", "salesperson", "advisor", "call_centre", "far_manager"],
)
def test_each_role_may_do_only_what_it_is_allowed(client, world, user_key, action):
    campaign = campaign_make(world, status=ACTION_NEEDS[action])
    outbox_add(campaign, status="queued", count=2)
    client.force_login(world["users"][user_key])
    before = database_state()
    response = client.post(
        reverse(f"messaging:campaign_{action}", args=[campaign.id]), {"note": "Shorter, please"}
    )
    if action in ALLOWED.get(user_key, set()):
        assert response.status_code == 302
        assert status_of(campaign) == ACTION_LEADS_TO[action]
        return
    expected = 403 if user_key in FORBIDDEN_403 or user_key in ALLOWED else 404
    assert response.status_code == expected
    assert database_state() == before


def test_actions_answer_only_to_post(client, world):
    campaign = campaign_make(world)
    client.force_login(world["users"]["creator"])
    assert client.get(reverse("messaging:campaign_submit", args=[campaign.id])).status_code == 405
    assert status_of(campaign) == Status.DRAFT


# The approval flow through the pages ------------------------------------------------------------------


def page(client, campaign) -> str:
    response = client.get(reverse("messaging:campaign", args=[campaign.id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_approval_flow_through_the_pages(client, world):
    creator, approver = world["users"]["creator"], world["users"]["approver"]
    campaign = campaign_make(world)
    outbox_add(campaign, status="queued", count=3)

    client.force_login(creator)
    assert "Submit for approval" in page(client, campaign)
    client.post(reverse("messaging:campaign_submit", args=[campaign.id]))
    assert status_of(campaign) == Status.PENDING_APPROVAL
    # The creator cannot approve, and is told who can.
    body = page(client, campaign)
    assert 'id="approvers"' in body and "approver" in body and "Approve</button>" not in body
    before = database_state()
    assert client.post(reverse("messaging:campaign_approve", args=[campaign.id])).status_code == 403
    assert database_state() == before

    # Another manager sends it back with a note; sending back needs a note.
    client.force_login(approver)
    assert "Approve</button>" in page(client, campaign)
    response = client.post(reverse("messaging:campaign_send_back", args=[campaign.id]), {"note": ""})
    assert response.status_code == 302 and status_of(campaign) == Status.PENDING_APPROVAL
    client.post(reverse("messaging:campaign_send_back", args=[campaign.id]), {"note": "Add the price"})
    assert status_of(campaign) == Status.DRAFT

    client.force_login(creator)
    assert "Add the price" in page(client, campaign)
    client.post(reverse("messaging:campaign_submit", args=[campaign.id]))

    client.force_login(approver)
    client.post(reverse("messaging:campaign_approve", args=[campaign.id]))
    with network_wide(reason="test check"):
        approved = Campaign.objects.get(id=campaign.id)
    assert approved.status == Status.SENDING and approved.approved_by == approver
    assert 'hx-trigger="every 2s"' in page(client, campaign)

    client.post(reverse("messaging:campaign_pause", args=[campaign.id]))
    assert status_of(campaign) == Status.PAUSED
    assert "every 2s" not in page(client, campaign)
    client.post(reverse("messaging:campaign_resume", args=[campaign.id]))
    assert status_of(campaign) == Status.SENDING
    # Pausing twice is a state error shown in the page, not a crash.
    client.post(reverse("messaging:campaign_pause", args=[campaign.id]))
    response = client.post(reverse("messaging:campaign_pause", args=[campaign.id]), follow=True)
    assert "that cannot be done now" in response.content.decode()

    client.post(reverse("messaging:campaign_cancel", args=[campaign.id]))
    assert status_of(campaign) == Status.CANCELLED
    with network_wide(reason="test check"):
        assert set(OutboxMessage.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
            "cancelled"
        }
    body = page(client, campaign)
    assert "Cancel campaign" not in body and "every 2s" not in body


def test_a_cancel_asks_for_confirmation_first(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    client.force_login(world["users"]["creator"])
    body = page(client, campaign)
    # The header's button only opens the dialog; the dialog's form posts the cancel.
    assert 'data-bs-target="#cancel-campaign"' in body
    dialog = body[body.index('id="cancel-campaign"') :]
    assert reverse("messaging:campaign_cancel", args=[campaign.id]) in dialog


def test_a_regional_manager_reads_a_campaign_without_any_button(client, world):
    campaign = campaign_make(world, status=Status.PENDING_APPROVAL)
    client.force_login(world["users"]["regional"])
    body = page(client, campaign)
    for label in ("Approve</button>", "Submit for approval", "Cancel campaign", "Pause"):
        assert label not in body
    assert "Read only" in body


# Progress ---------------------------------------------------------------------------------------------


def fragment_counts(body: str) -> dict[str, int]:
    return {part: int(count) for part, count in re.findall(r'data-part="(\w+)" data-count="(\d+)"', body)}


def test_the_progress_fragment_shows_the_outbox_counts(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    customer = CustomerFactory(dealer=world["home"])
    arrangement = {
        ("delivered", ""): 7,
        ("sent", ""): 5,
        ("failed", ""): 2,
        ("uncertain", ""): 1,
        ("suppressed", "no_consent"): 4,
        ("suppressed", "frequency_cap"): 2,
        ("cancelled", ""): 1,
        ("queued", ""): 6,
        ("sending", ""): 2,
    }
    for (status, reason), count in arrangement.items():
        outbox_add(campaign, status=status, reason=reason, count=count)
    outbox_add(campaign, status="delivered", opted_out=True, customer=customer)
    with network_wide(reason="test arrange"):
        InboundMessage.objects.create(
            sender="+8613800000001",
            body="TD",
            received_at=timezone.now(),
            campaign=campaign,
            dealer=world["home"],
            is_opt_out=True,
        )
        Campaign.objects.filter(id=campaign.id).update(snapshot_done_at=timezone.now(), recipients=31)

    client.force_login(world["users"]["creator"])
    response = client.get(
        reverse("messaging:campaign_progress", args=[campaign.id]) + "?status=sending",
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    with network_wide(reason="test check"):
        outbox = dict(
            OutboxMessage.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id"))
        )
    counts = fragment_counts(body)
    for status in ("delivered", "sent", "failed", "uncertain", "suppressed", "cancelled"):
        assert counts[status] == outbox.get(status, 0), status
    assert counts["remaining"] == outbox["queued"] + outbox["sending"] == 8
    finished = sum(counts[s] for s in ("delivered", "sent", "failed", "uncertain", "suppressed", "cancelled"))
    assert finished == 23
    assert 'data-percent="74"' in body and "74%" in body  # 23 of 31
    assert "No consent for this channel <strong>4</strong>" in body
    assert "Frequency cap reached <strong>2</strong>" in body
    assert 'data-opt-outs="1"' in body and 'data-replies="1"' in body
    assert 'hx-trigger="every 2s"' in body
    assert 'id="latest-messages" hx-swap-oob="true"' in body  # the table moves with the bar
    shares = dict(re.findall(r'data-part="(\w+)" data-count="\d+".*?legend-share">([\d.]+)%', body))
    assert shares["delivered"] == "25.8"  # 8 of 31


def test_polling_stops_when_the_campaign_ends_and_a_status_change_reloads_the_page(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    outbox_add(campaign, status="delivered", count=3)
    client.force_login(world["users"]["creator"])
    url = reverse("messaging:campaign_progress", args=[campaign.id])
    with network_wide(reason="test arrange"):
        Campaign.objects.filter(id=campaign.id).update(
            status=Status.COMPLETED, snapshot_done_at=timezone.now(), recipients=3, finished_at=timezone.now()
        )
    response = client.get(url + "?status=sending", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    body = client.get(url + "?status=completed", headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in body and 'data-percent="100"' in body


def test_the_latest_messages_show_masked_recipients(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    outbox_add(campaign, status="failed", count=2)
    with network_wide(reason="test check"):
        numbers = list(OutboxMessage.objects.filter(campaign=campaign).values_list("recipient", flat=True))
    client.force_login(world["users"]["creator"])
    body = page(client, campaign)
    for number in numbers:
        assert number not in body and number[3:] not in body
        assert recipient_mask(number) in body
    assert "gateway said no" in body


def test_the_replies_page_lists_the_campaigns_replies(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    with network_wide(reason="test arrange"):
        InboundMessage.objects.create(
            sender="+8613812345678",
            body="多少钱？",
            received_at=timezone.now(),
            campaign=campaign,
            dealer=world["home"],
        )
    client.force_login(world["users"]["regional"])
    body = client.get(reverse("messaging:campaign_replies", args=[campaign.id])).content.decode()
    assert "多少钱？" in body and "+86 138****5678" in body and "13812345678" not in body
    client.force_login(world["users"]["far_manager"])
    assert client.get(reverse("messaging:campaign_replies", args=[campaign.id])).status_code == 404


@pytest.mark.parametrize(
    "value, masked",
    [
        ("+8613812345678", "+86 138****5678"),
        ("+14155550100", "+1 415***0100"),
        ("wang.li@example.cn", "wa***@example.cn"),
        ("12345", "***45"),
        ("0213456789", "021***6789"),
        ("", ""),
    ],
)
def test_recipient_mask(value, masked):
    assert recipient_mask(value) == masked


# Navigation ---------------------------------------------------------------------------------------------


def navigation_of(client, user) -> tuple[list[str], list[str]]:
    client.force_login(user)
    context = client.get(reverse("customers:search")).context
    return [str(i.label) for i in context["nav_items"]], [str(i.label) for i in context["nav_menu_items"]]


def _exists(name: str) -> bool:
    try:
        reverse(name)
        return True
    except NoReverseMatch:
        return False


def test_navigation_offers_campaigns_to_those_who_run_or_follow_them(client, world):
    library = [
        label
        for label, name in (
            ("Message templates", "messaging:templates"),
            ("Segments", "messaging:segments"),
            ("Care messages", "messaging:care"),
        )
        if _exists(name)
    ]
    for user_key in ("creator", "approver", "oem"):
        main, menu = navigation_of(client, world["users"][user_key])
        assert "Campaigns" in main, user_key
        assert set(library) <= set(menu), user_key
    main, menu = navigation_of(client, world["users"]["regional"])
    assert "Campaigns" in main and not set(library) & set(menu)
    for user_key in ("salesperson", "advisor", "call_centre"):
        main, menu = navigation_of(client, world["users"][user_key])
        assert "Campaigns" not in main and not set(library) & set(menu), user_key


def test_campaigns_is_the_active_header_item_on_campaign_pages(client, world):
    campaign = campaign_make(world)
    client.force_login(world["users"]["creator"])
    for url in (
        reverse("messaging:campaigns"),
        reverse("messaging:campaign_new"),
        reverse("messaging:campaign", args=[campaign.id]),
    ):
        active = [str(i.label) for i in client.get(url).context["nav_items"] if i.is_active]
        assert active == ["Campaigns"], url


def test_a_scheduled_campaign_shows_its_time_in_the_dealers_zone(client, world):
    campaign = campaign_make(world, status=Status.PENDING_APPROVAL)
    when = datetime(timezone.now().year + 1, 5, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with network_wide(reason="test arrange"):
        Campaign.objects.filter(id=campaign.id).update(scheduled_at=when)
    client.force_login(world["users"]["approver"])
    body = page(client, campaign)
    assert "Asia/Shanghai (UTC+08:00)" in body
    with timezone.override(ZoneInfo("Asia/Shanghai")):
        assert date_format(timezone.localtime(when), "SHORT_DATETIME_FORMAT") in body


def test_a_campaign_whose_author_left_still_shows(client, world):
    campaign = campaign_make(world, status=Status.SENDING)
    with network_wide(reason="test arrange"):
        Campaign.objects.filter(id=campaign.id).update(created_by=None)
    client.force_login(world["users"]["oem"])
    assert client.get(reverse("messaging:campaigns")).status_code == 200
    assert "Prepared by —" in page(client, campaign)


# Held messages, quiet hours, late receipts -------------------------------------------------------------


def _dealer_zone(world, zone: str) -> ZoneInfo:
    with network_wide(reason="test arrange"):
        world["home"].time_zone = zone
        world["home"].save(update_fields=["time_zone"])
    return ZoneInfo(zone)


def _hold(campaign, *, until, attempts: int, count: int = 1) -> None:
    outbox_add(campaign, status="queued", count=count)
    with network_wide(reason="test arrange"):
        held = OutboxMessage.objects.filter(campaign=campaign, status="queued", attempts=0).order_by("-id")
        OutboxMessage.objects.filter(id__in=list(held.values_list("id", flat=True)[:count])).update(
            scheduled_at=until, attempts=attempts, last_error="gateway 503" if attempts else ""
        )


def test_held_messages_say_why_and_until_which_date_and_time_in_the_dealers_zone(client, world):
    zone = _dealer_zone(world, "America/New_York")
    campaign = campaign_make(world, status=Status.SENDING)
    quiet_until = datetime(timezone.now().year + 1, 3, 3, 8, 0, tzinfo=zone)
    retry_at = timezone.now() + timezone.timedelta(minutes=20)
    _hold(campaign, until=quiet_until, attempts=0, count=2)
    _hold(campaign, until=retry_at, attempts=1)
    client.force_login(world["users"]["creator"])
    body = page(client, campaign)
    quiet = re.search(r'id="campaign-held-quiet">(.*?)</p>', body, re.S).group(1)
    retry = re.search(r'id="campaign-held-retry">(.*?)</p>', body, re.S).group(1)
    assert "2 messages wait for the end of the quiet hours" in quiet
    assert date_format(quiet_until, "SHORT_DATETIME_FORMAT") in quiet
    assert "1 message could not be handed to the gateway" in retry
    assert date_format(retry_at.astimezone(zone), "SHORT_DATETIME_FORMAT") in retry
    assert "quiet" not in retry and "gateway" not in quiet


def _new_campaign(world, *, send_at: str, template=None) -> dict:
    return {
        "name": "Night offer",
        "segment": world["segments"][world["home"]].id,
        "channel": "sms",
        "template": (template or world["templates"][world["home"]]).id,
        "when": "later",
        "send_at": send_at,
    }


def test_scheduling_marketing_in_the_quiet_hours_warns_and_says_when_it_really_starts(
    client, world, settings
):
    settings.MESSAGING_QUIET_HOURS = ("21:00", "08:00")
    zone = _dealer_zone(world, "America/New_York")
    year = timezone.now().year + 1
    client.force_login(world["users"]["creator"])
    starts = date_format(datetime(year, 3, 3, 8, 0, tzinfo=zone), "SHORT_DATETIME_FORMAT")

    redrawn = client.get(
        reverse("messaging:campaign_new"),
        _new_campaign(world, send_at=f"{year}-03-02T22:30"),
        headers={"HX-Request": "true"},
    ).content.decode()
    warning = re.search(r'id="quiet-hours-warning".*?</div>\s*</div>', redrawn, re.S).group(0)
    assert "quiet hours (21:00–08:00" in warning and starts in warning

    daytime = client.get(
        reverse("messaging:campaign_new"),
        _new_campaign(world, send_at=f"{year}-03-02T10:30"),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert starts not in daytime and "alert-warning" not in daytime

    # A warning, not a refusal: the draft is saved and its page says when it will start.
    response = client.post(
        reverse("messaging:campaign_new"), _new_campaign(world, send_at=f"{year}-03-02T22:30")
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        campaign = Campaign.objects.get(name="Night offer")
    assert campaign.scheduled_at == datetime(year, 3, 2, 22, 30, tzinfo=zone)
    notice = re.search(r'id="campaign-quiet-start">(.*?)</div>', page(client, campaign), re.S).group(1)
    assert starts in notice


def test_a_service_message_in_the_quiet_hours_gets_no_warning(client, world, settings):
    settings.MESSAGING_QUIET_HOURS = ("21:00", "08:00")
    with network_wide(reason="test arrange"):
        service = MessageTemplate.objects.create(
            dealer=world["home"], name="Recall", channel="sms", purpose="service", body_en="Recall notice"
        )
    client.force_login(world["users"]["creator"])
    year = timezone.now().year + 1
    body = client.get(
        reverse("messaging:campaign_new"),
        _new_campaign(world, send_at=f"{year}-03-02T22:30", template=service),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "alert-warning" not in body and "quiet hours" not in body


def _ended_with(world, statuses: dict[str, int]) -> Campaign:
    from crm.messaging.services.campaigns import campaigns_finish

    campaign = campaign_make(world, status=Status.SENDING)
    for status, count in statuses.items():
        outbox_add(campaign, status=status, count=count)
    with network_wide(reason="test arrange"):
        Campaign.objects.filter(id=campaign.id).update(
            snapshot_done_at=timezone.now(), recipients=sum(statuses.values())
        )
    assert campaigns_finish() == [campaign.id]
    return campaign


def _keys(campaign) -> list[str]:
    with network_wide(reason="test arrange"):
        return list(
            OutboxMessage.objects.filter(campaign=campaign)
            .order_by("id")
            .values_list("idempotency_key", flat=True)
        )


def test_the_list_shows_receipts_that_arrive_after_the_campaign_ended(client, world):
    from crm.messaging.services.campaigns import campaign_summaries_refresh
    from crm.messaging.services.replies import receipt_record

    campaign = _ended_with(world, {"sent": 4})
    client.force_login(world["users"]["creator"])
    (row,) = client.get(reverse("messaging:campaigns")).context["campaigns"]
    assert (row.bar["good"], row.bar["bad"]) == ("100.00", "0.00")

    first, second, *_rest = _keys(campaign)
    receipt_record(provider_message_id="SM1", idempotency_key=first, status="failed", error="absent")
    receipt_record(provider_message_id="SM2", idempotency_key=second, status="delivered")
    with network_wide(reason="test check"):
        assert Campaign.objects.get(id=campaign.id).summary_stale
    assert campaign_summaries_refresh() == [campaign.id]
    assert campaign_summaries_refresh() == []  # nothing changed since

    with network_wide(reason="test check"):
        ended = Campaign.objects.get(id=campaign.id)
    assert (ended.summary, ended.summary_stale) == ({"sent": 2, "delivered": 1, "failed": 1}, False)
    (row,) = client.get(reverse("messaging:campaigns")).context["campaigns"]
    assert (row.bar["good"], row.bar["bad"]) == ("75.00", "25.00")


def test_a_receipt_for_a_campaign_still_sending_leaves_the_list_to_count_live(world):
    from crm.messaging.services.replies import receipt_record

    campaign = campaign_make(world, status=Status.SENDING)
    outbox_add(campaign, status="sent", count=2)
    receipt_record(provider_message_id="SM1", idempotency_key=_keys(campaign)[0], status="delivered")
    with network_wide(reason="test check"):
        assert Campaign.objects.filter(id=campaign.id, summary__isnull=True, summary_stale=False).exists()


def test_a_cancel_with_messages_in_flight_is_counted_again_once_they_are_done(world):
    from crm.messaging.services.campaigns import campaign_cancel, campaign_summaries_refresh

    campaign = campaign_make(world, status=Status.SENDING)
    outbox_add(campaign, status="sent", count=1)
    outbox_add(campaign, status="sending", count=1)
    outbox_add(campaign, status="queued", count=1)
    with network_wide(reason="test"):
        campaign_cancel(campaign=campaign, by=world["users"]["creator"])
        cancelled = Campaign.objects.get(id=campaign.id)
    assert cancelled.summary == {"sent": 1, "sending": 1, "cancelled": 1} and cancelled.summary_stale
    assert campaign_summaries_refresh() == [campaign.id]  # still in flight: stays stale
    with network_wide(reason="test arrange: the send in flight ends"):
        OutboxMessage.objects.filter(campaign=campaign, status="sending").update(status="sent")
    campaign_summaries_refresh()
    with network_wide(reason="test check"):
        cancelled = Campaign.objects.get(id=campaign.id)
    assert (cancelled.summary, cancelled.summary_stale) == ({"sent": 2, "cancelled": 1}, False)


# Chinese words --------------------------------------------------------------------------------------------


def test_in_chinese_a_delivered_message_reaches_its_recipient_and_a_delivered_lead_hands_over_a_car(
    client, world
):
    from django.utils import translation

    from crm.network.models import StaffProfile
    from leads.models import Stage

    campaign = campaign_make(world, status=Status.SENDING)
    outbox_add(campaign, status="delivered", count=2)
    with network_wide(reason="test arrange"):
        StaffProfile.objects.filter(user=world["users"]["creator"]).update(language="zh-hans")
        InboundMessage.objects.create(
            sender="+8613800000001",
            body="好的",
            received_at=timezone.now(),
            campaign=campaign,
            dealer=world["home"],
        )
    client.force_login(world["users"]["creator"])
    body = page(client, campaign)
    assert "已送达" in body and "已交车" not in body
    assert "<th>收件人</th>" in body and "截止日期" not in body
    replies = client.get(reverse("messaging:campaign_replies", args=[campaign.id])).content.decode()
    assert "<th>发件人</th>" in replies and "起始日期" not in replies
    with translation.override("zh-hans"):
        assert str(Stage.DELIVERED.label) == "已交车"
        assert str(OutboxMessage.Status.DELIVERED.label) == "已送达"
    templates = client.get(reverse("messaging:templates")).content.decode()
    assert '<th scope="col">所属</th>' in templates and "负责人" not in templates
