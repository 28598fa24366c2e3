"""Placeholders: anything that looks like one is either the vocabulary's, written as listed, or refused by
name (in the editor, the service, at submission and again for each recipient), so literal braces never
reach a customer. And the HTML part of an email makes its links links."""

import pytest
from django.urls import reverse

from crm.core.scope import network_wide
from crm.messaging.exceptions import CampaignStateError, FieldInvalid, PlaceholderUnknown, TemplateInvalid
from crm.messaging.models import Campaign, MessageTemplate, OutboxMessage, Segment
from crm.messaging.services.campaigns import (
    campaign_approve,
    campaign_create,
    campaign_snapshot_batch,
    campaign_submit,
)
from crm.messaging.services.library import template_create
from crm.messaging.services.rendering import message_render, placeholder_problems, render
from tests.factories import DealerFactory, campaign_running, customer_with, managers, template_make
from tests.messaging.library_world import build_world, client_for, library_state

VALUES = {"customer.name": "王伟", "dealer.name": "Pudong 4S"}


@pytest.mark.parametrize(
    "written",
    [
        "{{ Customer.Name }}",
        "{{ vehicle.VIN }}",
        "{{ x-y }}",
        "{{ vehicle.vin2 }}",
        "{{ customer }}",
        "{{ customer.name.first }}",
        "{{}}",
        "{{ customer.nickname }}",
    ],
)
def test_anything_in_double_braces_that_is_not_the_vocabulary_is_a_problem_named_as_written(written):
    problems = placeholder_problems(f"Hello {written}, see you soon")
    assert [problem.text for problem in problems] == [written]


@pytest.mark.parametrize(
    "text", ["{{customer.name}}", "{{ customer.name }}", "{{   customer.name\t}}", "{{\ncustomer.name\n}}"]
)
def test_spaces_inside_the_braces_are_free(text):
    assert placeholder_problems(text) == []
    assert render(subject="", body=f"Hi {text}!", values=VALUES, html=False).body_text == "Hi 王伟!"


@pytest.mark.parametrize(
    ("text", "quoted", "unmatched"),
    [
        ("Hi {{ customer.name, welcome", "{{ customer.name, welcom", "{{"),
        ("Hi customer.name }} welcome", "Hi customer.name }}", "}}"),
        ("{{ customer.name }} }}", "{{ customer.name }} }}", "}}"),
        ("Hi {{ customer.name }}\n{{ dealer", "{{ dealer", "{{"),
    ],
)
def test_an_unmatched_brace_is_a_problem_quoted_with_its_neighbours(text, quoted, unmatched):
    [problem] = placeholder_problems(text)
    assert (problem.text, problem.unmatched) == (quoted, unmatched)


def test_a_pair_holding_another_opening_brace_is_one_problem():
    [problem] = placeholder_problems("{{ {{ customer.name }}")
    assert problem.text == "{{ {{ customer.name }}"


def test_a_likely_meaning_is_suggested():
    [capital] = placeholder_problems("{{ Customer.Name }}")
    [vin] = placeholder_problems("{{ vehicle.VIN }}")
    [nonsense] = placeholder_problems("{{ x-y }}")
    assert capital.suggestion == "customer.name"
    assert "did you mean {{ customer.name }}" in capital.describe()
    assert vin.suggestion == "vehicle.vin_tail"
    assert nonsense.suggestion == ""


@pytest.mark.parametrize("body", ["Hi {{ Customer.Name }}", "Hi {{ customer.name", "Hi }}", "{{ x-y }}"])
def test_rendering_refuses_anything_that_would_leave_braces_in_the_message(body):
    with pytest.raises(PlaceholderUnknown):
        render(subject="", body=body, values=VALUES, html=True)


def test_a_link_placeholder_is_a_real_link_in_the_html_part_and_plain_in_the_text():
    rendered = render(
        subject="Offer",
        body="Hello {{ customer.name }}\n\nMore: {{ occasion.link }}",
        values={**VALUES, "occasion.link": "https://crm.example.com/x?a=1&b=2"},
        html=True,
    )
    assert '<a href="https://crm.example.com/x?a=1&amp;b=2">https://crm.example.com/x?a=1&amp;b=2</a>' in (
        rendered.body_html
    )
    assert rendered.body_text.endswith("More: https://crm.example.com/x?a=1&b=2")


def test_a_link_placeholder_that_is_not_a_web_address_stays_text():
    rendered = render(
        subject="", body="{{ occasion.link }}", values={"occasion.link": "javascript:alert(1)"}, html=True
    )
    assert "<a " not in rendered.body_html


def test_the_unsubscribe_link_of_a_marketing_email_is_a_link_in_its_html(settings):
    settings.SITE_URL = "https://crm.example.com"
    template = MessageTemplate(channel="email", purpose="marketing", subject_en="Hi", body_en="Spring offer")
    _subject, text, html = message_render(
        template=template,
        language="en",
        values={},
        idempotency_key="campaign:1:customer:2",
        channel="email",
        purpose="marketing",
    )
    url = text.rsplit(" ", 1)[-1]
    assert url.startswith("https://crm.example.com/m/u/")
    assert f'<a href="{url}">{url}</a>' in html


def test_a_field_error_keeps_its_message_and_names_its_field():
    error = TemplateInvalid("Give the template a name.", field="name")
    assert isinstance(error, FieldInvalid)
    assert (str(error.message), error.field, error.extra) == (
        "Give the template a name.",
        "name",
        {"field": "name"},
    )
    assert str(TemplateInvalid(field="body_en").message) == "This template cannot be saved."


# The editor and the service ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "text", "named"),
    [
        ("body_en", "Hi {{ Customer.Name }}", "{{ Customer.Name }}"),
        ("body_en", "VIN {{ vehicle.VIN }}", "{{ vehicle.VIN }}"),
        ("body_zh", "{{ x-y }}您好", "{{ x-y }}"),
        ("body_zh", "{{ customer.name 您好", "{{ customer.name 您好"),
        ("body_en", "Hi customer.name }}", "Hi customer.name }}"),
    ],
)
def test_the_editor_refuses_what_only_looks_like_a_placeholder_beside_its_field(field, text, named):
    world = build_world()
    before = library_state()
    data = {
        "name": "Spring offer",
        "channel": "sms",
        "purpose": "marketing",
        "body_en": "Hi {{ customer.name }}",
        "body_zh": "{{ customer.name }}您好",
        "is_active": "on",
        field: text,
    }
    response = client_for(world["people"]["manager"]).post(reverse("messaging:template_new"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert named.replace("“", "") in page.replace("&quot;", '"')
    assert f'id="id_{field}"' in page and "is-invalid" in page
    assert library_state() == before


@pytest.mark.django_db
def test_the_service_refuses_it_too_on_the_field_it_is_in():
    dealer = DealerFactory()
    manager, _admin = managers(dealer)
    with pytest.raises(PlaceholderUnknown) as refused:
        template_create(
            by=manager,
            dealer_id=dealer.id,
            name="Bad",
            channel="sms",
            purpose="marketing",
            body_en="Hi {{ customer.name }}",
            body_zh="{{ Customer.Name }}您好",
        )
    assert refused.value.field == "body_zh"
    assert refused.value.names == ["{{ Customer.Name }}"]
    with network_wide(reason="test check"):
        assert not MessageTemplate.objects.filter(name="Bad").exists()


# A template saved before the rule ---------------------------------------------------------------------


def _template_gone_bad(template: MessageTemplate) -> None:
    with network_wide(reason="test: a template saved before placeholders were checked"):
        MessageTemplate.objects.filter(id=template.id).update(body_zh="{{ Customer.Name }}您好", body_en="")


@pytest.mark.django_db
def test_a_campaign_with_such_a_template_cannot_be_submitted_or_approved():
    dealer = DealerFactory()
    creator, approver = managers(dealer)
    template = template_make(dealer=dealer)
    with network_wide(reason="test"):
        segment = Segment.objects.create(dealer=dealer, name="all")
        campaign = campaign_create(
            by=creator, name="Old", segment=segment, template=template, scheduled_at=None
        )
    _template_gone_bad(template)
    with network_wide(reason="test"), pytest.raises(PlaceholderUnknown):
        campaign_submit(campaign=campaign, by=creator)
    with network_wide(reason="test"):
        Campaign.objects.filter(id=campaign.id).update(status=Campaign.Status.PENDING_APPROVAL)
        campaign.refresh_from_db()
    with network_wide(reason="test"), pytest.raises(PlaceholderUnknown):
        campaign_approve(campaign=campaign, by=approver)
    with network_wide(reason="test check"):
        assert Campaign.objects.get(id=campaign.id).status == Campaign.Status.PENDING_APPROVAL
    assert not issubclass(PlaceholderUnknown, CampaignStateError)


@pytest.mark.django_db(transaction=True)
def test_a_running_campaign_whose_template_went_bad_suppresses_instead_of_sending_braces():
    dealer = DealerFactory()
    customers = [customer_with(dealer) for _ in range(3)]
    template = template_make(dealer=dealer)
    with network_wide(reason="test"):
        campaign = campaign_running(dealer=dealer, template=template)
    _template_gone_bad(template)
    while not campaign_snapshot_batch(campaign_id=campaign.id):
        pass
    with network_wide(reason="test check"):
        messages = list(OutboxMessage.objects.filter(campaign=campaign))
    assert sorted(m.customer_id for m in messages) == sorted(c.id for c in customers)
    assert {(m.status, m.reason) for m in messages} == {
        (OutboxMessage.Status.SUPPRESSED, OutboxMessage.Reason.UNKNOWN_PLACEHOLDER)
    }
    assert all("{{" not in m.body_text and "}}" not in m.body_text for m in messages)
    assert all("Customer.Name" in m.last_error for m in messages)
