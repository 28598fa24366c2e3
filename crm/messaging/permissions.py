"""Who may do what in messaging: the one home of each rule. Pages ask it to show or refuse, selectors to
scope their querysets, services to refuse a write (PermissionDenied); row-level security binds the same
rows again underneath.

- A dealer's sales managers and dealer admins manage the dealer's templates, segments, care messages and
  campaigns; OEM admins manage everything, including the OEM's shared templates and network rows.
- OEM regional managers follow the campaigns of their region's dealers, read-only.
- A campaign is approved by someone who may manage it, never by its creator (four eyes).
"""

from dataclasses import dataclass

from crm.core.exceptions import PermissionDenied
from crm.network.access import access_for
from crm.network.models import DEALER_MANAGER_ROLES, Role


@dataclass(frozen=True)
class MessagingRights:
    """What a user may see and manage in messaging."""

    sees_everything: bool
    visible_dealer_ids: frozenset[int]
    managed_dealer_ids: frozenset[int]

    @property
    def can_view_campaigns(self) -> bool:
        return self.sees_everything or bool(self.visible_dealer_ids)

    @property
    def can_manage_any(self) -> bool:
        """Whether the user manages some messaging: the library's pages and a new campaign."""
        return self.sees_everything or bool(self.managed_dealer_ids)

    def can_manage(self, dealer_id: int | None) -> bool:
        """A row of `dealer_id`; None is the OEM's or the network's, which only OEM admins manage."""
        return self.sees_everything or (dealer_id is not None and dealer_id in self.managed_dealer_ids)


def rights_for(user) -> MessagingRights:
    return rights_of(access_for(user))


def rights_of(access) -> MessagingRights:
    """The same, from an access object already at hand (the header's rules)."""
    if access.has_role(Role.OEM_ADMIN):
        return MessagingRights(True, frozenset(), frozenset())
    managed = access.dealers_where(*DEALER_MANAGER_ROLES)
    regional = access.region_dealer_ids if access.has_role(Role.REGIONAL_MANAGER) else frozenset()
    return MessagingRights(False, managed | regional, managed)


def can_manage(*, user, dealer_id: int | None) -> bool:
    return rights_for(user).can_manage(dealer_id)


def can_approve(*, user, campaign) -> bool:
    if campaign.created_by_id == user.id:
        return False
    return can_manage(user=user, dealer_id=campaign.dealer_id)


def require_manage(*, user, dealer_id: int | None) -> None:
    if not can_manage(user=user, dealer_id=dealer_id):
        raise PermissionDenied()


def require_approve(*, user, campaign) -> None:
    if not can_approve(user=user, campaign=campaign):
        raise PermissionDenied()
