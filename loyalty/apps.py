from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty and satisfaction")

    def ready(self) -> None:
        from loyalty import (
            events,  # noqa: F401 - the timeline kinds loyalty writes
            registrations,  # noqa: F401 - timeline subscribers, header, key figures
        )
