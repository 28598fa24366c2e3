from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty and satisfaction")

    def ready(self) -> None:
        from loyalty import (
            events,  # noqa: F401 - registers the timeline kinds this app writes
            registrations,  # noqa: F401 - timeline subscribers, customer panel, header entries
        )
