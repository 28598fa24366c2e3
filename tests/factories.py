"""Factories for tests. They write network-wide, explicitly, as a management command would: row-level
security binds the suite's database role, so a factory that forgot its scope could not write at all."""

import datetime
import random
import secrets
import string

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from crm.core.scope import network_wide, scoped
from crm.customers.models import Consent, ContactPoint, Customer, CustomerDealer, Vehicle
from crm.customers.normalize import vin_check_digit
from crm.messaging.models import Campaign, MessageTemplate, Segment
from crm.messaging.services.campaigns import campaign_approve, campaign_create, campaign_submit
from crm.network.access import access_for
from crm.network.api_tokens.services import KEY_PREFIX, PREFIX_SHOWN, api_token_hash
from crm.network.models import ApiToken, Brand, Dealer, Region, Role, RoleAssignment, StaffProfile
from crm.network.services import staff_phone_set

User = get_user_model()
PASSWORD = "demo-pass-123"


class ScopedFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with network_wide(reason="test factory"):
            return super()._create(model_class, *args, **kwargs)


class RegionFactory(ScopedFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"region-{n}")
    name = factory.Sequence(lambda n: f"Region {n}")


class BrandFactory(ScopedFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("code",)

    code = "aurora"
    name = "Aurora"
    is_oem_brand = True


class DealerFactory(ScopedFactory):
    class Meta:
        model = Dealer
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"Dealer {n}")
    region = factory.SubFactory(RegionFactory)
    city = "Shanghai"

    @factory.post_generation
    def brands(self, create, extracted, **kwargs):
        if create:
            with network_wide(reason="test factory"):
                self.brands.add(*(extracted or [BrandFactory()]))


class UserFactory(ScopedFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)
    first_name = factory.Sequence(lambda n: f"First{n}")

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create:
            StaffProfile.objects.get_or_create(user=self, defaults={"language": extracted or "en"})


def staff(
    role: str, *, dealer: Dealer | None = None, region: Region | None = None, username: str | None = None
):
    """A user holding `role` at `dealer`, over `region`, or network-wide."""
    user = UserFactory(**({"username": username} if username else {}))
    with network_wide(reason="test factory"):
        RoleAssignment.objects.create(user=user, role=role, dealer=dealer, region=region)
    return user


def random_cn_mobile() -> str:
    return "+86139" + "".join(random.choices(string.digits, k=8))


class CustomerFactory(ScopedFactory):
    """A customer known to `dealer` (if given), with one mobile number."""

    class Meta:
        model = Customer

    dealer = None
    phone = factory.LazyFunction(random_cn_mobile)
    name = factory.Faker("name", locale="zh_CN")
    origin_dealer = factory.LazyAttribute(lambda o: o.dealer)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        dealer = kwargs.pop("dealer", None)
        phone = kwargs.pop("phone", None)
        with network_wide(reason="test factory"):
            customer = model_class.objects.create(*args, **kwargs)
            if dealer is not None:
                CustomerDealer.objects.create(
                    customer=customer, dealer=dealer, reason=CustomerDealer.Reason.WALK_IN
                )
            if phone:
                ContactPoint.objects.create(
                    customer=customer, kind=ContactPoint.Kind.PHONE, value=phone, is_primary=True
                )
        return customer


def make_vin(prefix: str = "LSVAB4BR", serial: int | None = None) -> str:
    """A VIN with a correct check digit (China and North America check position 9)."""
    serial = serial if serial is not None else random.randint(0, 999_999)
    vin = f"{prefix[:8]}0NA{serial:06d}"  # position 9 ("0") is replaced by the computed check digit
    return vin[:8] + vin_check_digit(vin) + vin[9:]


class VehicleFactory(ScopedFactory):
    class Meta:
        model = Vehicle

    vin = factory.Sequence(lambda n: make_vin(serial=n))
    make = "Aurora"
    model = "A6"
    year = 2024
    plate = factory.Sequence(lambda n: f"沪A{n:05d}")


# --- The funnel -------------------------------------------------------------------------------------------
# Leads are built through the services (capture, visit log), inside the scope the real caller would have,
# so a factory-made lead carries the same clock, follow-up and timeline as one from the product.


def lead_source(
    dealer=None, *, code: str | None = None, name: str = "Dealer website", channel: str = "web_form", **extra
):
    """A lead source of `dealer` (or the OEM's own when `dealer` is None); the same code returns the same one."""
    from leads.models import LeadSource

    code = code or (f"web-{dealer.code}" if dealer is not None else "oem-web")
    with network_wide(reason="test factory"):
        source, _created = LeadSource.objects.get_or_create(
            code=code, defaults={"name": name, "channel": channel, "dealer": dealer, **extra}
        )
    return source


_DEALER_WEBSITE = object()


def web_lead(
    dealer,
    *,
    phone: str | None = None,
    name: str = "Prospect",
    owner=None,
    arrived_at=None,
    hours_ago: float | None = None,
    source=_DEALER_WEBSITE,
    type: str | None = None,  # noqa: A002 - the lead's field
    models=(),
):
    """An internet lead (its first-response clock running) captured as public intake captures it: in the
    dealer's scope, by nobody. `hours_ago` is a shorthand for `arrived_at`; the source is the dealer's website
    unless another (or None) is given."""
    from datetime import timedelta

    from django.utils import timezone

    from crm.core.scope import Scope, scoped
    from leads.models import LeadType
    from leads.services import lead_capture

    if hours_ago is not None:
        arrived_at = timezone.now() - timedelta(hours=hours_ago)
    with scoped(Scope.dealers([dealer.id])):
        return lead_capture(
            dealer=dealer,
            by=None,
            name=name,
            type=type or LeadType.INTERNET,
            phones=[phone or random_cn_mobile()],
            source=lead_source(dealer) if source is _DEALER_WEBSITE else source,
            owner=owner,
            models_of_interest=list(models),
            **({"arrived_at": arrived_at} if arrived_at is not None else {}),
        ).lead


def walk_in(
    seller,
    dealer,
    *,
    phone: str | None = None,
    name: str = "Walk-in",
    grade: str = "",
    arrived_at=None,
    models=(),
):
    """A showroom visit logged by `seller`: a lead they own, with its call the next morning."""
    from crm.core.scope import scoped
    from crm.network.access import access_for
    from leads.services import visit_log

    with scoped(access_for(seller).scope):
        return visit_log(
            by=seller,
            dealer=dealer,
            phone=phone or random_cn_mobile(),
            name=name,
            grade=grade,
            models_of_interest=list(models),
            **({"arrived_at": arrived_at} if arrived_at is not None else {}),
        ).lead


# --- The brand model catalogue (crm.network) ---------------------------------------------------------------


class BrandModelFactory(ScopedFactory):
    class Meta:
        model = "network.BrandModel"
        django_get_or_create = ("brand", "code")

    brand = factory.SubFactory(BrandFactory)
    code = factory.Sequence(lambda n: f"M{n}")
    name = factory.LazyAttribute(lambda model: model.code)
    aliases = factory.LazyFunction(list)


# --- Messaging: customers who agreed to be contacted, templates, approved campaigns -------------------------


def consent_give(customer, *, channel: str, purpose: str = "marketing", status: str = "opt_in") -> None:
    with network_wide(reason="test"):
        Consent.objects.update_or_create(
            customer=customer,
            channel=channel,
            purpose=purpose,
            defaults={"status": status, "source": Consent.Source.SHOWROOM, "recorded_at": timezone.now()},
        )


def customer_with(
    dealer,
    *,
    sms: bool = True,
    email: str | None = None,
    phone: str | None = None,
    language: str = "zh-hans",
    **fields,
):
    kwargs = {"dealer": dealer, "preferred_language": language, **fields}
    if phone:
        kwargs["phone"] = phone
    customer = CustomerFactory(**kwargs)
    if email:
        with network_wide(reason="test"):
            ContactPoint.objects.create(customer=customer, kind="email", value=email, is_primary=True)
    if sms:
        consent_give(customer, channel="sms")
    if email:
        consent_give(customer, channel="email")
    return customer


def template_make(
    *,
    dealer=None,
    channel="sms",
    purpose="marketing",
    body_zh="{{ customer.name }}，您好！",
    body_en="Hello {{ customer.name }}!",
    subject_en="",
    subject_zh="",
) -> MessageTemplate:
    with network_wide(reason="test"):
        return MessageTemplate.objects.create(
            dealer=dealer,
            name=f"{channel} {purpose}",
            channel=channel,
            purpose=purpose,
            body_en=body_en,
            body_zh=body_zh,
            subject_en=subject_en or "Offer",
            subject_zh=subject_zh or "优惠",
        )


def managers(dealer):
    return staff(Role.SALES_MANAGER, dealer=dealer), staff(Role.DEALER_ADMIN, dealer=dealer)


def campaign_running(*, dealer, template, filters=None, scheduled_at=None) -> Campaign:
    """A dealer campaign created by one manager and approved by another: it starts sending at once."""
    creator, approver = managers(dealer)
    with network_wide(reason="test"):
        segment = Segment.objects.create(dealer=dealer, name="all", filters=filters or {})
    campaign = campaign_create(
        by=creator, name="Spring offer", segment=segment, template=template, scheduled_at=scheduled_at
    )
    campaign_submit(campaign=campaign, by=creator)
    return campaign_approve(campaign=campaign, by=approver)


def contact_witnessed(lead, by, *, at, answered: bool = True, duration_seconds: int = 60):
    """A contact the system witnessed: a click-to-call from `by` (given a phone if they have none) to the
    lead's number, answered for `duration_seconds`, with the provider's record (leads/verification.py)."""
    from leads.services import call_history_record

    if not StaffProfile.objects.filter(user=by).exclude(phone="").exists():
        staff_phone_set(user=by, phone=f"+86138{by.pk % 100000000:08d}")
    with scoped(access_for(by).scope):
        return call_history_record(
            lead=lead, by=by, started_at=at, answered=answered, duration_seconds=duration_seconds
        )


def api_token(user, *, name: str = "Test integration", days: int = 30) -> str:
    """A live API token for `user`, whatever their role (the product's page makes them for admins only:
    crm.network.api_tokens.services.api_token_create). Returns the plain key."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_SHOWN],
        key_hash=api_token_hash(key),
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return key
