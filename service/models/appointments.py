"""Service appointments and the capacity they are booked against.

Capacity is the dealer's: its service bays, its advisors' working hours (per weekday, with exceptions for a
day off or a different day), and the slot length it books in (AppointmentSettings). Available slots are
computed from that capacity minus the active bookings, in the dealer's time zone
(service.appointments.selectors).

No double booking is the database's rule, not only the form's: two exclusion constraints (btree_gist) over
the half-open range [starts_at, ends_at) refuse an active appointment that overlaps another one of the same
bay or of the same advisor. 09:00–10:00 and 10:00–11:00 touch and do not collide; a cancelled appointment or
a no-show blocks nothing."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

WEEKDAY_CHOICES = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")), (4, _("Friday")),
    (5, _("Saturday")), (6, _("Sunday")),
]  # fmt: skip
# The statuses that hold a bay and an advisor.
ACTIVE_STATUSES = ("booked", "checked_in")


class ServiceBay(models.Model):
    """A lift or a workplace in the dealer's workshop: one car at a time."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="service_bays")
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["dealer", "position", "name", "id"]
        verbose_name = _("service bay")
        verbose_name_plural = _("service bays")
        constraints = [models.UniqueConstraint(fields=["dealer", "name"], name="service_bay_name_once_per_dealer")]

    def __str__(self) -> str:
        return self.name


class AppointmentSettings(models.Model):
    """How a dealer books: the slot length, and how long after the start a car that has not come is a
    no-show. A dealer without a row books with the defaults."""

    DEFAULT_SLOT_MINUTES = 60
    DEFAULT_GRACE_MINUTES = 15

    dealer = models.OneToOneField("network.Dealer", on_delete=models.CASCADE, related_name="appointment_settings")
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=DEFAULT_SLOT_MINUTES)
    no_show_grace_minutes = models.PositiveSmallIntegerField(
        _("no-show after (minutes past the start)"), default=DEFAULT_GRACE_MINUTES
    )

    class Meta:
        verbose_name = _("appointment settings")
        verbose_name_plural = _("appointment settings")
        constraints = [
            models.CheckConstraint(
                name="appointment_slot_length_sensible", condition=Q(slot_minutes__gte=10, slot_minutes__lte=480)
            ),
            models.CheckConstraint(
                name="appointment_grace_sensible", condition=Q(no_show_grace_minutes__lte=240)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dealer} {self.slot_minutes} min"


class AdvisorHours(models.Model):
    """One span an advisor works on a weekday (0 Monday … 6 Sunday), in the dealer's local time. An advisor
    with no spans at all works the dealer's business hours."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.CASCADE, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAY_CHOICES)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        ordering = ["advisor", "weekday", "starts"]
        verbose_name = _("advisor's working hours")
        verbose_name_plural = _("advisors' working hours")
        constraints = [
            models.CheckConstraint(name="advisor_hours_weekday", condition=Q(weekday__lte=6)),
            models.CheckConstraint(name="advisor_hours_end_after_start", condition=Q(ends__gt=F("starts"))),
        ]

    def __str__(self) -> str:
        return f"{self.advisor} {self.weekday} {self.starts:%H:%M}–{self.ends:%H:%M}"


class AdvisorException(models.Model):
    """A day that differs from the advisor's week: off (no times), or worked from `starts` to `ends` only."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.CASCADE, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    starts = models.TimeField(_("from"), null=True, blank=True)
    ends = models.TimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["day", "advisor"]
        verbose_name = _("advisor's day off or different hours")
        verbose_name_plural = _("advisors' days off and different hours")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "advisor", "day"], name="advisor_exception_once_a_day"),
            models.CheckConstraint(
                name="advisor_exception_off_or_span",
                condition=Q(starts__isnull=True, ends__isnull=True)
                | Q(starts__isnull=False, ends__isnull=False, ends__gt=F("starts")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.advisor} {self.day}"

    @property
    def is_day_off(self) -> bool:
        return self.starts is None


class AppointmentSource(models.Model):
    """A public booking channel (the dealer's web site, the OEM's app): it authenticates with its key, as a
    lead source does. An OEM-wide source (no dealer) names the dealer in each booking."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="appointment_sources"
    )
    # sha256 of the key; the key itself is shown once when the source is created.
    key_hash = models.CharField(max_length=64, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("appointment source")
        verbose_name_plural = _("appointment sources")

    def __str__(self) -> str:
        return self.name


def _time_range():
    # Half-open: an appointment ending at 10:00 and one starting at 10:00 do not overlap.
    return Func(F("starts_at"), F("ends_at"), Value("[)"), function="TSTZRANGE")


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        ADVISOR = "advisor", _("Booked by the advisor")
        CALL_CENTRE = "call_centre", _("Booked by the call centre")
        ONLINE = "online", _("Booked online")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="appointments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="appointments")
    vehicle = models.ForeignKey("customers.Vehicle", on_delete=models.PROTECT, related_name="appointments")
    bay = models.ForeignKey(ServiceBay, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("bay"))
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_appointments",
        verbose_name=_("service advisor"),
    )  # fmt: skip
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("booked through"), max_length=12, choices=Channel.choices)
    source = models.ForeignKey(
        AppointmentSource, null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    # The language the customer booked in: the reminder speaks it.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    concern = models.TextField(_("customer's concern"), blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Check-in opens this repair order (the workshop's own service opens it); one order per appointment.
    repair_order = models.OneToOneField(
        "service.RepairOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="appointment"
    )
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    no_show_at = models.DateTimeField(_("marked as no-show"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=300, blank=True)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    reminder_queued_at = models.DateTimeField(_("reminder queued"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("service appointment")
        verbose_name_plural = _("service appointments")
        constraints = [
            models.CheckConstraint(name="appointment_ends_after_start", condition=Q(ends_at__gt=F("starts_at"))),
            models.CheckConstraint(
                name="appointment_cancelled_has_a_reason",
                condition=~Q(status="cancelled") | (Q(cancelled_at__isnull=False) & ~Q(cancel_reason="")),
            ),
            models.CheckConstraint(
                name="appointment_checked_in_has_an_order",
                condition=~Q(status="checked_in") | Q(repair_order__isnull=False, checked_in_at__isnull=False),
            ),
            ExclusionConstraint(
                name="appointment_bay_not_double_booked",
                expressions=[("bay", RangeOperators.EQUAL), (_time_range(), RangeOperators.OVERLAPS)],
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
            ExclusionConstraint(
                name="appointment_advisor_not_double_booked",
                expressions=[("advisor", RangeOperators.EQUAL), (_time_range(), RangeOperators.OVERLAPS)],
                condition=Q(status__in=ACTIVE_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "starts_at"], name="appointment_dealer_day"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_start"),
            models.Index(fields=["customer"], name="appointment_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
