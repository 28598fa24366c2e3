from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads and the sales funnel")

    def ready(self) -> None:
        from leads import (
            events,  # noqa: F401 - registers the timeline kinds this app writes
            registrations,  # noqa: F401 - header, landings, segment filters, salesperson placeholders
        )
        from leads.services import (
            campaign_response,  # noqa: F401 - opens leads from campaign replies
            witnessed,  # noqa: F401 - calls, texts and replies become contact attempts
        )
