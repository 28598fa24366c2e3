"""The header's items and each role's landing page, registered by the apps that own the pages.

The core knows no higher app: each app registers its items and landings from `AppConfig.ready()` (through
its `registrations` module), with a rule that reads the user's access object, and the header and the home
page read this registry. An item whose URL name does not resolve is left out, so a half-installed app
never breaks the header.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, reverse

Rule = Callable[[Any], bool]  # (access) -> allowed
Here = Callable[[str, str], bool]  # (URL namespace, URL name) -> is this item's page


@dataclass(frozen=True)
class NavItem:
    """One rendered header entry."""

    label: str
    url: str
    icon: str
    is_active: bool
    # Occasional tasks live in the user menu, so the header fits a tablet and a 1366-pixel screen.
    is_secondary: bool = False


@dataclass(frozen=True)
class NavEntry:
    """One registered entry: shown to users for whom `allowed(access)` holds, in `order`."""

    key: str
    label: Any  # a lazy translation
    url_name: str
    icon: str
    order: int
    allowed: Rule
    is_here: Here
    is_secondary: bool = False
    # For pages that take arguments (a dealer admin's own staff page): access -> reverse() kwargs.
    url_kwargs: Callable[[Any], dict] | None = None


@dataclass(frozen=True)
class Landing:
    """Where a role's work starts: the first registered landing (by `order`) that applies wins."""

    key: str
    order: int
    applies: Rule
    url_name: str
    url_kwargs: Callable[[Any], dict] | None = None


@dataclass
class _Registry:
    entries: dict[str, NavEntry] = field(default_factory=dict)
    landings: dict[str, Landing] = field(default_factory=dict)


_registry = _Registry()


def in_namespace(namespace: str, *, names: set[str] | None = None, excluding: set[str] | None = None) -> Here:
    """The common `is_here`: pages of one URL namespace, optionally only `names` or all but `excluding`."""

    def is_here(here_namespace: str, here_name: str) -> bool:
        if here_namespace != namespace:
            return False
        if names is not None and here_name not in names:
            return False
        return not (excluding and here_name in excluding)

    return is_here


def nav_register(*entries: NavEntry) -> None:
    """Register header entries (idempotent by key, so a second `ready()` replaces rather than doubles)."""
    for entry in entries:
        _registry.entries[entry.key] = entry


def landing_register(*landings: Landing) -> None:
    for landing in landings:
        _registry.landings[landing.key] = landing


def _url(url_name: str, kwargs: dict | None) -> str | None:
    try:
        return reverse(url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def nav_items(access, *, namespace: str = "", url_name: str = "") -> list[NavItem]:
    """The entries `access` may use, in order, marked active where the request is."""
    items = []
    for entry in sorted(_registry.entries.values(), key=lambda e: (e.order, e.key)):
        if not entry.allowed(access):
            continue
        url = _url(entry.url_name, entry.url_kwargs(access) if entry.url_kwargs else None)
        if url is None:
            continue
        items.append(
            NavItem(
                label=entry.label,
                url=url,
                icon=entry.icon,
                is_active=entry.is_here(namespace, url_name or ""),
                is_secondary=entry.is_secondary,
            )
        )
    return items


def landing_url(access) -> str | None:
    """The page where this user's work starts, or None when no registered landing applies."""
    for landing in sorted(_registry.landings.values(), key=lambda item: (item.order, item.key)):
        if landing.applies(access):
            url = _url(landing.url_name, landing.url_kwargs(access) if landing.url_kwargs else None)
            if url is not None:
                return url
    return None
