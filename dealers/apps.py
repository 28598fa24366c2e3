from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealersConfig(AppConfig):
    name = "dealers"
    verbose_name = _("Dealer compliance and scorecards")

    def ready(self) -> None:
        from dealers import registrations  # noqa: F401 - the daily facts' timeline subscriber
