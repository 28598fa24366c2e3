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
