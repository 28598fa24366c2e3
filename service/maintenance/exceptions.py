"""Typed errors of maintenance schedules, reminder settings and the vehicle's insurance date."""

from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import ApplicationError


class ScheduleVersionStarted(ApplicationError):
    code = "maintenance_schedule_version_started"
    status = 409
    field = "effective_from"
    default_message = _(
        "A version of this schedule already took effect on that day: give a later day for the new version."
    )


class ScheduleCodesMissing(ApplicationError):
    code = "maintenance_schedule_codes_missing"
    field = "operation_codes"
    default_message = _("Give at least one maintenance operation code: a repair order qualifies by it.")


class ScheduleValueInvalid(ApplicationError):
    code = "maintenance_schedule_value_invalid"
    default_message = _("Distances must be 1–200,000 km and periods 1–120 months.")


class ScheduleModelTaken(ApplicationError):
    code = "maintenance_schedule_model_taken"
    status = 409
    field = "brand_model"
    default_message = _("This model already has a schedule: open it and add a new version.")


class ReminderDaysInvalid(ApplicationError):
    code = "maintenance_reminder_days_invalid"
    default_message = _("Reminder lead times must be 0–90 days.")


class InsuranceDateInvalid(ApplicationError):
    code = "insurance_date_invalid"
    field = "insurance_expires_on"
    default_message = _("The insurance expiry date is not plausible.")
