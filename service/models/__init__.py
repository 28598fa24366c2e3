"""The service app's data: repair orders and the vehicle's odometer series (this module), and what later
parts add (maintenance, appointments, recalls, complaints) in modules of their own."""

from service.models.history import RepairOrderSummary
from service.models.imports import DmsImport, DmsImportRow
from service.models.odometer import OdometerReading
from service.models.repair_orders import (
    ChargeLine,
    Job,
    LabourLine,
    PartLine,
    PayType,
    RepairOrder,
)

__all__ = [
    "ChargeLine",
    "DmsImport",
    "DmsImportRow",
    "Job",
    "LabourLine",
    "OdometerReading",
    "PartLine",
    "PayType",
    "RepairOrder",
    "RepairOrderSummary",
]
