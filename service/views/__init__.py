from service.views.repair_orders import (
    correct,
    job_add,
    job_update,
    line_add,
    line_remove,
    move,
    repair_order_detail,
    repair_order_new,
    settle,
    void,
)
from service.views.vehicles import vehicle_detail
from service.views.workshop import workshop

__all__ = [
    "correct",
    "job_add",
    "job_update",
    "line_add",
    "line_remove",
    "move",
    "repair_order_detail",
    "repair_order_new",
    "settle",
    "vehicle_detail",
    "void",
    "workshop",
]
