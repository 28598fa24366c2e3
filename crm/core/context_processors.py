"""The header's navigation, built from what the user's roles allow (request.access, set by the scope
middleware). The core knows no higher app, so it reads the access object and URL names only."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    is_active: bool


def navigation(request):
    access = getattr(request, "access", None)
    if access is None or not access.is_authenticated:
        return {"nav_items": []}
    match = getattr(request, "resolver_match", None)
    here = (match.namespace, match.url_name) if match else ("", "")
    items: list[NavItem] = []
    if access.can_see_network:
        items.append(
            NavItem(
                _("Network"),
                reverse("network_overview"),
                "diagram-3",
                here[1] in {"network_overview", "dealer_staff"},
            )
        )
    if access.roles:
        items.append(
            NavItem(
                _("Customers"),
                reverse("customers:search"),
                "people",
                here[0] == "customers" and here[1] != "duplicates" and "merge" not in (here[1] or ""),
            )
        )
    if access.can_merge_customers:
        items.append(
            NavItem(
                _("Possible duplicates"),
                reverse("customers:duplicates"),
                "intersect",
                here[0] == "customers" and here[1] in {"duplicates", "merge"},
            )
        )
    admin_dealers = sorted(access.dealers_where("dealer_admin"))
    if admin_dealers and not access.can_see_network:
        items.append(
            NavItem(
                _("Staff"),
                reverse("dealer_staff", kwargs={"dealer_id": admin_dealers[0]}),
                "person-badge",
                here[1] == "dealer_staff",
            )
        )
    return {"nav_items": items}
