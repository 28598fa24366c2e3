"""The timeline kinds service appointments write (on the customer's timeline, at the dealer):

- service.appointment_booked: appointment, starts_at, vehicle, plate, channel
- service.appointment_rescheduled: appointment, starts_at, previous, reason
- service.appointment_cancelled: appointment, starts_at, reason
- service.appointment_checked_in: appointment, repair_order, number
- service.appointment_no_show: appointment, starts_at
"""

from django.utils.translation import gettext_lazy as _

from crm.timeline.registry import kind_register

APPOINTMENT_BOOKED = "service.appointment_booked"
APPOINTMENT_RESCHEDULED = "service.appointment_rescheduled"
APPOINTMENT_CANCELLED = "service.appointment_cancelled"
APPOINTMENT_CHECKED_IN = "service.appointment_checked_in"
APPOINTMENT_NO_SHOW = "service.appointment_no_show"

kind_register(
    APPOINTMENT_BOOKED,
    label=_("Service appointment"),
    summary=_("Service appointment booked for %(starts_at_local)s (%(plate)s)"),
    icon="calendar-check",
)
kind_register(
    APPOINTMENT_RESCHEDULED,
    label=_("Appointment moved"),
    summary=_("Service appointment moved to %(starts_at_local)s: %(reason)s"),
    icon="calendar-event",
)
kind_register(
    APPOINTMENT_CANCELLED,
    label=_("Appointment cancelled"),
    summary=_("Service appointment of %(starts_at_local)s cancelled: %(reason)s"),
    icon="calendar-x",
)
kind_register(
    APPOINTMENT_CHECKED_IN,
    label=_("Checked in"),
    summary=_("Checked in for the appointment: repair order %(number)s"),
    icon="box-arrow-in-right",
)
kind_register(
    APPOINTMENT_NO_SHOW,
    label=_("No-show"),
    summary=_("Did not come to the service appointment of %(starts_at_local)s"),
    icon="calendar-minus",
)
