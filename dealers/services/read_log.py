"""Recording the OEM's reads of dealers' data (dealers/models/read_log.py)."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm.network.access import access_for
from dealers import permissions
from dealers.models import OemRead
from dealers.selectors.figures import Period


def oem_reads_record(
    *,
    reader,
    dealer_ids: Iterable[int],
    kind: str,
    what: str,
    path: str = "",
    period: Period | None = None,
    read_at: datetime | None = None,
) -> list[OemRead]:
    """One read-log row per dealer read, when `reader` is OEM staff (a dealer's own staff reading their own
    figures is not an OEM read). Guarantees: rows are only ever added, in one statement, in the reader's
    own scope (PostgreSQL refuses a row about a dealer outside it). `read_at` is for the demo's history;
    pages and exports record the present."""
    if not permissions.is_recorded_reader(access_for(reader)):
        return []
    rows = [
        OemRead(
            dealer_id=dealer_id,
            reader=reader,
            kind=kind,
            what=what,
            path=path[:500],
            first_day=period.first_day if period else None,
            last_day=period.last_day if period else None,
            read_at=read_at or timezone.now(),
        )
        for dealer_id in sorted(set(dealer_ids))
    ]
    with transaction.atomic():
        return OemRead.objects.bulk_create(rows)
