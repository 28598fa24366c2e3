"""The header's navigation: the entries the apps registered (crm/core/navigation.py) that the user's
access allows (request.access, set by the scope middleware)."""

from crm.core.navigation import nav_items


def navigation(request):
    access = getattr(request, "access", None)
    if access is None or not access.is_authenticated:
        return {"nav_items": [], "nav_menu_items": []}
    match = getattr(request, "resolver_match", None)
    items = nav_items(
        access,
        namespace=match.namespace if match else "",
        url_name=(match.url_name or "") if match else "",
    )
    return {
        "nav_items": [item for item in items if not item.is_secondary],
        "nav_menu_items": [item for item in items if item.is_secondary],
    }
