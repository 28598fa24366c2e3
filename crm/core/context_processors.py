"""The header's navigation, built from what the user's roles allow (request.access, set by the scope
middleware). The core knows no higher app, so it reads the access object and URL names only."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    icon: str
    is_active: bool
    # Occasional tasks live in the user menu, so the header fits a tablet and a 1366-pixel screen.
    is_secondary: bool = False


_SALES_ROLES = ("salesperson", "sales_manager")
_MANAGER_ROLES = ("sales_manager", "dealer_admin")


def _reverse_or_none(name: str) -> str | None:
    """The funnel pages are URL names of a higher app: the core links to them only if they exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _lead_items(access, here) -> list[NavItem]:
    namespace, name = here
    candidates = []
    if access.dealers_where(*_SALES_ROLES):
        candidates += [
            (_("My day"), "leads:my_day", "sunrise", namespace == "leads" and name == "my_day"),
            (
                _("Leads"),
                "leads:list",
                "funnel",
                namespace == "leads" and name not in {"my_day", "visit_new", "approvals"},
            ),
            (_("Log a visit"), "leads:visit_new", "door-open", namespace == "leads" and name == "visit_new"),
        ]
    elif access.has_role("dealer_admin", "regional_manager", "oem_admin"):
        candidates.append((_("Leads"), "leads:list", "funnel", namespace == "leads"))
    if access.dealers_where(*_MANAGER_ROLES):
        candidates.append(
            (_("Approvals"), "leads:approvals", "check2-square", namespace == "leads" and name == "approvals")
        )
    if access.dealers_where(*_MANAGER_ROLES) or access.has_role("regional_manager", "oem_admin"):
        candidates.append(
            (_("Funnel"), "leads_dashboard:funnel", "bar-chart-line", namespace == "leads_dashboard")
        )
    items = []
    for label, url_name, icon, is_active in candidates:
        url = _reverse_or_none(url_name)
        if url is not None:
            items.append(NavItem(label, url, icon, is_active))
    return items


def _messaging_items(access, here) -> list[NavItem]:
    """Campaigns in the header for those who run them (a dealer's managers, OEM admins) or follow them
    (regional managers, read-only); the message library in the user menu for those who manage it."""
    namespace, name = here[0], here[1] or ""
    manages = bool(access.dealers_where(*_MANAGER_ROLES)) or access.has_role("oem_admin")
    candidates = []
    if manages or access.has_role("regional_manager"):
        candidates.append(
            (
                _("Campaigns"),
                "messaging:campaigns",
                "megaphone",
                namespace == "messaging" and name.startswith("campaign"),
                False,
            )
        )
    if manages:
        candidates += [
            (
                _("Message templates"),
                "messaging:templates",
                "chat-square-text",
                namespace == "messaging" and "template" in name,
                True,
            ),
            (
                _("Segments"),
                "messaging:segments",
                "funnel-fill",
                namespace == "messaging" and "segment" in name,
                True,
            ),
            (
                _("Care messages"),
                "messaging:care",
                "balloon-heart",
                namespace == "messaging" and "care" in name,
                True,
            ),
        ]
    items = []
    for label, url_name, icon, is_active, is_secondary in candidates:
        url = _reverse_or_none(url_name)
        if url is not None:
            items.append(NavItem(label, url, icon, is_active, is_secondary=is_secondary))
    return items


def navigation(request):
    access = getattr(request, "access", None)
    if access is None or not access.is_authenticated:
        return {"nav_items": [], "nav_menu_items": []}
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
    items.extend(_lead_items(access, here))
    if access.has_role("call_centre_agent", "oem_admin"):
        phone_in = _reverse_or_none("leads_call_centre:phone_in")
        if phone_in:
            items.append(NavItem(_("Phone-in"), phone_in, "headset", here[0] == "leads_call_centre"))
    if access.can_merge_customers:
        items.append(
            NavItem(
                _("Possible duplicates"),
                reverse("customers:duplicates"),
                "intersect",
                here[0] == "customers" and here[1] in {"duplicates", "merge"},
                is_secondary=True,
            )
        )
    setup = (
        (
            _("Screening questionnaire"),
            "leads_setup:questionnaires",
            "ui-checks",
            access.has_role("oem_admin"),
        ),
        (
            _("Follow-up cadence"),
            "leads_setup:cadence",
            "calendar2-week",
            access.has_role("oem_admin", "regional_manager") or bool(access.dealers_where(*_MANAGER_ROLES)),
        ),
    )
    for label, url_name, icon, allowed in setup:
        url = _reverse_or_none(url_name) if allowed else None
        if url:
            items.append(NavItem(label, url, icon, here[0] == "leads_setup", is_secondary=True))
    items.extend(_messaging_items(access, here))
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
    return {
        "nav_items": [item for item in items if not item.is_secondary],
        "nav_menu_items": [item for item in items if item.is_secondary],
    }
