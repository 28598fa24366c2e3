"""The message library pages: templates (list, editor, validation, preview with a real customer) and care
messages. Who may open them, that another dealer's rows are missing (404) and stay unchanged, and that the
lists cost a fixed number of queries."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.core.exceptions import PermissionDenied
from crm.core.scope import network_wide, scoped
from crm.messaging.models import Campaign, CareProgram, MessageTemplate
from crm.messaging.services import library as services
from crm.network.access import access_for
from tests.messaging.library_world import build_world, client_for, library_state, queries_for, template_add

pytestmark = pytest.mark.django_db

LIST_ROUTES = ["messaging:templates", "messaging:template_new", "messaging:care", "messaging:care_new"]
NOT_MANAGERS = ["salesperson", "advisor", "regional", "agent"]


@pytest.fixture
def world():
    return build_world()


def as_user(user):
    return scoped(access_for(user).scope)


def template_form(**fields) -> dict:
    data = {
        "name": "Spring offer",
        "channel": "sms",
        "purpose": "marketing",
        "subject_en": "",
        "body_en": "Hi {{ customer.name }}, spring service at {{ dealer.name }}.",
        "subject_zh": "",
        "body_zh": "{{ customer.name }}您好，{{ dealer.name }}春季保养。",
        "is_active": "on",
    }
    data.update(fields)
    return data


def reload(row):
    with network_wide(reason="test check"):
        return type(row).objects.get(pk=row.pk)


# Who may open the pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_people_who_do_not_manage_messaging_are_refused_everywhere(world, role):
    client = client_for(world["people"][role])
    before = library_state()
    urls = [reverse(name) for name in LIST_ROUTES] + [
        reverse("messaging:template_edit", args=[world["templates"]["home"].id]),
        reverse("messaging:template_preview"),
        reverse("messaging:template_preview_customers") + "?q=王",
        reverse("messaging:care_edit", args=[world["care"]["home"].id]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    response = client.post(reverse("messaging:template_new"), template_form())
    assert response.status_code == 403
    response = client.post(
        reverse("messaging:template_edit", args=[world["templates"]["home"].id]),
        template_form(name="Hijacked"),
    )
    assert response.status_code == 403
    assert library_state() == before


@pytest.mark.parametrize("role", ["manager", "admin", "oem"])
def test_managers_and_oem_admins_open_every_library_page(world, role):
    client = client_for(world["people"][role])
    for name in LIST_ROUTES:
        assert client.get(reverse(name)).status_code == 200, name
    assert (
        client.get(reverse("messaging:template_edit", args=[world["templates"]["home"].id])).status_code
        == 200
    )
    assert client.get(reverse("messaging:care_edit", args=[world["care"]["home"].id])).status_code == 200


def test_anonymous_visitors_are_sent_to_sign_in(world):
    for name in ("messaging:templates", "messaging:segments", "messaging:care"):
        response = Client().get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


# Template list -------------------------------------------------------------------------------------------


def test_template_list_shows_own_and_oem_templates_never_another_dealers(world):
    page = client_for(world["people"]["manager"]).get(reverse("messaging:templates")).content.decode()
    assert "Home spring SMS" in page and "Home newsletter" in page and "OEM birthday wish" in page
    assert "Far secret offer" not in page


def test_template_list_filters_by_channel_and_name(world):
    client = client_for(world["people"]["manager"])
    page = client.get(reverse("messaging:templates"), {"channel": "email"}).content.decode()
    assert "Home newsletter" in page and "Home spring SMS" not in page
    page = client.get(reverse("messaging:templates"), {"q": "spring"}).content.decode()
    assert "Home spring SMS" in page and "Home newsletter" not in page


def test_oem_admin_sees_every_dealers_templates(world):
    page = client_for(world["people"]["oem"]).get(reverse("messaging:templates")).content.decode()
    assert "Far secret offer" in page and "Home spring SMS" in page


def test_template_list_costs_the_same_queries_however_many_rows(world, django_assert_max_num_queries):
    client = client_for(world["people"]["oem"])
    baseline = queries_for(client, reverse("messaging:templates"))
    for number in range(30):
        template_add(dealer=world["home"] if number % 2 else None, name=f"Bulk {number}")
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("messaging:templates"))
    assert response.status_code == 200 and "Bulk 29" in response.content.decode()


# Creating and editing templates ------------------------------------------------------------------------


def test_a_manager_creates_a_template_for_their_dealer(world):
    response = client_for(world["people"]["manager"]).post(reverse("messaging:template_new"), template_form())
    assert response.status_code == 302
    with network_wide(reason="test check"):
        created = MessageTemplate.objects.get(name="Spring offer")
    assert created.dealer_id == world["home"].id
    assert created.created_by == world["people"]["manager"]
    assert created.subject_en == ""  # an SMS has no subject


def test_an_unknown_placeholder_is_a_form_error_naming_it(world):
    before = library_state()
    response = client_for(world["people"]["manager"]).post(
        reverse("messaging:template_new"),
        template_form(
            body_en="Hi {{ customer.nickname }} from {{ dealer.name }}", body_zh="{{ car.colour }}"
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "customer.nickname" in page and "car.colour" in page
    assert "is-invalid" in page
    assert library_state() == before


def test_a_template_needs_a_message_in_at_least_one_language(world):
    before = library_state()
    response = client_for(world["people"]["manager"]).post(
        reverse("messaging:template_new"), template_form(body_en="  ", body_zh="")
    )
    assert "Write the message in English, Chinese or both." in response.content.decode()
    assert library_state() == before


def test_one_language_is_enough(world):
    response = client_for(world["people"]["manager"]).post(
        reverse("messaging:template_new"), template_form(body_en="")
    )
    assert response.status_code == 302


def test_an_email_needs_a_subject_in_each_language_it_is_written_in(world):
    client = client_for(world["people"]["manager"])
    before = library_state()
    response = client.post(
        reverse("messaging:template_new"), template_form(channel="email", subject_en="Spring", subject_zh="")
    )
    assert "An email needs a subject." in response.content.decode()
    assert library_state() == before
    response = client.post(
        reverse("messaging:template_new"),
        template_form(channel="email", subject_en="Spring", subject_zh="春季"),
    )
    assert response.status_code == 302


def test_only_oem_admins_create_oem_templates(world):
    with as_user(world["people"]["manager"]), pytest.raises(PermissionDenied):
        services.template_create(
            by=world["people"]["manager"],
            dealer_id=None,
            name="x",
            channel="sms",
            purpose="service",
            body_en="x",
        )
    response = client_for(world["people"]["oem"]).post(
        reverse("messaging:template_new"), template_form(name="Network recall", dealer="")
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert MessageTemplate.objects.get(name="Network recall").dealer_id is None


def test_a_manager_of_several_dealers_picks_the_owner_among_their_own(world):
    client = client_for(world["people"]["multi"])
    page = client.get(reverse("messaging:template_new")).content.decode()
    assert "Second Motors" in page and "Far Motors" not in page
    before = library_state()
    response = client.post(reverse("messaging:template_new"), template_form(dealer=str(world["far"].id)))
    assert response.status_code == 200 and library_state() == before
    response = client.post(reverse("messaging:template_new"), template_form(dealer=str(world["second"].id)))
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert MessageTemplate.objects.get(name="Spring offer").dealer_id == world["second"].id


def test_a_manager_edits_their_dealers_template(world):
    template = world["templates"]["home"]
    client = client_for(world["people"]["manager"])
    loaded_at = reload(template).updated_at.isoformat()
    response = client.post(
        reverse("messaging:template_edit", args=[template.id]),
        template_form(name="Renamed", loaded_at=loaded_at),
    )
    assert response.status_code == 302
    template = reload(template)
    assert template.name == "Renamed" and template.dealer_id == world["home"].id


def test_an_edit_over_someone_elses_newer_edit_is_refused(world):
    template = world["templates"]["home"]
    client = client_for(world["people"]["manager"])
    stale = reload(template).updated_at.isoformat()
    client.post(
        reverse("messaging:template_edit", args=[template.id]), template_form(name="First", loaded_at=stale)
    )
    response = client.post(
        reverse("messaging:template_edit", args=[template.id]), template_form(name="Second", loaded_at=stale)
    )
    assert response.status_code == 200 and "Someone else changed" in response.content.decode()
    assert reload(template).name == "First"


def test_dealers_preview_oem_templates_but_never_change_them(world):
    template = world["templates"]["oem"]
    client = client_for(world["people"]["manager"])
    page = client.get(reverse("messaging:template_edit", args=[template.id])).content.decode()
    assert "OEM birthday wish" in page and "disabled" in page and "Copy to a new template" in page
    before = library_state()
    response = client.post(
        reverse("messaging:template_edit", args=[template.id]), template_form(name="Hijacked")
    )
    assert response.status_code == 403
    assert library_state() == before
    response = client_for(world["people"]["oem"]).post(
        reverse("messaging:template_edit", args=[template.id]), template_form(name="OEM wish v2")
    )
    assert response.status_code == 302 and reload(template).name == "OEM wish v2"


def test_copying_an_oem_template_starts_a_dealer_template_from_it(world):
    template = world["templates"]["oem"]
    page = (
        client_for(world["people"]["manager"])
        .get(reverse("messaging:template_new"), {"copy": template.id})
        .content.decode()
    )
    assert "Copy of OEM birthday wish" in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_dealers_template_is_missing_and_unchanged(world, method):
    template = world["templates"]["far"]
    before = library_state()
    client = client_for(world["people"]["manager"])
    url = reverse("messaging:template_edit", args=[template.id])
    response = getattr(client, method)(url, template_form(name="Hijacked") if method == "post" else None)
    assert response.status_code == 404
    assert client.get(reverse("messaging:template_new"), {"copy": template.id}).status_code == 404
    assert library_state() == before


def test_a_template_awaiting_approval_keeps_its_text(world):
    template = world["templates"]["home"]
    with network_wide(reason="test arrange"):
        Campaign.objects.create(
            dealer=world["home"],
            name="Approved spring",
            segment=world["segments"]["home"],
            template=template,
            channel="sms",
            purpose="marketing",
            status=Campaign.Status.PENDING_APPROVAL,
        )
    client = client_for(world["people"]["manager"])
    response = client.post(
        reverse("messaging:template_edit", args=[template.id]),
        template_form(body_en="Changed {{ customer.name }}"),
    )
    assert "waiting for approval or sending uses this template" in response.content.decode()
    assert reload(template).body_en == "Hello {{ customer.name }}, {{ dealer.name }} has news."
    current = reload(template)
    response = client.post(
        reverse("messaging:template_edit", args=[template.id]),
        template_form(
            name="Renamed only",
            body_en=current.body_en,
            body_zh=current.body_zh,
            loaded_at=current.updated_at.isoformat(),
        ),
    )
    assert response.status_code == 302 and reload(template).name == "Renamed only"


def test_the_editor_offers_the_placeholder_vocabulary(world):
    page = client_for(world["people"]["manager"]).get(reverse("messaging:template_new")).content.decode()
    for name in ("customer.name", "vehicle.plate", "dealer.phone", "salesperson.name"):
        assert f'data-insert="{name}"' in page


# Preview -----------------------------------------------------------------------------------------------


def preview(client, customer_id, **fields):
    data = template_form(**fields)
    data["customer"] = customer_id
    return client.post(reverse("messaging:template_preview"), data)


def test_preview_renders_both_languages_for_a_real_customer(world):
    client = client_for(world["people"]["manager"])
    page = preview(
        client,
        world["wang"].id,
        body_en="Hi {{ customer.name }}, your {{ vehicle.model }} ({{ vehicle.plate }}) — {{ dealer.name }}",
        body_zh="{{ customer.name }}您好，您的{{ vehicle.model }}（{{ vehicle.plate }}）— {{ dealer.name }}",
    ).content.decode()
    assert "Hi 王伟, your A6 (沪A12345) — Home Motors" in page
    assert "王伟您好，您的A6（沪A12345）— Home Motors" in page
    assert "SMS" in page and "characters" in page
    assert "{{" not in page


def test_preview_counts_sms_parts(world):
    client = client_for(world["people"]["manager"])
    page = preview(client, world["li"].id, body_en="x" * 200, body_zh="长" * 80).content.decode()
    assert "200 characters · 2 SMS" in page
    assert "80 characters · 2 SMS" in page


def test_preview_names_the_data_a_customer_is_missing_never_a_blank(world):
    client = client_for(world["people"]["manager"])
    response = preview(
        client,
        world["li"].id,
        body_en="Your {{ vehicle.plate }} is due",
        body_zh="您的{{ vehicle.plate }}该保养了",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-missing="vehicle.plate"' in page
    assert "its number plate" in page
    assert "Your  is due" not in page and "Your is due" not in page


def test_preview_of_a_salesperson_placeholder_without_an_open_lead_is_an_error(world):
    page = preview(
        client_for(world["people"]["manager"]), world["wang"].id, body_en="{{ salesperson.name }}", body_zh=""
    ).content.decode()
    assert 'data-missing="salesperson.name"' in page


def test_preview_of_unknown_placeholders_says_so(world):
    page = preview(
        client_for(world["people"]["manager"]), world["wang"].id, body_en="{{ customer.nickname }}"
    ).content.decode()
    assert "customer.nickname" in page and "not placeholders" in page


def test_preview_of_a_marketing_email_shows_html_and_the_unsubscribe_link(world):
    page = preview(
        client_for(world["people"]["manager"]),
        world["wang"].id,
        channel="email",
        subject_en="Spring for {{ customer.name }}",
        subject_zh="春季",
        body_en="Dear {{ customer.name }} & family,\n\nSee you soon.",
    ).content.decode()
    assert "Spring for 王伟" in page
    assert "<p>Dear 王伟 &amp; family,</p>" in page
    assert "/m/u/" in page  # the one-click unsubscribe link is added to marketing email


def test_a_saved_template_previews_by_get_for_read_only_viewers(world):
    response = client_for(world["people"]["manager"]).get(
        reverse("messaging:template_preview"),
        {"template": world["templates"]["oem"].id, "customer": world["wang"].id},
    )
    assert "王伟您好，Home Motors有新消息。" in response.content.decode()


def test_preview_never_shows_another_dealers_customer_or_template(world):
    client = client_for(world["people"]["manager"])
    page = preview(client, world["stranger"].id, body_en="{{ customer.name }}").content.decode()
    assert "Far Stranger" not in page and "cannot be found" in page
    response = client.get(
        reverse("messaging:template_preview"),
        {"template": world["templates"]["far"].id, "customer": world["wang"].id},
    )
    assert response.status_code == 404


def test_preview_customer_search_finds_only_customers_the_user_sees(world):
    client = client_for(world["people"]["manager"])
    page = client.get(reverse("messaging:template_preview_customers"), {"q": "13800000001"}).content.decode()
    assert "王伟" in page and f'data-preview-customer="{world["wang"].id}"' in page
    page = client.get(reverse("messaging:template_preview_customers"), {"q": "Far"}).content.decode()
    assert "Far Stranger" not in page
    page = client.get(reverse("messaging:template_preview_customers"), {"q": "13900000003"}).content.decode()
    assert "Far Stranger" not in page


def test_preview_without_a_customer_asks_to_pick_one(world):
    page = (
        client_for(world["people"]["manager"])
        .post(reverse("messaging:template_preview"), template_form())
        .content.decode()
    )
    assert "Pick a customer" in page


# Care messages -----------------------------------------------------------------------------------------


def care_form(world, **fields) -> dict:
    data = {
        "trigger": "purchase_anniversary",
        "template": str(world["templates"]["home"].id),
        "send_hour": "9",
        "is_active": "on",
    }
    data.update(fields)
    return data


def test_a_manager_creates_a_care_message_for_their_dealer(world):
    response = client_for(world["people"]["manager"]).post(reverse("messaging:care_new"), care_form(world))
    assert response.status_code == 302
    with network_wide(reason="test check"):
        program = CareProgram.objects.get(trigger="purchase_anniversary")
    assert (program.dealer_id, program.send_hour, program.template_id) == (
        world["home"].id,
        9,
        world["templates"]["home"].id,
    )


def test_a_care_message_may_use_an_oem_template_never_another_dealers(world):
    client = client_for(world["people"]["manager"])
    response = client.post(
        reverse("messaging:care_new"), care_form(world, template=str(world["templates"]["oem"].id))
    )
    assert response.status_code == 302
    before = library_state()
    response = client.post(
        reverse("messaging:care_new"), care_form(world, template=str(world["templates"]["far"].id))
    )
    assert response.status_code == 200 and library_state() == before


def test_a_care_message_needs_a_known_occasion_and_an_hour_of_the_day(world):
    before = library_state()
    client = client_for(world["people"]["manager"])
    client.post(reverse("messaging:care_new"), care_form(world, trigger="wedding"))
    client.post(reverse("messaging:care_new"), care_form(world, send_hour="24"))
    assert library_state() == before


def test_the_care_list_shows_own_programmes_only(world):
    page = client_for(world["people"]["manager"]).get(reverse("messaging:care")).content.decode()
    assert "Home spring SMS" in page and "Far secret offer" not in page
    assert "Birthday" in page


def test_a_manager_edits_their_care_message(world):
    program = world["care"]["home"]
    response = client_for(world["people"]["manager"]).post(
        reverse("messaging:care_edit", args=[program.id]), care_form(world, trigger="birthday", send_hour="8")
    )
    assert response.status_code == 302
    program = reload(program)
    assert program.send_hour == 8 and program.dealer_id == world["home"].id


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_dealers_care_message_is_missing_and_unchanged(world, method):
    before = library_state()
    client = client_for(world["people"]["manager"])
    url = reverse("messaging:care_edit", args=[world["care"]["far"].id])
    response = getattr(client, method)(url, care_form(world) if method == "post" else None)
    assert response.status_code == 404
    assert library_state() == before


def test_only_oem_admins_create_network_care_messages(world):
    with as_user(world["people"]["manager"]), pytest.raises(PermissionDenied):
        services.care_program_save(
            by=world["people"]["manager"],
            dealer_id=None,
            trigger="birthday",
            template=world["templates"]["oem"],
            send_hour=10,
        )
    response = client_for(world["people"]["oem"]).post(
        reverse("messaging:care_new"), care_form(world, dealer="", template=str(world["templates"]["oem"].id))
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        assert CareProgram.objects.filter(dealer__isnull=True).count() == 1


def test_care_list_costs_the_same_queries_however_many_rows(world, django_assert_max_num_queries):
    client = client_for(world["people"]["oem"])
    baseline = queries_for(client, reverse("messaging:care"))
    with network_wide(reason="test arrange"):
        for hour in range(20):
            CareProgram.objects.create(
                dealer=world["home"], trigger="birthday", template=world["templates"]["home"], send_hour=hour
            )
    with django_assert_max_num_queries(baseline):
        response = client.get(reverse("messaging:care"))
    assert response.status_code == 200
