"""Timeline entries store codes ("opt_in", "sale"); each reads in the reader's words and language."""

from types import SimpleNamespace

from django.utils import translation

from crm.customers import events
from crm.timeline.registry import event_summary


def summary(event_kind: str, language: str, **data) -> str:
    with translation.override(language):
        return event_summary(SimpleNamespace(kind=event_kind, data=data))


def test_a_consent_entry_shows_channel_purpose_status_and_source_in_words():
    data = {"channel": "sms", "purpose": "service", "status": "opt_in", "source": "web_form"}
    assert (
        summary(events.CONSENT_CHANGED, "en", **data)
        == "SMS / Service and transactional: Opted in (Web form)"
    )
    chinese = summary(events.CONSENT_CHANGED, "zh-hans", **data)
    assert not {"sms", "service", "opt_in", "web_form"} & set(
        chinese.replace("/", " ").replace("：", " ").split()
    )
    assert "opt_in" not in chinese and "web_form" not in chinese


def test_a_dealer_relationship_entry_says_how_they_met_in_words():
    for reason in ("sale", "manual", "walk_in", "lead"):
        text = summary(events.CUSTOMER_LINKED, "zh-hans", dealer="上海浦东奥瑞4S店", reason=reason)
        assert reason not in text
    assert summary(events.CUSTOMER_LINKED, "en", dealer="Pudong", reason="sale") == (
        "Now known to Pudong: Bought a vehicle"
    )


def test_a_contact_entry_names_the_kind_of_contact_in_words():
    assert summary(events.CONTACT_ADDED, "en", kind="email", value="a@b.cn") == "Added Email a@b.cn"


def test_a_code_no_longer_offered_still_shows_rather_than_failing():
    assert summary(events.CUSTOMER_LINKED, "en", dealer="Pudong", reason="retired_code") == (
        "Now known to Pudong: retired_code"
    )
