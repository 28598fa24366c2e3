from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "crm.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from crm.messaging import (  # noqa: F401 - register timeline kinds and segment filters
            events,
            registrations,  # noqa: F401 - header entries
            segments,
        )
