"""Who may do what with maintenance due: the one home of each rule. The OEM admin sets the schedules (every
role that reads service reads them); a dealer's workshop (its advisors and its admin) works its due list and
records a vehicle's insurance date; the dealer admin sets the dealer's reminder lead times."""

from crm.core.exceptions import PermissionDenied
from crm.network.models import Role
from service.permissions import WORKSHOP_ROLES, can_read_service


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def can_edit_schedules(access) -> bool:
    return access.has_role(Role.OEM_ADMIN)


def can_read_schedules(access) -> bool:
    return can_read_service(access)


def works_due_list(access) -> bool:
    return bool(access.dealers_where(*WORKSHOP_ROLES))


def can_set_reminders(access, dealer_id: int) -> bool:
    return access.has_role(Role.DEALER_ADMIN, dealer_id=dealer_id)


def can_record_insurance(access) -> bool:
    """The workshop records what the owner says of the car's insurance (the sales team edits the vehicle on
    the customer page)."""
    return bool(access.dealers_where(*WORKSHOP_ROLES))
