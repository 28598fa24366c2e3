"""Every write to the customer record. Each function is one transaction and writes its timeline event in it."""

from crm.customers.services.identity import (
    CUSTOMER_EDITABLE_FIELDS,
    CustomerResolution,
    customer_link,
    customer_resolve,
    identity_candidates,
    identity_match,
)
from crm.customers.services.merge import customers_merge, duplicate_dismiss
from crm.customers.services.records import (
    VEHICLE_EDITABLE_FIELDS,
    consent_record,
    contact_point_add,
    customer_update,
    timeline_note_add,
    vehicle_register,
    vehicle_update,
)

__all__ = [
    "CUSTOMER_EDITABLE_FIELDS",
    "VEHICLE_EDITABLE_FIELDS",
    "CustomerResolution",
    "consent_record",
    "contact_point_add",
    "customer_link",
    "customer_resolve",
    "customer_update",
    "customers_merge",
    "duplicate_dismiss",
    "identity_candidates",
    "identity_match",
    "timeline_note_add",
    "vehicle_register",
    "vehicle_update",
]
