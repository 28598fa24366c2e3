"""Care messages on the customer's occasions: birthdays and purchase anniversaries here; later apps
register their own occasions (maintenance due, insurance renewal, survey invitation) with
`crm.messaging.registry.care_trigger_register`. Each (programme, customer, day) is one outbox row, so
reruns never send twice; a trigger that names its occasions (`CareTrigger.occasions`) is keyed by the
occasion instead of the day, so an occasion due on several days is still one message."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.scope import network_wide
from crm.customers.models import Customer, CustomerDealer, Vehicle
from crm.messaging.exceptions import PlaceholderMissing, PlaceholderUnknown
from crm.messaging.models import CareProgram, OutboxMessage
from crm.messaging.registry import CareTrigger, care_trigger_get, care_trigger_register
from crm.messaging.selectors.recipients import recipient_addresses, recipient_values
from crm.messaging.services.outbox import outbox_wake_after_commit
from crm.messaging.services.rendering import message_render


def _at_dealer(customers: QuerySet[Customer], dealer_id: int | None) -> QuerySet[Customer]:
    customers = customers.filter(merged_into__isnull=True)
    if dealer_id is None:
        return customers
    return customers.filter(
        Exists(CustomerDealer.objects.filter(customer=OuterRef("pk"), dealer_id=dealer_id))
    )


care_trigger_register(
    CareTrigger(
        key="birthday",
        label=_("Birthday"),
        due=lambda day, dealer_id: _at_dealer(
            Customer.objects.filter(birthday__month=day.month, birthday__day=day.day), dealer_id
        ),
    )
)
care_trigger_register(
    CareTrigger(
        key="purchase_anniversary",
        label=_("Purchase anniversary"),
        due=lambda day, dealer_id: _at_dealer(
            Customer.objects.filter(
                Exists(
                    Vehicle.objects.filter(
                        owner=OuterRef("pk"),
                        purchase_date__month=day.month,
                        purchase_date__day=day.day,
                        purchase_date__year__lt=day.year,
                        **({"selling_dealer_id": dealer_id} if dealer_id else {}),
                    )
                )
            ),
            dealer_id,
        ),
    )
)


def care_programs_run(*, now: datetime | None = None) -> int:
    """Run every active programme whose send hour has come today in its dealer's time zone and that has
    not run today. Returns how many messages were listed."""
    now = now or timezone.now()
    listed = 0
    with network_wide(reason="care messages"):
        for program in (
            CareProgram.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("template", "dealer")
            .filter(is_active=True)
        ):
            zone = ZoneInfo(
                program.dealer.time_zone if program.dealer else settings.MESSAGING_DEFAULT_TIME_ZONE
            )
            local = now.astimezone(zone)
            if local.hour < program.send_hour or program.last_run_on == local.date():
                continue
            trigger = care_trigger_get(program.trigger)
            if trigger is None:
                continue
            listed += _program_list(program, trigger, local.date())
            program.last_run_on = local.date()
            program.save(update_fields=["last_run_on"])
    return listed


def _program_list(program: CareProgram, trigger: CareTrigger, day: date) -> int:
    template = program.template
    customers = list(
        trigger.due(day, program.dealer_id).only(
            "id", "name", "city", "preferred_language", "origin_dealer_id"
        )
    )
    dealer_by_customer = {c.id: program.dealer_id or c.origin_dealer_id for c in customers}
    addresses = recipient_addresses(customer_ids=[c.id for c in customers], channel=template.channel)
    values = recipient_values(customers=customers, dealer_by_customer=dealer_by_customer)
    occasions = trigger.occasions([c.id for c in customers], day, program.dealer_id) if trigger.occasions else {}
    purpose = trigger.purpose or template.purpose
    messages = []
    for customer in customers:
        occasion = occasions.get(customer.id)
        if trigger.occasions and occasion is None:
            continue
        key = f"care:{program.id}:{customer.id}:{occasion.key if occasion else day.isoformat()}"[:160]
        message = OutboxMessage(
            idempotency_key=key,
            kind=f"care.{program.trigger}",
            channel=template.channel,
            purpose=purpose,
            customer_id=customer.id,
            dealer_id=dealer_by_customer[customer.id],
            language=customer.preferred_language or "en",
            recipient=addresses.get(customer.id, ""),
            scheduled_at=timezone.now(),
            is_bulk=True,
        )
        occasion_day = occasion.on if occasion and occasion.on else day
        row_values = {**values.get(customer.id, {}), "occasion.date": occasion_day.isoformat()}
        try:
            message.subject, message.body_text, message.body_html = message_render(
                template=template,
                language=message.language,
                values=row_values,
                idempotency_key=key,
                channel=template.channel,
                purpose=purpose,
            )
        except (PlaceholderMissing, PlaceholderUnknown) as error:
            message.status, message.reason = (
                OutboxMessage.Status.SUPPRESSED,
                OutboxMessage.Reason.UNKNOWN_PLACEHOLDER
                if isinstance(error, PlaceholderUnknown)
                else OutboxMessage.Reason.MISSING_PLACEHOLDER,
            )
            message.last_error = str(error)
        if not message.recipient and message.status == OutboxMessage.Status.QUEUED:
            message.status, message.reason = OutboxMessage.Status.SUPPRESSED, OutboxMessage.Reason.NO_ADDRESS
        messages.append(message)
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    if messages:
        outbox_wake_after_commit(channel=template.channel, bulk=True)
    return len(messages)
