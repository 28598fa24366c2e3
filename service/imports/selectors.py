"""Reads of DMS imports, scoped to the user's workshops."""

from django.db.models import QuerySet

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from service.models import DmsImport, DmsImportRow
from service.permissions import WORKSHOP_ROLES

RESULT_ROWS = 5000


def imports_for_user(*, user) -> QuerySet[DmsImport]:
    access = access_for(user)
    if not access.is_authenticated:
        return DmsImport.objects.none()
    imports = DmsImport.objects.select_related("dealer", "imported_by")
    if access.scope.network_wide:
        return imports
    return imports.filter(dealer_id__in=access.dealers_where(*WORKSHOP_ROLES))


def import_get(*, user, import_id: int) -> DmsImport:
    found = imports_for_user(user=user).filter(id=import_id).first()
    if found is None:
        raise NotFound()
    return found


def import_rows(*, dms_import: DmsImport) -> list[DmsImportRow]:
    return list(DmsImportRow.objects.filter(dms_import=dms_import).order_by("row_number")[:RESULT_ROWS])
