"""Campaign response: a customer who answers a campaign message (anything but an opt-out) is a buying
intent. Messaging records the reply as a timeline event; this subscriber opens (or touches) the
customer's lead at the dealer that sent the campaign, attributed to that campaign, exactly once per reply
(the timeline's delivery record)."""

from django.utils.translation import gettext as _

from crm.customers.models import ContactPoint
from crm.messaging.events import MESSAGE_REPLIED
from crm.network.models import Dealer
from crm.timeline.registry import subscribe
from leads.models import Campaign, LeadSource, LeadType
from leads.services.capture import Capture, lead_capture

SUBSCRIBER = "leads.campaign_response"


def campaign_response_capture(event) -> Capture | None:
    """Open or touch a lead from a reply event. Network campaigns without a dealer open nothing: the
    reply stays on the customer's timeline for the call centre."""
    if not event.dealer_id:
        return None
    dealer = Dealer.objects.get(id=event.dealer_id)
    data = event.data
    source, _created = LeadSource.objects.get_or_create(
        code=f"campaign-response-{dealer.code}".lower()[:50],
        defaults={"name": _("Campaign responses"), "channel": LeadSource.Channel.CAMPAIGN, "dealer": dealer},
    )
    campaign, _created = Campaign.objects.get_or_create(
        code=f"msg-{data['campaign_id']}",
        defaults={"name": data.get("campaign_name") or f"#{data['campaign_id']}", "dealer": dealer},
    )
    phones = list(
        ContactPoint.objects.filter(
            customer_id=event.customer_id, kind=ContactPoint.Kind.PHONE, value=data.get("sender")
        ).values_list("value", flat=True)
    ) or [data.get("sender")]
    return lead_capture(
        dealer=dealer,
        by=None,
        name=event.customer.name,
        type=LeadType.PHONE,
        phones=[p for p in phones if p],
        source=source,
        campaign=campaign,
        external_id=f"reply-{data['reply_id']}",
        note=_("Replied to the campaign: %(body)s") % {"body": data.get("body", "")},
    )


subscribe(name=SUBSCRIBER, kinds={MESSAGE_REPLIED}, handler=campaign_response_capture)
