"""The one place that decides what a user may see and do.

`access_for(user)` answers both questions: `.scope` is the set of dealers whose rows the user may see
(applied to every transaction of the request, and enforced again by PostgreSQL row-level security), and
the `can_*` properties say which kinds of writes the user's roles allow. Every selector, view, API and
export goes through it.
"""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from crm.core.scope import Scope
from crm.network.models import (
    DEALER_ROLES,
    NETWORK_ROLES,
    OEM_OVERSIGHT_ROLES,
    OEM_ROLES,
    Dealer,
    Role,
    RoleAssignment,
)

_CACHE_ATTRIBUTE = "_crm_access"


@dataclass(frozen=True)
class Access:
    user_id: int | None
    roles: frozenset[str] = frozenset()
    dealer_roles: dict[int, frozenset[str]] = field(default_factory=dict)
    region_ids: frozenset[int] = frozenset()
    region_dealer_ids: frozenset[int] = frozenset()

    @cached_property
    def scope(self) -> Scope:
        if self.is_network_wide:
            return Scope.everything(reason="network role: " + ",".join(sorted(self.roles & NETWORK_ROLES)))
        return Scope.dealers(set(self.dealer_roles) | set(self.region_dealer_ids))

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def is_network_wide(self) -> bool:
        return bool(self.roles & NETWORK_ROLES)

    @property
    def is_oem(self) -> bool:
        return bool(self.roles & OEM_ROLES)

    @property
    def is_read_only(self) -> bool:
        """OEM regional managers and auditors read dealer data; they never change it."""
        return self.roles <= {Role.REGIONAL_MANAGER}

    @property
    def dealer_ids(self) -> frozenset[int]:
        """Dealers where the user works (holds a dealer role); OEM roles work at none."""
        return frozenset(self.dealer_roles)

    def has_role(self, *roles: str, dealer_id: int | None = None) -> bool:
        if dealer_id is not None:
            return bool(self.dealer_roles.get(dealer_id, frozenset()) & set(roles))
        return bool(self.roles & set(roles))

    def can_see_dealer(self, dealer_id: int | None) -> bool:
        return self.scope.allows_dealer(dealer_id)

    @property
    def can_edit_customers(self) -> bool:
        return self.is_authenticated and not self.is_read_only and bool(self.roles)

    @property
    def can_merge_customers(self) -> bool:
        return self.has_role(Role.SALES_MANAGER, Role.DEALER_ADMIN, Role.OEM_ADMIN)

    @property
    def can_manage_staff(self) -> bool:
        return self.has_role(Role.DEALER_ADMIN, Role.OEM_ADMIN)

    @property
    def can_see_network(self) -> bool:
        return self.has_role(*OEM_OVERSIGHT_ROLES)

    def dealers_where(self, *roles: str) -> frozenset[int]:
        """Dealers at which the user holds one of `roles` (OEM roles hold none: they work at no dealer)."""
        return frozenset(d for d, held in self.dealer_roles.items() if held & set(roles))


ANONYMOUS = Access(user_id=None)


def access_for(user) -> Access:
    """What `user` may see and do. Computed once per user object (so once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    roles: set[str] = set()
    dealer_roles: dict[int, set[str]] = {}
    region_ids: set[int] = set()
    assignments = RoleAssignment.objects.filter(user=user, is_active=True).filter(
        Q(dealer__isnull=True) | Q(dealer__is_active=True)
    )
    for role, dealer_id, region_id in assignments.values_list("role", "dealer_id", "region_id"):
        roles.add(role)
        if role in DEALER_ROLES:
            dealer_roles.setdefault(dealer_id, set()).add(role)
        elif region_id is not None:
            region_ids.add(region_id)
    if user.is_superuser:
        roles.add(Role.OEM_ADMIN)
    region_dealer_ids = (
        frozenset(Dealer.objects.filter(region_id__in=region_ids).values_list("id", flat=True))
        if region_ids
        else frozenset()
    )
    access = Access(
        user_id=user.pk,
        roles=frozenset(roles),
        dealer_roles={d: frozenset(r) for d, r in dealer_roles.items()},
        region_ids=frozenset(region_ids),
        region_dealer_ids=region_dealer_ids,
    )
    setattr(user, _CACHE_ATTRIBUTE, access)
    return access


def access_forget(user) -> None:
    """Drop the cached answer, after the user's roles changed."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def dealers_visible(user):
    """The dealers `user` may see, as a queryset (the dealer directory itself is not secret, but pick-lists
    and filters only offer dealers in scope)."""
    scope = access_for(user).scope
    dealers = Dealer.objects.select_related("region")
    return dealers if scope.network_wide else dealers.filter(id__in=scope.dealer_ids)
