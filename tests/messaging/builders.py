"""Arrangements shared by the messaging tests: customers with consents, segments, approved campaigns."""

from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Consent, ContactPoint
from crm.messaging.models import Campaign, MessageTemplate, Segment
from crm.messaging.services.campaigns import campaign_approve, campaign_create, campaign_submit
from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, staff


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


def dealer_make(**kwargs):
    return DealerFactory(**kwargs)
