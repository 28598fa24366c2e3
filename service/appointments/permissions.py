"""Who may do what with service appointments: the one home of each rule (pages, the API and services).

- A dealer's workshop staff (service advisors, dealer admins) book, reschedule, cancel and check in at
  their own dealer, and set its capacity (bays, advisors' hours, slot length, grace).
- The call centre books, reschedules and cancels at any dealer (it picks the dealer) and reads every board;
  it does not check cars in (that happens at the workshop's counter) nor set capacity.
- OEM oversight (regional managers, the OEM admin) reads the boards of the dealers in its scope, never
  changes one: an appointment is the dealer's promise to its customer.
- Sales roles have no business here.
"""

from crm.network.models import OEM_OVERSIGHT_ROLES, Role
from service.permissions import WORKSHOP_ROLES, require

__all__ = ["require"]


def is_call_centre(access) -> bool:
    return access.has_role(Role.CALL_CENTRE_AGENT)


def can_book(access, dealer_id: int) -> bool:
    return access.has_role(*WORKSHOP_ROLES, dealer_id=dealer_id) or is_call_centre(access)


def can_check_in(access, dealer_id: int) -> bool:
    return access.has_role(*WORKSHOP_ROLES, dealer_id=dealer_id)


def can_set_capacity(access, dealer_id: int) -> bool:
    return access.has_role(*WORKSHOP_ROLES, dealer_id=dealer_id)


def can_read_appointments(access) -> bool:
    return bool(access.dealers_where(*WORKSHOP_ROLES)) or access.has_role(Role.CALL_CENTRE_AGENT, *OEM_OVERSIGHT_ROLES)


def books_anywhere(access) -> bool:
    """Picks the dealer for each booking (the call centre)."""
    return is_call_centre(access)


def books_somewhere(access) -> bool:
    return is_call_centre(access) or bool(access.dealers_where(*WORKSHOP_ROLES))
