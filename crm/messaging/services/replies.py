"""What comes back: delivery receipts, replies (an opt-out word withdraws consent at once) and one-click
unsubscribes. All arrive from outside without a user, so each states its network-wide scope.

A gateway writes numbers as it likes ("13900710001", "+86 139 0071 0001", "008613900710001"); every number
that comes in goes through the same normalisation as every other phone (E.164 in DEFAULT_PHONE_REGION),
so it meets the contact points and the outbox rows it belongs to."""

import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.exceptions import InvalidPhone
from crm.customers.models import Consent, ContactPoint, Customer
from crm.customers.normalize import phone_normalize
from crm.customers.services.records import consent_record
from crm.messaging import events
from crm.messaging.models import Campaign, InboundMessage, OutboxMessage
from crm.messaging.registry import is_outcome_watched
from crm.messaging.services.campaigns import campaign_summaries_outdate
from crm.timeline.services import event_record

# "TD"/"T" (退订) in China, STOP elsewhere; matched on the whole reply, case- and space-insensitively.
OPT_OUT_WORDS = frozenset({"TD", "T", "N", "退订", "STOP", "UNSUBSCRIBE", "STOPALL", "CANCEL", "END", "QUIT"})
REPLY_WINDOW = timedelta(days=14)


def is_opt_out(body: str) -> bool:
    word = re.sub(r"[\s\.。!！]+", "", body or "").upper()
    return word in OPT_OUT_WORDS


def phone_from_outside(raw: str) -> str:
    """A number as a gateway wrote it, in E.164 like every stored phone; kept as written (trimmed) when it
    is no phone number at all (a short code, an alphanumeric sender), so it still matches itself."""
    try:
        return phone_normalize(raw)
    except InvalidPhone:
        return (raw or "").strip()


def receipt_record(
    *, provider_message_id: str, idempotency_key: str, status: str, error: str = "", recipient: str = ""
) -> bool:
    """A provider's delivery receipt. Matched by our idempotency key (the client reference), which exists
    before our own "sent" write lands; a receipt without one is matched by the provider's message id and,
    when it names the number, that number too (another account's ids cannot touch our rows). Returns
    False when no message matches."""
    with network_wide(reason="messaging: delivery receipt"):
        if idempotency_key:
            messages = OutboxMessage.objects.filter(idempotency_key=idempotency_key)
        elif provider_message_id:
            messages = OutboxMessage.objects.filter(provider_message_id=provider_message_id)
            if recipient.strip():
                messages = messages.filter(recipient=phone_from_outside(recipient))
        else:
            return False
        now = timezone.now()
        if status == "delivered":
            updated = messages.filter(status__in=["sending", "sent", "uncertain"]).update(
                status=OutboxMessage.Status.DELIVERED,
                delivered_at=now,
                provider_message_id=provider_message_id,
            )
            messages.filter(sent_at__isnull=True).update(sent_at=now)
        else:
            updated = messages.filter(status__in=["sending", "sent", "uncertain", "delivered"]).update(
                status=OutboxMessage.Status.FAILED,
                last_error=f"provider: {error or status}"[:2000],
                provider_message_id=provider_message_id,
            )
        if updated:
            campaign_summaries_outdate(campaign_ids=messages.values_list("campaign_id", flat=True))
            _outcomes_tell(messages, delivered=status == "delivered")
        return bool(updated) or messages.exists()


def _outcomes_tell(messages, *, delivered: bool) -> None:
    """A timeline event for each message of a watched kind (registry.outcome_watch_register) whose outcome
    this receipt changed, in the receipt's transaction."""
    status = OutboxMessage.Status.DELIVERED if delivered else OutboxMessage.Status.FAILED
    for message in messages.filter(status=status, customer__isnull=False).only(
        "id", "kind", "channel", "customer_id", "dealer_id"
    ):
        if is_outcome_watched(message.kind):
            event_record(
                customer_id=message.customer_id,
                kind=events.MESSAGE_DELIVERED if delivered else events.MESSAGE_FAILED,
                dealer_id=message.dealer_id,
                data={"message_id": message.id, "channel": message.channel},
            )


@transaction.atomic
def reply_record(
    *, sender: str, body: str, provider_message_id: str = "", received_at=None
) -> InboundMessage:
    """Store a reply and attribute it to the last message we sent that number. An opt-out word withdraws
    SMS marketing consent of every customer with this number, before this function returns. The sender is
    normalised first, whatever format the gateway used."""
    sender = phone_from_outside(sender)
    with network_wide(reason="messaging: inbound reply"):
        if provider_message_id:
            existing = InboundMessage.objects.filter(provider_message_id=provider_message_id).first()
            if existing is not None:
                return existing
        now = timezone.now()
        last = (
            OutboxMessage.objects.filter(recipient=sender, channel="sms", sent_at__gte=now - REPLY_WINDOW)
            .order_by("-id")
            .only("id", "customer_id", "dealer_id", "campaign_id")
            .first()
        )
        opt_out = is_opt_out(body)
        customer_ids = set(
            ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, value=sender).values_list(
                "customer_id", flat=True
            )
        )
        reply = InboundMessage.objects.create(
            sender=sender,
            body=body[:2000],
            received_at=received_at or now,
            provider_message_id=provider_message_id,
            customer_id=(last.customer_id if last else None) or (min(customer_ids) if customer_ids else None),
            dealer_id=last.dealer_id if last else None,
            in_reply_to_id=last.id if last else None,
            campaign_id=last.campaign_id if last else None,
            is_opt_out=opt_out,
        )
        if not opt_out and last is not None and last.campaign_id and reply.customer_id:
            event_record(
                customer_id=reply.customer_id,
                kind=events.MESSAGE_REPLIED,
                dealer_id=last.dealer_id,
                data={
                    "reply_id": reply.id,
                    "campaign_id": last.campaign_id,
                    "campaign_name": Campaign.objects.filter(id=last.campaign_id)
                    .values_list("name", flat=True)
                    .first(),
                    "body": reply.body[:300],
                    "sender": sender,
                },
            )
        elif not opt_out and last is not None and reply.customer_id and reply.dealer_id:
            event_record(
                customer_id=reply.customer_id,
                kind=events.MESSAGE_RECEIVED,
                dealer_id=reply.dealer_id,
                data={"reply_id": reply.id, "sender": sender, "body": reply.body[:300]},
            )
        if opt_out:
            for customer in Customer.objects.filter(id__in=customer_ids, merged_into__isnull=True):
                consent_record(
                    customer=customer,
                    channel="sms",
                    purpose=Consent.Purpose.MARKETING,
                    status=Consent.Status.OPT_OUT,
                    source=Consent.Source.REPLY,
                )
            if last is not None:
                OutboxMessage.objects.filter(id=last.id).update(opted_out_at=now)
        return reply


@transaction.atomic
def unsubscribe_record(*, idempotency_key: str) -> OutboxMessage | None:
    """One-click unsubscribe from a marketing email: marketing consent on the channel is withdrawn at once."""
    with network_wide(reason="messaging: unsubscribe link"):
        message = (
            OutboxMessage.objects.filter(idempotency_key=idempotency_key).select_related("customer").first()
        )
        if message is None or message.customer is None:
            return None
        consent_record(
            customer=message.customer,
            channel=message.channel,
            purpose=Consent.Purpose.MARKETING,
            status=Consent.Status.OPT_OUT,
            source=Consent.Source.UNSUBSCRIBE,
        )
        if message.opted_out_at is None:
            message.opted_out_at = timezone.now()
            message.save(update_fields=["opted_out_at"])
        return message
