from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "crm.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        # The timeline kinds messaging writes, and the core's own segment filters and care occasions.
        from crm.messaging import (
            events,  # noqa: F401
            registrations,  # noqa: F401 - header entries
        )
        from crm.messaging.selectors import segments  # noqa: F401
        from crm.messaging.services import care  # noqa: F401
