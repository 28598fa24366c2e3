"""Satisfaction surveys: building questionnaires, inviting customers after a delivery or a settled repair
order, recording their one response, and turning a low score into one complaint.

Guarantees
- An invitation is created at most once per timeline event (the subscriber's delivery row, and a unique
  key on the event), inside the subscriber's transaction; its message is an outbox row written in the same
  transaction, so a crash never sends without an invitation nor records one that was never queued.
- The version sent and who is judged (dealer, salesperson or advisor, model) are copied onto the
  invitation then, and never recomputed.
- At most one survey per customer per SURVEY_FATIGUE_DAYS: invitations for one customer are created under
  a per-customer advisory lock, so two events at the same moment cannot both pass the check.
- One response per invitation: the invitation row is locked, and the response's one-to-one key refuses a
  second one even if the lock were skipped. A second submission raises SurveyAlreadyAnswered (409), a
  link past its date SurveyExpired (410).
- A low response is marked complaint-due once, and `_open_complaint_for` opens at most one complaint for
  it (the response row is locked and its complaint id is set once, under a unique key).
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.customers.models import ContactPoint, Customer, Vehicle
from crm.messaging.models import Channel, Purpose
from crm.messaging.services.outbox import message_enqueue
from crm.messaging.services.rules import consent_reasons, record_reasons
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.timeline.services import event_record
from loyalty import events
from loyalty.exceptions import (
    SurveyAlreadyAnswered,
    SurveyAnswersInvalid,
    SurveyExpired,
)
from loyalty.models import (
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
)
from loyalty.permissions import can_record_survey_call_back, require
from loyalty.services.questionnaires import current_version
from service.care.services import complaint_open
from service.models import Complaint

logger = logging.getLogger(__name__)

LINK_SALT = "loyalty.surveys.link"
# First key of the per-customer advisory locks of the fatigue rule (messaging's cap uses 7301).
FATIGUE_LOCK_SPACE = 7401
TEXT_ANSWER_MAX = 2000
NPS_DETRACTOR_MAX = 6
NPS_PROMOTER_MIN = 9

Status = SurveyInvitation.Status


# --- Links -----------------------------------------------------------------------------------------------


def survey_token(invitation: SurveyInvitation) -> str:
    """The signed value of the invitation's link: its id and its random nonce (no login needed)."""
    return signing.dumps({"i": invitation.id, "n": invitation.nonce}, salt=LINK_SALT, compress=True)


def survey_token_read(token: str) -> tuple[int, str] | None:
    """(invitation id, nonce) from a link, or None when the link was tampered with or is not one of ours."""
    try:
        value = signing.loads(token, salt=LINK_SALT)
        return int(value["i"]), str(value["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def survey_url(invitation: SurveyInvitation) -> str:
    path = reverse("loyalty:surveys:answer", args=[survey_token(invitation)])
    return settings.SITE_URL.rstrip("/") + path


# --- Invitations ----------------------------------------------------------------------------------------


def _lock_customer(customer_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [FATIGUE_LOCK_SPACE, customer_id])


def customer_recently_surveyed(*, customer_id: int, now: datetime) -> bool:
    """The fatigue rule: an invitation that went out (or was answered) within SURVEY_FATIGUE_DAYS."""
    since = now - timedelta(days=settings.SURVEY_FATIGUE_DAYS)
    return SurveyInvitation.objects.filter(
        customer_id=customer_id, created_at__gte=since, status__in=[Status.SENT, Status.ANSWERED]
    ).exists()


def staff_contact_change(*, customer_id: int, now: datetime) -> tuple[datetime, int | None] | None:
    """The latest change a signed-in staff member made to the customer's phone numbers or e-mails within
    SURVEY_CONTACT_CHANGE_DAYS (as PostgreSQL's history triggers recorded it), or None. A contact point
    added when the record was created is not a change."""
    since = now - timedelta(days=settings.SURVEY_CONTACT_CHANGE_DAYS)
    customer_created = Customer.objects.filter(id=customer_id).values_list("created_at", flat=True).first()
    history = apps.get_model("customers", "ContactPointEvent")
    rows = (
        history.objects.filter(
            customer_id=customer_id,
            pgh_created_at__gte=since,
            kind__in=[ContactPoint.Kind.PHONE, ContactPoint.Kind.EMAIL],
            pgh_context__metadata__has_key="user",
        )
        .exclude(pgh_context__metadata__user=None)
        .order_by("-pgh_created_at")
        .values_list("pgh_label", "pgh_created_at", "pgh_context__metadata")
    )
    for label, at, metadata in rows[:20]:
        if label == "insert" and customer_created and at - customer_created < timedelta(hours=1):
            continue
        user_id = metadata.get("user")
        return at, int(user_id) if isinstance(user_id, int | str) and str(user_id).isdigit() else None
    return None


def _reachable(customer: Customer) -> tuple[str, str] | None:
    """(channel, address) for the survey: the customer's preferred of SMS and e-mail first, on a primary
    contact point not marked invalid, where they have not opted out of service messages."""
    order = [Channel.EMAIL, Channel.SMS] if customer.preferred_channel == "email" else [Channel.SMS, Channel.EMAIL]
    points = dict(
        ContactPoint.objects.filter(customer=customer, is_primary=True, is_invalid=False).values_list(
            "kind", "value"
        )
    )
    for channel in order:
        address = points.get(ContactPoint.Kind.PHONE if channel == Channel.SMS else ContactPoint.Kind.EMAIL)
        if not address:
            continue
        blocked = consent_reasons(customer_ids=[customer.id], channel=channel, purpose=Purpose.SERVICE)
        blocked |= record_reasons(recipients={customer.id: address}, channel=channel)
        if customer.id not in blocked:
            return channel, address
    return None


def _message_text(invitation: SurveyInvitation, dealer: Dealer, *, reminder: bool) -> tuple[str, str]:
    """(subject, body) in the customer's language."""
    values = {
        "dealer": dealer.name,
        "model": invitation.model or _("car"),
        "url": survey_url(invitation),
        "date": timezone.localtime(invitation.expires_at).date().isoformat(),
    }
    with translation.override(invitation.language):
        if reminder:
            body = _("%(dealer)s: a reminder, your opinion counts. The survey closes on %(date)s: %(url)s")
        elif invitation.kind == SurveyKind.SSI:
            body = _("%(dealer)s: thank you for choosing us. How was the delivery of your %(model)s? One minute: %(url)s")
        elif invitation.kind == SurveyKind.CSI:
            body = _("%(dealer)s: how was your service visit? Tell us in one minute: %(url)s")
        else:
            body = _("%(dealer)s: would you recommend us? Tell us in one minute: %(url)s")
        subject = _("%(dealer)s: how did we do?") % values
        return subject, body % values


def invitation_create(
    *,
    kind: str,
    dealer_id: int,
    customer_id: int,
    salesperson_id: int | None = None,
    advisor_id: int | None = None,
    vehicle_id: int | None = None,
    model: str = "",
    lead_id: int | None = None,
    repair_order_id: int | None = None,
    source_event_id: int | None = None,
    occasion: str = "",
    now: datetime | None = None,
) -> SurveyInvitation | None:
    """Invite the customer to the active questionnaire of `kind`, judging who is named here, and queue the
    message (SMS or e-mail, their language, a signed link valid SURVEY_LINK_VALID_DAYS). Returns None when
    no questionnaire of that kind is active, or when the event (or the occasion) already has its invitation.

    The invitation is recorded even when it is not sent (surveyed within SURVEY_FATIGUE_DAYS; no phone or
    e-mail we may use), with why, so the statistics and the call-back list see it. A staff change to the
    customer's contact points shortly before is flagged on it. Runs in the caller's transaction (the
    timeline subscriber's), which must see the customer's rows."""
    now = now or timezone.now()
    version = current_version(kind)
    if version is None:
        logger.info("no active %s questionnaire: customer %s not surveyed", kind, customer_id)
        return None
    with transaction.atomic():
        _lock_customer(customer_id)
        if source_event_id is not None and SurveyInvitation.objects.filter(source_event_id=source_event_id).exists():
            return None
        if occasion and SurveyInvitation.objects.filter(occasion=occasion).exists():
            return None
        customer = Customer.objects.get(id=customer_id)
        while customer.merged_into_id is not None:
            customer = Customer.objects.get(id=customer.merged_into_id)
        dealer = Dealer.objects.get(id=dealer_id)
        language = "zh-hans" if customer.preferred_language.startswith("zh") else "en"
        invitation = SurveyInvitation(
            dealer_id=dealer_id,
            customer=customer,
            kind=kind,
            version=version,
            salesperson_id=salesperson_id,
            advisor_id=advisor_id,
            vehicle_id=vehicle_id,
            model=model[:100],
            lead_id=lead_id,
            repair_order_id=repair_order_id,
            source_event_id=source_event_id,
            occasion=occasion[:60],
            nonce=secrets.token_hex(16),
            language=language,
            created_at=now,
            expires_at=now + timedelta(days=settings.SURVEY_LINK_VALID_DAYS),
        )
        reachable = _reachable(customer)
        if customer_recently_surveyed(customer_id=customer.id, now=now):
            invitation.status = Status.SKIPPED_FATIGUE
        elif reachable is None:
            invitation.status = Status.UNREACHABLE
        else:
            invitation.status = Status.SENT
            invitation.channel = reachable[0]
        change = staff_contact_change(customer_id=customer.id, now=now)
        if change is not None:
            invitation.contact_changed_at, invitation.contact_changed_by_id = change
        invitation.save()
        if invitation.status == Status.SENT:
            channel, address = reachable
            subject, body = _message_text(invitation, dealer, reminder=False)
            invitation.message = message_enqueue(
                idempotency_key=f"survey:{invitation.id}:invite",
                kind="survey_invitation",
                channel=channel,
                purpose=Purpose.SERVICE,
                recipient=address,
                subject=subject if channel == Channel.EMAIL else "",
                body_text=body,
                customer_id=customer.id,
                dealer_id=dealer_id,
                language=language,
                scheduled_at=now,
            )
            invitation.save(update_fields=["message"])
        if invitation.status != Status.SKIPPED_FATIGUE:
            event_record(
                customer_id=customer.id,
                kind=events.SURVEY_SENT,
                dealer_id=dealer_id,
                occurred_at=now,
                data={
                    "invitation": invitation.id,
                    "survey": kind,
                    "status": invitation.status,
                    "channel": invitation.channel,
                },
            )
    return invitation


def invitation_for_delivery(event) -> SurveyInvitation | None:
    """Timeline subscriber: a car was delivered (leads' lead.delivered). The salesperson judged is the
    lead's owner at this moment."""
    from leads.models import Lead

    data = event.data or {}
    salesperson_id = Lead.objects.filter(id=data.get("lead")).values_list("owner_id", flat=True).first()
    return invitation_create(
        kind=SurveyKind.SSI,
        dealer_id=event.dealer_id,
        customer_id=event.customer_id,
        salesperson_id=salesperson_id,
        vehicle_id=data.get("vehicle"),
        model=str(data.get("model") or ""),
        lead_id=data.get("lead"),
        source_event_id=event.id,
    )


def invitation_for_repair_order(event) -> SurveyInvitation | None:
    """Timeline subscriber: a repair order was settled (service.repair_order_settled). The advisor judged
    is the order's advisor as the event recorded it."""
    data = event.data or {}
    vehicle_id = data.get("vehicle")
    model = Vehicle.objects.filter(id=vehicle_id).values_list("model", flat=True).first() or ""
    return invitation_create(
        kind=SurveyKind.CSI,
        dealer_id=event.dealer_id,
        customer_id=event.customer_id,
        advisor_id=data.get("advisor"),
        vehicle_id=vehicle_id,
        model=model,
        repair_order_id=data.get("repair_order"),
        source_event_id=event.id,
    )


def nps_invitations_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The NPS-only surveys that are due (the daily beat job; the caller states a network-wide scope):

    - SURVEY_NPS_AFTER_DELIVERY_DAYS after a delivery (within the last week of such days, so a missed night is
      caught up): the delivering dealer and the salesperson who owned the lead are judged;
    - every club member once per SURVEY_NPS_MEMBER_PERIOD_DAYS of membership, judging the home dealer.

    Each through invitation_create (fatigue rule, reachability, the outbox), keyed by its occasion, so a
    second run the same day, or a run that overlaps, invites nobody twice. Returns the invitations created."""
    from leads.models import Order
    from loyalty.models import Member

    now = now or timezone.now()
    if current_version(SurveyKind.NPS) is None:
        return 0
    created = 0
    after = settings.SURVEY_NPS_AFTER_DELIVERY_DAYS
    if after > 0:
        due_until = now - timedelta(days=after)
        orders = (
            Order.objects.filter(
                status=Order.Status.DELIVERED, delivered_at__lte=due_until, delivered_at__gt=due_until - timedelta(days=7)
            )
            .exclude(id__in=_occasion_ids("nps:order:"))
            .select_related("lead")
            .order_by("delivered_at", "id")[:limit]
        )
        for order in orders:
            invitation = invitation_create(
                kind=SurveyKind.NPS, dealer_id=order.dealer_id, customer_id=order.lead.customer_id,
                salesperson_id=order.lead.owner_id, vehicle_id=order.vehicle_id, model=order.model,
                lead_id=order.lead_id, occasion=f"nps:order:{order.id}", now=now,
            )  # fmt: skip
            created += invitation is not None
    period = settings.SURVEY_NPS_MEMBER_PERIOD_DAYS
    if period > 0:
        members = (
            Member.objects.filter(merged_into__isnull=True, joined_at__lte=now - timedelta(days=period))
            .exclude(
                customer_id__in=SurveyInvitation.objects.filter(
                    kind=SurveyKind.NPS, occasion__startswith="nps:member:", created_at__gt=now - timedelta(days=period)
                ).values("customer_id")
            )
            .order_by("id")
            .values_list("id", "customer_id", "home_dealer_id", "joined_at")[: max(limit - created, 0)]
        )
        for member_id, customer_id, dealer_id, joined_at in members:
            number = (now - joined_at).days // period
            invitation = invitation_create(
                kind=SurveyKind.NPS, dealer_id=dealer_id, customer_id=customer_id,
                occasion=f"nps:member:{member_id}:{number}", now=now,
            )  # fmt: skip
            created += invitation is not None
    return created


def _occasion_ids(prefix: str):
    """The ids in the occasions already invited for with this prefix ("nps:order:" → order ids)."""
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast, Substr

    return (
        SurveyInvitation.objects.filter(occasion__startswith=prefix)
        .annotate(subject=Cast(Substr("occasion", len(prefix) + 1), BigIntegerField()))
        .values("subject")
    )


def invitations_remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """One reminder, SURVEY_REMINDER_AFTER_DAYS after sending, to invitations still unanswered and valid.
    Safe to run twice or concurrently: each invitation is claimed by a conditional update, and the
    reminder's outbox key is unique. Returns how many reminders were queued."""
    now = now or timezone.now()
    due_before = now - timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)
    queued = 0
    candidates = list(
        SurveyInvitation.objects.filter(
            status=Status.SENT, reminded_at__isnull=True, created_at__lte=due_before, expires_at__gt=now
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for invitation_id in candidates:
        with transaction.atomic():
            invitation = (
                SurveyInvitation.objects.select_for_update(skip_locked=True)
                .filter(id=invitation_id, status=Status.SENT, reminded_at__isnull=True)
                .select_related("dealer", "customer")
                .first()
            )
            if invitation is None:
                continue
            reachable = _reachable(invitation.customer)
            invitation.reminded_at = now
            if reachable is not None:
                channel, address = reachable
                subject, body = _message_text(invitation, invitation.dealer, reminder=True)
                invitation.reminder = message_enqueue(
                    idempotency_key=f"survey:{invitation.id}:reminder",
                    kind="survey_reminder",
                    channel=channel,
                    purpose=Purpose.SERVICE,
                    recipient=address,
                    subject=subject if channel == Channel.EMAIL else "",
                    body_text=body,
                    customer_id=invitation.customer_id,
                    dealer_id=invitation.dealer_id,
                    language=invitation.language,
                    scheduled_at=now,
                )
                queued += invitation.reminder is not None
            invitation.save(update_fields=["reminded_at", "reminder"])
    return queued


# --- Responses ------------------------------------------------------------------------------------------


def _clean_answer(question: SurveyQuestion, raw) -> tuple[dict | None, str | None]:
    """(answer fields or None when skipped, error message or None) for one question's raw input: a string
    (or a list of strings for several choices), as a form or the API sends it."""
    values = [str(v).strip() for v in (raw if isinstance(raw, list | tuple) else [raw]) if v is not None]
    values = [v for v in values if v]
    if not values:
        return None, (_("Please answer this question.") if question.is_required else None)
    if question.is_scored:
        try:
            number = int(values[0])
        except ValueError:
            return None, _("Choose a score.")
        if not question.scale_min <= number <= question.scale_max:
            return None, _("Choose a score from %(low)s to %(high)s.") % {
                "low": question.scale_min,
                "high": question.scale_max,
            }
        return {"number": number}, None
    if question.type == SurveyQuestion.Type.TEXT:
        text = "\n".join(values)
        if len(text) > TEXT_ANSWER_MAX:
            return None, _("Please keep it under %(count)s characters.") % {"count": TEXT_ANSWER_MAX}
        return {"text": text}, None
    codes = {choice["code"] for choice in question.choices}
    if any(v not in codes for v in values):
        return None, _("Choose one of the answers offered.")
    if question.type == SurveyQuestion.Type.SINGLE and len(values) > 1:
        return None, _("Choose one answer.")
    return {"choices": list(dict.fromkeys(values))}, None


def is_low_answer(question: SurveyQuestion, number: int | None) -> bool:
    """A detractor (0–6 on the NPS question) or the bottom of a scale."""
    if number is None or not question.is_scored:
        return False
    if question.type == SurveyQuestion.Type.NPS:
        return number <= NPS_DETRACTOR_MAX
    return number == question.scale_min


@transaction.atomic
def response_submit(
    *,
    invitation: SurveyInvitation,
    answers: dict,
    channel: str = SurveyResponse.Channel.WEB,
    by=None,
    now: datetime | None = None,
) -> SurveyResponse:
    """Record the customer's answers ({question id: raw value}; a question left out is skipped).

    Preconditions: the invitation came from its signed link (channel "web") or a call-back page whose
    caller may record it (checked here). Raises SurveyAlreadyAnswered when it already has a response;
    SurveyExpired when a web link is past its date, or the invitation was not sent because of the fatigue
    rule (a call-back may still record an expired or unreachable one); SurveyAnswersInvalid with
    {question id: message} when a required question is missing or a value is not allowed."""
    now = now or timezone.now()
    if channel == SurveyResponse.Channel.PHONE:
        require(by is not None and can_record_survey_call_back(access_for(by), invitation))
    invitation = SurveyInvitation.objects.select_for_update().get(id=invitation.id)
    if invitation.status == Status.ANSWERED or SurveyResponse.objects.filter(invitation=invitation).exists():
        raise SurveyAlreadyAnswered()
    if channel == SurveyResponse.Channel.WEB and (invitation.status != Status.SENT or invitation.expires_at <= now):
        raise SurveyExpired()
    if invitation.status == Status.SKIPPED_FATIGUE:
        raise SurveyExpired()  # not surveyed (fatigue): a call-back must not survey them either
    questions = list(invitation.version.questions.order_by("position"))
    rows, errors, is_low = [], {}, False
    for question in questions:
        cleaned, error = _clean_answer(question, answers.get(str(question.id), answers.get(question.id)))
        if error:
            errors[str(question.id)] = error
        elif cleaned is not None:
            rows.append((question, cleaned))
            is_low = is_low or is_low_answer(question, cleaned.get("number"))
    if errors:
        raise SurveyAnswersInvalid(extra={"errors": errors})
    if not rows:
        raise SurveyAnswersInvalid(_("Please answer at least one question."), extra={"errors": {}})
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                invitation=invitation,
                dealer_id=invitation.dealer_id,
                kind=invitation.kind,
                submitted_at=now,
                channel=channel,
                recorded_by=by if by is not None and by.is_authenticated else None,
                is_low_score=is_low,
                complaint_due_at=now if is_low else None,
            )
    except IntegrityError as error:
        raise SurveyAlreadyAnswered() from error
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(response=response, question=question, dealer_id=invitation.dealer_id, **cleaned)
        for question, cleaned in rows
    )
    SurveyInvitation.objects.filter(id=invitation.id).update(status=Status.ANSWERED)
    event_record(
        customer_id=invitation.customer_id,
        kind=events.SURVEY_ANSWERED,
        dealer_id=invitation.dealer_id,
        actor=by,
        occurred_at=now,
        data={"invitation": invitation.id, "response": response.id, "survey": invitation.kind, "low_score": is_low},
    )
    if is_low:
        _open_complaint_for(response)
    return response


# --- Complaints from low scores -------------------------------------------------------------------------


def _complaint_summary(response: SurveyResponse, invitation: SurveyInvitation) -> str:
    lows = [
        f"{answer.question.text_en}: {answer.number}"
        for answer in response.answers.select_related("question")
        if is_low_answer(answer.question, answer.number)
    ]
    verbatims = [answer.text for answer in response.answers.all() if answer.text][:1]
    kind = SurveyKind(invitation.kind).label
    return "; ".join([f"{kind} #{response.id}", *lows, *verbatims])[:500]


def _open_complaint_for(response: SurveyResponse):
    """Open service's complaint for a low response, at most once: the response row is locked and its
    complaint id is set in the same transaction, under a unique key. Returns the complaint, or None when
    the response needs none or already has one. If opening fails the response stays due and
    `complaints_open_due` opens it later."""
    with transaction.atomic():
        response = (
            SurveyResponse.objects.select_for_update()
            .select_related("invitation")
            .filter(id=response.id, complaint_due_at__isnull=False, complaint_id__isnull=True)
            .first()
        )
        if response is None:
            return None
        invitation = response.invitation
        complaint = complaint_open(
            dealer=invitation.dealer,
            customer=invitation.customer,
            vehicle=invitation.vehicle,
            repair_order=invitation.repair_order,
            # The agent who takes it recategorises it once the customer has said what went wrong.
            category=Complaint.Category.SALES if invitation.kind == SurveyKind.SSI else Complaint.Category.OTHER,
            severity="high" if invitation.kind == SurveyKind.CSI else "medium",
            source="survey",
            summary=_complaint_summary(response, invitation),
            opened_by=None,
        )
        SurveyResponse.objects.filter(id=response.id).update(complaint_id=complaint.id)
        return complaint


def complaints_open_due(*, limit: int = 200) -> int:
    """The sweep: open the complaints of low responses still due (the service was missing or failed when
    they were answered). Safe to run twice: `_open_complaint_for` skips a response that has one."""
    opened = 0
    for response in SurveyResponse.objects.filter(complaint_due_at__isnull=False, complaint_id__isnull=True).order_by(
        "complaint_due_at", "id"
    )[:limit]:
        try:
            opened += _open_complaint_for(response) is not None
        except Exception:
            logger.exception("could not open the complaint of survey response %s", response.id)
    return opened
