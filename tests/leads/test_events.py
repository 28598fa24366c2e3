"""The funnel's timeline entries read in the reader's language, whatever language their writer used."""

from types import SimpleNamespace

from django.utils import translation

from crm.timeline.registry import event_summary
from leads import events
from leads.models import LeadType


def summary(event_kind: str, language: str, **data) -> str:
    with translation.override(language):
        return event_summary(SimpleNamespace(kind=event_kind, data=data))


def test_a_lead_without_a_source_reads_its_type_in_the_readers_language():
    with translation.override("zh-hans"):
        walk_in_in_chinese = str(LeadType.WALK_IN.label)
    # Recorded by someone signed in in English, read in Chinese; and the other way round.
    assert summary(events.LEAD_CREATED, "zh-hans", source="Walk-in", type="walk_in") == (
        summary(events.LEAD_CREATED, "zh-hans", source="", type="walk_in")
    )
    assert "Walk-in" not in summary(events.LEAD_CREATED, "zh-hans", source="Walk-in", type="walk_in")
    assert walk_in_in_chinese in summary(events.LEAD_CREATED, "zh-hans", source="Walk-in", type="walk_in")
    assert (
        summary(events.LEAD_CREATED, "en", source=walk_in_in_chinese, type="walk_in")
        == "New lead from Walk-in"
    )
    assert summary(events.LEAD_TOUCHED, "en", source=walk_in_in_chinese) == "Asked again through Walk-in"


def test_a_lead_source_name_is_shown_as_the_dealer_typed_it():
    assert "SH001 website" in summary(events.LEAD_CREATED, "zh-hans", source="SH001 website", type="internet")


def test_an_assignment_recorded_with_the_old_name_order_reads_family_name_first():
    assert "张伟" in summary(events.LEAD_ASSIGNED, "zh-hans", owner="伟 张", owner_id=1)
    assert summary(events.LEAD_ASSIGNED, "en", owner="Lily Chen", owner_id=2) == "Assigned to Lily Chen"
