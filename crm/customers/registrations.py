"""What the customer record lends to the core's registries: its header entries and the fallback landing."""

from django.utils.translation import gettext_lazy as _

from crm.core.navigation import Landing, NavEntry, landing_register, nav_register

_MERGE_PAGES = {"duplicates", "merge"}

nav_register(
    NavEntry(
        key="customers",
        label=_("Customers"),
        url_name="customers:search",
        icon="people",
        order=20,
        allowed=lambda access: bool(access.roles),
        is_here=lambda namespace, name: namespace == "customers" and name not in _MERGE_PAGES,
    ),
    NavEntry(
        key="duplicates",
        label=_("Possible duplicates"),
        url_name="customers:duplicates",
        icon="intersect",
        order=20,
        allowed=lambda access: access.can_merge_customers,
        is_here=lambda namespace, name: namespace == "customers" and name in _MERGE_PAGES,
        is_secondary=True,
    ),
)
# Everyone with a role can at least look a customer up: the landing of last resort.
landing_register(
    Landing(key="customer_search", order=1000, applies=lambda access: bool(access.roles), url_name="customers:search")
)
