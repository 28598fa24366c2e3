"""The one customer record for the whole network: the person or company, how to reach them, what they
agreed to, the vehicles they own, and which dealers know them (and why)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Reverse
from django.utils.translation import gettext_lazy as _

from crm.core.history import tracked
from crm.core.names import customer_name


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    CHINESE = "zh-hans", _("Simplified Chinese")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")


# Search keys are generated columns in the C collation, compared with >= and < only: under row-level
# security PostgreSQL can use an index only for leakproof operators, and LIKE, lower() and reverse() are not.
C_COLLATION = "C"


@tracked(exclude=["name_lower"])
class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    # For a company: the person to talk to.
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=Language.choices, default=Language.CHINESE
    )
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    province = models.CharField(_("province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    street = models.CharField(_("street address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    # The dealer (if any) that first recorded the customer: it may see the row it has just inserted.
    origin_dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first recorded at"),
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    name_lower = models.GeneratedField(
        expression=Lower("name"),
        output_field=models.CharField(max_length=200, db_collation=C_COLLATION),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["name_lower", "id"], name="customer_name_prefix"),
            models.Index(fields=["-updated_at"], name="customer_recently_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                name="customer_not_merged_into_itself", condition=~Q(merged_into=models.F("id"))
            ),
            # The service refuses anything after today; the database at least refuses the absurd.
            models.CheckConstraint(
                name="customer_birthday_plausible",
                condition=Q(birthday__isnull=True) | Q(birthday__gte="1900-01-01", birthday__lte="2100-12-31"),
            ),
        ]

    def __str__(self) -> str:
        return customer_name(self)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


@tracked(exclude=["value_reversed"])
class ContactPoint(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat ID")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Phones in E.164, emails lower-cased: the form identity resolution compares.
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(_("label"), max_length=50, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_invalid = models.BooleanField(_("marked invalid"), default=False)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    # Salespeople type the last digits of a phone number: a prefix search on the reversed value.
    value_reversed = models.GeneratedField(
        expression=Reverse("value"),
        output_field=models.CharField(max_length=254, db_collation=C_COLLATION),
        db_persist=True,
    )

    class Meta:
        ordering = ["-is_primary", "kind", "id"]
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="contact_point_once_per_customer"
            ),
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(is_primary=True), name="one_primary_contact_per_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "value"], name="contact_point_lookup"),
            models.Index(fields=["kind", "value_reversed"], name="contact_point_suffix"),
        ]

    def __str__(self) -> str:
        return self.value


@tracked()
class Consent(models.Model):
    """The customer's current answer for one channel and purpose. Its history is kept by triggers."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        SERVICE = "service", _("Service and transactional")

    class Status(models.TextChoices):
        OPT_IN = "opt_in", _("Opted in")
        OPT_OUT = "opt_out", _("Opted out")

    class Source(models.TextChoices):
        SHOWROOM = "showroom", _("In person at the showroom")
        PHONE = "phone", _("On the phone")
        WEB_FORM = "web_form", _("Web form")
        IMPORT = "import", _("Imported list")
        REPLY = "reply", _("Reply to a message")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        STAFF = "staff", _("Recorded by staff")
        MERGE = "merge", _("Customer merge")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["channel", "purpose"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "purpose"], name="one_consent_per_channel_purpose"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}: {self.status}"


class CustomerDealer(models.Model):
    """A dealer knows this customer. A dealer sees a customer only through such a relationship."""

    class Reason(models.TextChoices):
        WALK_IN = "walk_in", _("Showroom visit")
        LEAD = "lead", _("Lead")
        SALE = "sale", _("Bought a vehicle")
        SERVICE = "service", _("Service visit")
        MEMBERSHIP = "membership", _("Owner club member")
        IMPORT = "import", _("Imported list")
        CALL_CENTRE = "call_centre", _("Assigned by the call centre")
        MANUAL = "manual", _("Recorded by staff")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="dealer_links")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="customer_links")
    reason = models.CharField(_("how they met"), max_length=20, choices=Reason.choices)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now=True)

    class Meta:
        ordering = ["first_seen_at"]
        verbose_name = _("dealer relationship")
        verbose_name_plural = _("dealer relationships")
        constraints = [
            models.UniqueConstraint(fields=["customer", "dealer"], name="one_link_per_customer_dealer")
        ]
        indexes = [models.Index(fields=["dealer", "customer"], name="customer_dealer_by_dealer")]

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.dealer_id}"


@tracked(exclude=["vin_reversed"])
class Vehicle(models.Model):
    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=60)
    trim = models.CharField(_("trim"), max_length=60, blank=True)
    year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    # Upper case, no spaces or separators: 沪A12345.
    plate = models.CharField(_("plate"), max_length=16, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    # The last day of its motor insurance, when the owner told us (renewal reminders count from it).
    insurance_expires_on = models.DateField(_("insurance expires"), null=True, blank=True)
    owner = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vehicles",
        verbose_name=_("owner"),
    )
    selling_dealer = models.ForeignKey(
        "network.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sold by"),
    )
    # The dealer that recorded it: it may see the vehicle even before an owner is attached.
    recorded_by_dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Service advisors type the last characters of a VIN.
    vin_reversed = models.GeneratedField(
        expression=Reverse("vin"),
        output_field=models.CharField(max_length=17, db_collation=C_COLLATION),
        db_persist=True,
    )

    class Meta:
        ordering = ["-purchase_date", "id"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        indexes = [
            models.Index(fields=["plate"], name="vehicle_plate", condition=~Q(plate="")),
            models.Index(fields=["vin_reversed"], name="vehicle_vin_suffix"),
        ]
        constraints = [
            models.CheckConstraint(
                name="vehicle_vin_is_17_chars", condition=Q(vin__regex=r"^[A-HJ-NPR-Z0-9]{17}$")
            ),
            models.CheckConstraint(
                name="vehicle_year_plausible",
                condition=Q(year__isnull=True) | Q(year__gte=1950, year__lte=2100),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.make} {self.model} {self.plate or self.vin}"


class DuplicateCandidate(models.Model):
    """Two customers that may be one person, waiting for an authorised user to merge or dismiss them."""

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not the same person")

    class Reason(models.TextChoices):
        PHONE_TAIL_AND_NAME = "phone_tail_and_name", _("Same phone ending and a similar name")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("name similarity"))
    reason = models.CharField(_("why"), max_length=200, choices=Reason.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.CheckConstraint(
                name="duplicate_pair_ordered", condition=Q(customer__lt=models.F("other"))
            ),
            models.UniqueConstraint(fields=["customer", "other"], name="duplicate_pair_once"),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="duplicate_open")]

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.other_id}"


class CustomerMerge(models.Model):
    """The audit record of a merge: who merged what into what, and everything that moved."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges")
    merged = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    # The merged customer as it was, and how many rows of each kind moved.
    snapshot = models.JSONField()
    moved = models.JSONField()

    class Meta:
        ordering = ["-merged_at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"
