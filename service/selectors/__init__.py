"""Every read the service app offers, already scoped to the user."""

from service.selectors.history import HistoryEntry, customer_service_history, vehicle_history
from service.selectors.workshop import (
    check_in_lookup,
    check_in_query_parse,
    job_get,
    line_get,
    recent_customers_of_vehicle,
    repair_order_get,
    repair_order_page,
    repair_orders_for_user,
    vehicle_get,
    vehicles_for_user,
    workshop_board,
)

__all__ = [
    "HistoryEntry",
    "check_in_lookup",
    "check_in_query_parse",
    "customer_service_history",
    "job_get",
    "line_get",
    "recent_customers_of_vehicle",
    "repair_order_get",
    "repair_order_page",
    "repair_orders_for_user",
    "vehicle_get",
    "vehicle_history",
    "vehicles_for_user",
    "workshop_board",
]
