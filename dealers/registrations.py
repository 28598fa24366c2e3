"""What `dealers` lends to the core's registries, imported once by DealersConfig.ready() (after every app below
it has registered its measures): the timeline subscriber that keeps the daily facts, for every event kind a
registered measure says may change it."""

from crm.core import key_figures
from crm.timeline.registry import subscribe
from dealers.services.facts import facts_on_event

FACTS_SUBSCRIBER = "dealers.facts"


def facts_subscribe() -> None:
    kinds = {kind for measure in key_figures.measures() for kind in measure.changed_by}
    if kinds:
        subscribe(name=FACTS_SUBSCRIBER, kinds=kinds, handler=facts_on_event)


facts_subscribe()
