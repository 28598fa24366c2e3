"""The OEM's network: regions, brands, dealers, and the roles staff hold in it."""

import zoneinfo

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from crm.core.history import tracked

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def default_business_hours() -> dict:
    # A 4S store opens every day; weekends are its busiest showroom days.
    return {day: [["09:00", "18:00"]] for day in WEEKDAYS}


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


def validate_business_hours(value) -> None:
    if not isinstance(value, dict) or set(value) - set(WEEKDAYS):
        raise ValidationError(
            _("Business hours must map weekdays (mon…sun) to lists of [open, close] times.")
        )
    for day, spans in value.items():
        for span in spans:
            if len(span) != 2 or not all(isinstance(t, str) and len(t) == 5 and t[2] == ":" for t in span):
                raise ValidationError(_('%(day)s: each span is ["HH:MM", "HH:MM"].'), params={"day": day})
            if span[0] >= span[1]:
                raise ValidationError(_("%(day)s: a span must close after it opens."), params={"day": day})


@tracked()
class Region(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


@tracked()
class Brand(models.Model):
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_oem_brand = models.BooleanField(_("the OEM's own brand"), default=False)
    # Other ways people and lead sites write the brand before a model name ("Aurora", "奥瑞"): the model
    # matcher strips them, as it strips the code and the name.
    aliases = ArrayField(
        models.CharField(max_length=100), default=list, blank=True, verbose_name=_("other names")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


@tracked()
class Dealer(models.Model):
    class Kind(models.TextChoices):
        FOUR_S = "4s", _("4S store")
        RESELLER = "reseller", _("2nd/3rd tier reseller")
        SERVICE_STATION = "service_station", _("Independent service station")

    code = models.CharField(_("dealer code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FOUR_S)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="dealers", verbose_name=_("region")
    )
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    brands = models.ManyToManyField(Brand, related_name="dealers", verbose_name=_("brands sold"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    business_hours = models.JSONField(
        _("business hours"), default=default_business_hours, validators=[validate_business_hours]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


@tracked()
class BrandModel(models.Model):
    """A vehicle model in a brand's catalogue. Leads and visits record models of interest by its code."""

    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="vehicle_models", verbose_name=_("brand")
    )
    # The same length as a lead's model of interest, which stores it.
    code = models.CharField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=100)
    # Other names of the model: its Chinese name, spellings lead sites use.
    aliases = ArrayField(
        models.CharField(max_length=60), default=list, blank=True, verbose_name=_("other names")
    )
    position = models.PositiveSmallIntegerField(_("position in the list"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["brand__name", "position", "code"]
        verbose_name = _("vehicle model")
        verbose_name_plural = _("vehicle models")
        constraints = [
            models.UniqueConstraint(Lower("code"), "brand", name="brand_model_code_once_per_brand"),
        ]

    def __str__(self) -> str:
        return self.name or self.code


@tracked()
class DealerAlias(models.Model):
    """Another name or id by which lead sites know a dealer (an ADF <vendor>): matched exactly, never
    fuzzily, so that a lead never goes to a dealer whose name merely looks alike."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("dealer")
    )
    alias = models.CharField(_("alias"), max_length=200)

    class Meta:
        ordering = ["alias"]
        verbose_name = _("dealer alias")
        verbose_name_plural = _("dealer aliases")
        constraints = [
            # One alias, one dealer: otherwise a lead could go to either.
            models.UniqueConstraint(Lower("alias"), name="dealer_alias_unique"),
        ]

    def __str__(self) -> str:
        return self.alias

    def clean(self) -> None:
        self.alias = " ".join(self.alias.split())


class Role(models.TextChoices):
    SALESPERSON = "salesperson", _("Salesperson")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SERVICE_ADVISOR = "service_advisor", _("Service advisor")
    DEALER_ADMIN = "dealer_admin", _("Dealer admin")
    CALL_CENTRE_AGENT = "call_centre_agent", _("Call-centre agent")
    REGIONAL_MANAGER = "regional_manager", _("OEM regional manager / auditor")
    OEM_ADMIN = "oem_admin", _("OEM admin")


# Where a role is held: at a dealer, over a region, or network-wide (the check constraint below).
DEALER_ROLES = frozenset({Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.DEALER_ADMIN})
REGION_ROLES = frozenset({Role.REGIONAL_MANAGER})
NETWORK_ROLES = frozenset({Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN})
# The groups the apps' permission rules speak of, named once here.
SALES_ROLES = frozenset({Role.SALESPERSON, Role.SALES_MANAGER})  # work leads at their dealer
DEALER_MANAGER_ROLES = frozenset({Role.SALES_MANAGER, Role.DEALER_ADMIN})  # approve, assign, run campaigns
OEM_ROLES = frozenset({Role.REGIONAL_MANAGER, Role.OEM_ADMIN, Role.CALL_CENTRE_AGENT})
OEM_OVERSIGHT_ROLES = frozenset({Role.REGIONAL_MANAGER, Role.OEM_ADMIN})  # see dealers' figures


@tracked()
class RoleAssignment(models.Model):
    """One role a user holds: at a dealer, over a region, or network-wide. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    dealer = models.ForeignKey(
        Dealer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("dealer"),
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("region"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.CheckConstraint(
                name="role_assignment_place_fits_role",
                condition=(
                    Q(role__in=sorted(DEALER_ROLES), dealer__isnull=False, region__isnull=True)
                    | Q(role__in=sorted(REGION_ROLES), dealer__isnull=True, region__isnull=False)
                    | Q(role__in=sorted(NETWORK_ROLES), dealer__isnull=True, region__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "dealer"],
                name="unique_dealer_role",
                condition=Q(dealer__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                name="unique_region_role",
                condition=Q(region__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                name="unique_network_role",
                condition=Q(dealer__isnull=True, region__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        place = self.dealer or self.region or _("network")
        return f"{self.user} · {self.get_role_display()} · {place}"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class TwoFactorDevice(models.Model):
    """A staff member's authenticator app (TOTP, RFC 6238): the second step of signing in.

    `last_counter` is the time step of the last accepted code, so a code is never accepted twice (a code
    read over a shoulder is worthless once typed). Wrong codes count in `failure_count`; past the limit
    the device refuses every code until `locked_until` (crm/network/two_factor/services.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_device"
    )
    # Base32, as authenticator apps read it; the code is derived from it, so it is never shown again.
    secret = models.CharField(max_length=64)
    last_counter = models.BigIntegerField(default=0)
    failure_count = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return str(self.user)


class RecoveryCode(models.Model):
    """One of a user's single-use codes for when the phone is lost. Only a SHA-256 of the code is stored:
    a code has 50 random bits, so a hash needs no salt or stretching to be useless to a reader of the table."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.code_hash[:8]}"


class ApiToken(models.Model):
    """A named key for the API, made by a user in the product. It authenticates as that user, so it sees
    exactly what the user sees (the same access rule and row-level security). Only a SHA-256 of the key is
    stored (the key has 256 random bits); `prefix` lets its owner tell keys apart in the list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(name="api_token_expires_after_creation", condition=Q(expires_at__gt=models.F("created_at"))),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
