from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from service import (
            events,  # noqa: F401 - registers the timeline kinds this app writes
            registrations,  # noqa: F401 - workshop header entry and landing, the customer page's history panel
        )
        from service.appointments import registrations as _appointments  # noqa: F401 - header, show rate, beat
        from service.care import events as _care_events  # noqa: F401 - complaint timeline kinds
        from service.care import registrations as _care  # noqa: F401 - call-backs subscriber, header
        from service.maintenance import registrations as _maintenance  # noqa: F401 - care, segments, figure
        from service.recalls import registrations as _recalls  # noqa: F401 - remedies subscriber, header
