from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "crm.network"
    label = "network"
    verbose_name = _("Dealer network")

    def ready(self) -> None:
        from crm.network import registrations  # noqa: F401 - header entries and landing pages
