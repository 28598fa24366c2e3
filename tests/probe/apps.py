from django.apps import AppConfig


class ProbeConfig(AppConfig):
    """A stand-in for a higher app (like loyalty) that reacts to the core's events."""

    name = "tests.probe"
    label = "probe"

    def ready(self) -> None:
        from crm.timeline.registry import kind_register, subscribe
        from crm.timeline.services import event_record

        kind_register("probe.ping", label="ping", summary="ping %(n)s")
        kind_register("probe.pong", label="pong", summary="pong %(n)s")

        def answer(event):
            # Its effect is a row in the same transaction as the delivery record: exactly once, or not at all.
            event_record(
                customer_id=event.customer_id,
                kind="probe.pong",
                data={"n": event.data.get("n"), "ping": event.id},
            )

        subscribe(name="probe.answer", kinds={"probe.ping"}, handler=answer)
