"""The summaries other dealers read of a repair order (service.models.history): written in the transaction
that settles or imports the order, removed when it is voided or replaced by a settled correction. Either way the
vehicle's next service is recomputed in the same transaction (service.maintenance)."""

from django.utils import timezone

from service.maintenance.services import maintenance_recompute
from service.models import Job, LabourLine, PartLine, RepairOrder, RepairOrderSummary


def summary_write(*, repair_order: RepairOrder) -> RepairOrderSummary | None:
    """Write (or rewrite) the order's summary from its lines; a voided or unsettled order has none. A settled
    correction replaces the summary of the order it corrects. The caller holds the order's lock."""
    if repair_order.status != RepairOrder.Status.SETTLED:
        RepairOrderSummary.objects.filter(repair_order=repair_order).delete()
        maintenance_recompute(vehicle_ids=[repair_order.vehicle_id])
        return None
    if repair_order.corrects_id:
        RepairOrderSummary.objects.filter(repair_order_id=repair_order.corrects_id).delete()
    operations = [
        {"code": code, "description": description}
        for code, description in LabourLine.objects.filter(job__repair_order=repair_order)
        .order_by("job__position", "line_number", "id")
        .values_list("operation_code", "description")
    ]
    parts = [
        {"part_number": number, "description": description, "quantity": str(quantity.normalize())}
        for number, description, quantity in PartLine.objects.filter(job__repair_order=repair_order)
        .order_by("job__position", "line_number", "id")
        .values_list("part_number", "description", "quantity")
    ]
    pay_types = sorted(set(Job.objects.filter(repair_order=repair_order).values_list("pay_type", flat=True)))
    done_at = repair_order.settled_at or repair_order.opened_at
    summary, _created = RepairOrderSummary.objects.update_or_create(
        repair_order=repair_order,
        defaults={
            "dealer_id": repair_order.dealer_id,
            "vehicle_id": repair_order.vehicle_id,
            "done_on": timezone.localdate(done_at),
            "mileage": repair_order.mileage_in,
            "operations": operations,
            "parts": parts,
            "pay_types": pay_types,
        },
    )
    # The last qualifying service may be this order, or no longer the one it corrects.
    maintenance_recompute(vehicle_ids=[repair_order.vehicle_id])
    return summary
