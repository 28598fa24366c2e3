"""Every write the service app offers (plain functions, keyword-only, one transaction each)."""

from service.care.services import complaint_open  # svc-care: surveys and call-backs open complaints
from service.services.odometer import odometer_record, vehicle_mileage
from service.services.repair_orders import (
    charge_line_add,
    job_add,
    job_update,
    labour_line_add,
    line_remove,
    part_line_add,
    repair_order_correct,
    repair_order_move,
    repair_order_open,
    repair_order_settle,
    repair_order_void,
    totals_recompute,
)

__all__ = [
    "charge_line_add",
    "complaint_open",
    "job_add",
    "job_update",
    "labour_line_add",
    "line_remove",
    "odometer_record",
    "part_line_add",
    "repair_order_correct",
    "repair_order_move",
    "repair_order_open",
    "repair_order_settle",
    "repair_order_void",
    "totals_recompute",
    "vehicle_mileage",
]
