"""Every write of service appointments: booking (by the advisor, the call centre or a public source), rescheduling,
cancelling, check-in, no-shows and the day-before reminder; and the dealer's capacity.

Guarantees
- A booking is one transaction: the customer and the car are found or created through the customer record's
  identity services (crm.customers: the same phone or email is the same person network-wide, the same VIN the
  same car), then the appointment is inserted. If anything is refused, nothing of it stays.
- No double booking: the services check the capacity first (to answer with a useful reason), but the
  database decides — two exclusion constraints refuse an overlapping active appointment of the same bay or
  advisor, even when two bookings race on two connections; the loser gets BayTaken / AdvisorTaken (409).
- Check-in opens the repair order through the workshop's own service, in the same transaction.
- Jobs (no-shows, reminders) lock the rows they change with SKIP LOCKED and check their state, so running
  them twice, or on two workers, changes each appointment once; a reminder is an outbox row whose
  idempotency key names the appointment and its start, so it is written once.
"""

from service.appointments.services.booking import (
    Party,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_reschedule,
)
from service.appointments.services.capacity import (
    advisor_exception_remove,
    advisor_exception_save,
    advisor_hours_add,
    advisor_hours_remove,
    appointment_settings_save,
    bay_add,
    bay_set_active,
)
from service.appointments.services.jobs import (
    appointment_reminders_queue,
    appointments_mark_no_shows,
    reminder_key,
    reminder_text,
)
from service.appointments.services.sources import (
    KEY_HEADER,
    appointment_source_create,
    rate_limit_check,
    source_authenticate,
    source_dealer,
)

__all__ = [
    "KEY_HEADER",
    "Party",
    "advisor_exception_remove",
    "advisor_exception_save",
    "advisor_hours_add",
    "advisor_hours_remove",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_reminders_queue",
    "appointment_reschedule",
    "appointment_settings_save",
    "appointment_source_create",
    "appointments_mark_no_shows",
    "bay_add",
    "bay_set_active",
    "rate_limit_check",
    "reminder_key",
    "reminder_text",
    "source_authenticate",
    "source_dealer",
]
