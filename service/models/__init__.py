"""The service app's data: repair orders and the vehicle's odometer series (this module), and what later
parts add (maintenance, appointments, recalls, complaints) in modules of their own."""

from service.models.appointments import (
    AdvisorException,
    AdvisorHours,
    Appointment,
    AppointmentSettings,
    AppointmentSource,
    ServiceBay,
)
from service.models.complaints import CallBack, Complaint, ComplaintEntry
from service.models.history import RepairOrderSummary
from service.models.imports import DmsImport, DmsImportRow
from service.models.maintenance import MaintenanceSchedule, MaintenanceSetting, VehicleMaintenance
from service.models.odometer import OdometerReading
from service.models.recalls import (
    RecallCampaign,
    RecallRemedy,
    RecallUnmatchedVin,
    RecallUpload,
    RecallVehicle,
)
from service.models.repair_orders import (
    ChargeLine,
    Job,
    LabourLine,
    PartLine,
    PayType,
    RepairOrder,
)

__all__ = [
    "AdvisorException",
    "AdvisorHours",
    "Appointment",
    "AppointmentSettings",
    "AppointmentSource",
    "CallBack",
    "ChargeLine",
    "Complaint",
    "ComplaintEntry",
    "DmsImport",
    "DmsImportRow",
    "Job",
    "LabourLine",
    "MaintenanceSchedule",
    "MaintenanceSetting",
    "OdometerReading",
    "PartLine",
    "PayType",
    "RecallCampaign",
    "RecallRemedy",
    "RecallUnmatchedVin",
    "RecallUpload",
    "RecallVehicle",
    "RepairOrder",
    "RepairOrderSummary",
    "VehicleMaintenance",
    "ServiceBay",
]
