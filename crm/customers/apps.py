from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "crm.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm.customers import (
            events,  # noqa: F401 - registers the timeline kinds this app writes
            registrations,  # noqa: F401 - header entries, the fallback landing
        )
