"""The sales funnel: a buying intent of one customer at one dealer (a lead), how it is graded, followed up,
moved through the stages, and closed as a delivered car or an approved "lost" verdict.

Every table carries its dealer, so row-level security scopes it with one plain policy.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeOperators
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.history import tracked


class Grade(models.TextChoices):
    """The Chinese dealers' intent grade. O/H/A/B/C are open; D, F1 and F2 close the lead."""

    O = "O", _("O · ordered")  # noqa: E741 - the grade's real name
    H = "H", _("H · buys within 7 days")
    A = "A", _("A · buys within a month")
    B = "B", _("B · buys in 1–3 months")
    C = "C", _("C · later")
    D = "D", _("D · delivered")
    F1 = "F1", _("F1 · lost (approved)")
    F2 = "F2", _("F2 · frozen")


OPEN_GRADES = (Grade.O, Grade.H, Grade.A, Grade.B, Grade.C)


class Stage(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    VISITED = "visited", _("Visited")
    TEST_DRIVE = "test_drive", _("Test drive")
    NEGOTIATION = "negotiation", _("Negotiation")
    ORDERED = "ordered", _("Ordered")
    DELIVERED = "delivered", _("Delivered")
    LOST = "lost", _("Lost")
    FROZEN = "frozen", _("Frozen")


# The funnel in order. Lost and frozen are outcomes, not steps: a lead that ends there keeps the furthest
# funnel stage it had reached.
FUNNEL_STAGES = (
    Stage.NEW,
    Stage.CONTACTED,
    Stage.VISITED,
    Stage.TEST_DRIVE,
    Stage.NEGOTIATION,
    Stage.ORDERED,
    Stage.DELIVERED,
)
OPEN_STAGES = (Stage.NEW, Stage.CONTACTED, Stage.VISITED, Stage.TEST_DRIVE, Stage.NEGOTIATION, Stage.ORDERED)
CLOSED_STAGES = (Stage.DELIVERED, Stage.LOST, Stage.FROZEN)


class LeadType(models.TextChoices):
    """How the intent reached the dealer — kept apart from the source (which site, campaign, event)."""

    WALK_IN = "walk_in", _("Walk-in")
    PHONE = "phone", _("Phone")
    INTERNET = "internet", _("Internet")
    REFERRAL = "referral", _("Referral")
    SERVICE = "service", _("Service customer")
    PREVIOUS_CUSTOMER = "previous_customer", _("Previous customer")


class LeadSource(models.Model):
    """Where leads come from: a web form, a lead site sending ADF, the OEM's call centre, an event list…
    Public intake (web form, ADF) authenticates with the source's key and resolves its dealer from it."""

    class Channel(models.TextChoices):
        SHOWROOM = "showroom", _("Showroom")
        PHONE = "phone", _("Phone-in")
        CALL_CENTRE = "call_centre", _("OEM call centre")
        WEB_FORM = "web_form", _("Web form")
        ADF = "adf", _("ADF / lead site")
        IMPORT = "import", _("Imported list")
        REFERRAL = "referral", _("Referral")
        CAMPAIGN = "campaign", _("Campaign response")
        EVENT = "event", _("Event")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # Empty for an OEM source, whose leads are issued to a dealer.
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="lead_sources"
    )
    # sha256 of the intake key; the key itself is shown once when created.
    key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    first_response_sla = models.BooleanField(_("first-response SLA applies"), default=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    dealer = models.ForeignKey(
        "network.Dealer", null=True, blank=True, on_delete=models.PROTECT, related_name="lead_campaigns"
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class Questionnaire(models.Model):
    """A version of the screening questionnaire and its grading rules, edited by OEM admins. A lead keeps
    the version it was graded with; editing creates a new version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    # [{"key": "timeframe", "label": {"en": …, "zh-hans": …}, "kind": "choice|multi|text", "options": [{"value", "label"}]}]
    questions = models.JSONField(_("questions"))
    # Ordered rules, first match wins: [{"grade": "H", "when": {"timeframe": ["within_7_days"], …}}]
    rules = models.JSONField(_("grading rules"))
    default_grade = models.CharField(
        _("grade when no rule matches"), max_length=2, choices=Grade.choices, default=Grade.C
    )
    is_active = models.BooleanField(_("in use"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("screening questionnaire")
        verbose_name_plural = _("screening questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_questionnaire"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class CadencePolicy(models.Model):
    """The OEM's follow-up cadence per grade: the allowed range of days, and the default."""

    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, unique=True)
    default_days = models.PositiveSmallIntegerField(_("default (days)"))
    min_days = models.PositiveSmallIntegerField(_("at least (days)"))
    max_days = models.PositiveSmallIntegerField(_("at most (days)"))

    class Meta:
        ordering = ["grade"]
        verbose_name = _("follow-up cadence policy")
        verbose_name_plural = _("follow-up cadence policies")
        constraints = [
            models.CheckConstraint(
                name="cadence_policy_range",
                condition=Q(
                    min_days__gte=1,
                    min_days__lte=models.F("default_days"),
                    default_days__lte=models.F("max_days"),
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.grade}: {self.default_days}d"


class DealerCadence(models.Model):
    """A dealer's own follow-up interval for a grade, inside the OEM's range (checked by the service)."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.CASCADE, related_name="cadences")
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices)
    days = models.PositiveSmallIntegerField(_("every (days)"))

    class Meta:
        verbose_name = _("dealer follow-up cadence")
        verbose_name_plural = _("dealer follow-up cadences")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "grade"], name="one_cadence_per_dealer_grade")
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.grade}: {self.days}d"


def _furthest_stage_not_behind_stage() -> Q:
    """A lead's current funnel stage is never beyond the furthest it reached (lost and frozen: any)."""
    condition = Q(stage__in=(Stage.LOST, Stage.FROZEN))
    for rank, stage in enumerate(FUNNEL_STAGES):
        condition |= Q(stage=stage, furthest_stage__in=FUNNEL_STAGES[rank:])
    return condition


# The furthest stage reached and the time spent in each stage are derived from the stage changes, which are
# the lead's funnel history already: they are not tracked again.
@tracked(exclude=["furthest_stage", "left_stages", "left_stage_hours"])
class Lead(models.Model):
    class Acceptance(models.TextChoices):
        NOT_ISSUED = "not_issued", _("Dealer's own lead")
        PENDING = "pending", _("Issued by the OEM, awaiting acceptance")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    dealer = models.ForeignKey(
        "network.Dealer", on_delete=models.PROTECT, related_name="leads", verbose_name=_("dealer")
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="leads", verbose_name=_("customer")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=LeadType.choices)
    source = models.ForeignKey(
        LeadSource,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        verbose_name=_("source"),
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        verbose_name=_("campaign"),
    )
    # The sender's id for the lead (ADF <id>, web form reference): a resend attaches instead of duplicating.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.NEW)
    # The furthest funnel stage the lead ever reached: a jump passes the stages it skipped; moving back, or
    # closing as lost or frozen, keeps it. Written with every move by stage_record (the same moves the
    # StageChange rows record), so the funnel dashboard need not read the stage changes per lead.
    furthest_stage = models.CharField(
        _("furthest stage reached"),
        editable=False,
        max_length=20,
        choices=[(stage.value, stage.label) for stage in FUNNEL_STAGES],
        default=Stage.NEW,
    )
    # Time in stage, from the same log: each stage the lead has moved on from, in the order of its stage
    # changes (by time, then id), and the hours until the next change. Rewritten from the log with every
    # move (stage_change_add), so the dashboard's medians need no look-up of the stage changes.
    left_stages = ArrayField(
        models.CharField(max_length=20, choices=Stage.choices), default=list, blank=True, editable=False
    )
    left_stage_hours = ArrayField(models.FloatField(), default=list, blank=True, editable=False)
    # Empty until the prospect is first graded.
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    grade_is_override = models.BooleanField(_("grade set by hand"), default=False)
    grade_reason = models.CharField(_("why this grade"), max_length=300, blank=True)
    questionnaire = models.ForeignKey(
        Questionnaire, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(_("screening answers"), default=dict, blank=True)
    models_of_interest = ArrayField(
        models.CharField(max_length=60), default=list, blank=True, verbose_name=_("models of interest")
    )
    arrived_at = models.DateTimeField(_("arrived"), default=timezone.now)
    # First-response clock (the OEM audits these): due time inside the dealer's business hours, the first
    # contact attempt, the business minutes it took, and whether it was made through the system.
    sla_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact attempt"), null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response (business minutes)"), null=True, blank=True
    )
    is_sla_breached = models.BooleanField(_("first-response SLA breached"), default=False)
    is_first_contact_verified = models.BooleanField(_("first contact verified"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    unreachable_attempts = models.PositiveSmallIntegerField(_("unanswered attempts"), default=0)
    acceptance = models.CharField(
        _("acceptance"), max_length=12, choices=Acceptance.choices, default=Acceptance.NOT_ISSUED
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            # No collided orders: one open lead per customer per dealer, whoever tries to open a second.
            models.UniqueConstraint(
                fields=["customer", "dealer"],
                condition=Q(stage__in=OPEN_STAGES),
                name="one_open_lead_per_customer_dealer",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="one_lead_per_source_external_id",
            ),
            models.CheckConstraint(
                name="lead_furthest_stage_not_behind_stage", condition=_furthest_stage_not_behind_stage()
            ),
            models.CheckConstraint(
                name="closed_leads_have_a_close_time",
                condition=Q(stage__in=OPEN_STAGES, closed_at__isnull=True)
                | Q(stage__in=CLOSED_STAGES, closed_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "stage", "arrived_at"], name="lead_dealer_funnel"),
            # The dashboard's cohort: leads of these dealers that arrived in the period.
            models.Index(fields=["dealer", "arrived_at"], name="lead_dealer_arrived"),
            models.Index(
                fields=["owner", "next_follow_up_at"],
                name="lead_owner_due",
                condition=Q(stage__in=OPEN_STAGES),
            ),
            models.Index(
                fields=["dealer", "sla_due_at"],
                name="lead_sla_open",
                condition=Q(first_contact_at__isnull=True, sla_due_at__isnull=False),
            ),
            models.Index(fields=["customer"], name="lead_customer"),
            # The lead list reads a page of open leads as limited walks down these (own leads, then the
            # others, newest first; leads.selectors.pages.leads_list), so its cost does not grow with a
            # dealer's open leads. The last one serves network-wide readers (the OEM).
            models.Index(
                fields=["dealer", "owner", "arrived_at", "id"],
                name="lead_open_owner_arrived",
                condition=Q(stage__in=OPEN_STAGES),
            ),
            models.Index(
                fields=["dealer", "arrived_at", "id"],
                name="lead_open_dealer_arrived",
                condition=Q(stage__in=OPEN_STAGES),
            ),
            models.Index(
                fields=["arrived_at", "id"], name="lead_open_arrived", condition=Q(stage__in=OPEN_STAGES)
            ),
            # My day's new leads: the user's own and the unowned ones, each a limited walk by due time.
            models.Index(
                fields=["dealer", "owner", "sla_due_at", "id"],
                name="lead_open_waiting_owner",
                condition=Q(stage__in=OPEN_STAGES, first_contact_at__isnull=True, sla_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_stage_display()}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class ContactAttempt(models.Model):
    """One attempt to reach the prospect: the evidence that a follow-up was done."""

    class Channel(models.TextChoices):
        CALL = "call", _("Call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat")
        VISIT = "visit", _("Showroom visit")

    class Evidence(models.TextChoices):
        DELIVERED_MESSAGE = "delivered_message", _("Message delivered")
        INBOUND_REPLY = "inbound_reply", _("Reply from the lead's number")
        ANSWERED_CALL = "answered_call", _("Call answered")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy / call back later")
        LEFT_MESSAGE = "left_message", _("Left a message")
        INVALID_NUMBER = "invalid_number", _("Invalid number")
        DO_NOT_CONTACT = "do_not_contact", _("Asked not to be contacted")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="contact_attempts")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    # When the contact happened, as claimed by whoever logged it (a call made an hour ago, logged now)…
    at = models.DateTimeField(_("when"))
    # …and when the system received it: the OEM's audit tells a claimed time from a logged one.
    logged_at = models.DateTimeField(_("logged"), default=timezone.now, db_default=Now())
    # Claimed much earlier than it was logged (LEAD_BACKDATED_CONTACT_MINUTES): shown and counted apart.
    is_backdated = models.BooleanField(_("back-dated"), default=False, db_default=False)
    # Witnessed by the system (leads/verification.py is the rule): a message it sent that the gateway
    # delivered, a reply from the lead's number, an answered click-to-call of some length to the lead's own
    # number. Anything logged by hand, visits included, is only claimed. `evidence` says which, and the
    # message, reply or call it points to is the proof.
    is_verified = models.BooleanField(_("verified"), default=False)
    evidence = models.CharField(_("evidence"), max_length=20, choices=Evidence.choices, blank=True)
    message = models.ForeignKey(
        "messaging.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply = models.ForeignKey(
        "messaging.InboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    call = models.ForeignKey(
        "messaging.PhoneCall", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A call's real length, from the provider's record (None for anything but a call through the system).
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        indexes = [models.Index(fields=["lead", "-at"], name="contact_attempt_lead")]
        constraints = [
            models.CheckConstraint(
                name="contact_attempt_verified_has_evidence",
                condition=Q(is_verified=False, evidence="") | (Q(is_verified=True) & ~Q(evidence="")),
            ),
            # One attempt per call and per message; a reply is evidence once per lead.
            models.UniqueConstraint(fields=["call"], name="contact_attempt_call_once", condition=Q(call__isnull=False)),
            models.UniqueConstraint(
                fields=["message"], name="contact_attempt_message_once", condition=Q(message__isnull=False)
            ),
            models.UniqueConstraint(
                fields=["lead", "reply"], name="contact_attempt_reply_once", condition=Q(reply__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome}"


class FollowUp(models.Model):
    """A task with a due time; done only when a contact attempt is logged. One open follow-up per lead."""

    class Reason(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        CADENCE = "cadence", _("Follow-up by grade")
        AFTER_VISIT = "after_visit", _("Call the day after the visit")
        ORDERED = "ordered", _("Order in progress")
        DELIVERY_DAY_3 = "delivery_day_3", _("Call-back 3 days after delivery")
        DELIVERY_DAY_7 = "delivery_day_7", _("Call-back 7 days after delivery")
        DELIVERY_MONTH_1 = "delivery_month_1", _("One-month check after delivery")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="follow_ups")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    class Closing(models.TextChoices):
        CONTACTED = "contacted", _("Done: a contact attempt was logged")
        REPLACED = "replaced", _("Replaced by a new follow-up (new grade or new contact)")
        LEAD_CLOSED = "lead_closed", _("The lead closed before it was done")

    reason = models.CharField(_("why"), max_length=20, choices=Reason.choices)
    due_at = models.DateTimeField(_("due"))
    # When it stopped being open, and why: never deleted, so the OEM sees follow-ups missed and replaced.
    done_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_reason = models.CharField(
        _("closed because"), max_length=20, choices=Closing.choices, blank=True, db_default=""
    )
    done_by_attempt = models.ForeignKey(
        ContactAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(done_at__isnull=True)
                & ~Q(reason__in=["delivery_day_3", "delivery_day_7", "delivery_month_1"]),
                name="one_open_follow_up_per_lead",
            ),
            models.CheckConstraint(
                name="follow_up_closed_with_a_reason",
                condition=Q(done_at__isnull=True, closed_reason="") | (Q(done_at__isnull=False) & ~Q(closed_reason="")),
            ),
        ]
        indexes = [
            models.Index(
                fields=["assigned_to", "due_at"], name="follow_up_due", condition=Q(done_at__isnull=True)
            ),
            models.Index(
                fields=["dealer", "due_at"], name="follow_up_dealer_due", condition=Q(done_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} @ {self.due_at:%Y-%m-%d %H:%M}"


# A delivered lead's sales call-backs: they stay open after the lead closes, until each is made.
CALLBACK_REASONS = (
    FollowUp.Reason.DELIVERY_DAY_3,
    FollowUp.Reason.DELIVERY_DAY_7,
    FollowUp.Reason.DELIVERY_MONTH_1,
)


class ShowroomVisit(models.Model):
    """A walk-in logged on the floor. Anonymous visits (no phone) still count in traffic."""

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="showroom_visits")
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("salesperson")
    )
    arrived_at = models.DateTimeField(_("arrived"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    party_size = models.PositiveSmallIntegerField(_("party size"), default=1)
    models_of_interest = ArrayField(
        models.CharField(max_length=60), default=list, blank=True, verbose_name=_("models of interest")
    )
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_first_visit = models.BooleanField(_("first visit"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("showroom visit")
        verbose_name_plural = _("showroom visits")
        indexes = [models.Index(fields=["dealer", "arrived_at"], name="visit_dealer_day")]
        constraints = [
            models.CheckConstraint(
                name="visit_party_size", condition=Q(party_size__gte=1, party_size__lte=50)
            ),
            models.CheckConstraint(
                name="visit_leaves_after_arriving",
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("arrived_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"visit {self.arrived_at:%Y-%m-%d %H:%M}"


class StageChange(models.Model):
    """Every move of a lead between stages, with who and when: every funnel figure is computed from these."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="stage_changes")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dealer", "to_stage", "at"], name="stage_change_funnel")]

    def __str__(self) -> str:
        return f"{self.from_stage or '∅'} → {self.to_stage}"


class LostVerdict(models.Model):
    """A salesperson proposes "lost"; a manager approves it or sends it back."""

    class Reason(models.TextChoices):
        COMPETITOR_BRAND = "competitor_brand", _("Bought a competitor's brand")
        SAME_BRAND_ELSEWHERE = "same_brand_elsewhere", _("Bought our brand at another dealer")
        PRICE = "price", _("Price")
        TIMING = "timing", _("Not buying now")
        FINANCE = "finance", _("Financing refused")
        PRODUCT = "product", _("Product does not fit")
        UNREACHABLE = "unreachable", _("Unreachable")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting manager")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Sent back")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="lost_verdicts")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    competitor_brand = models.CharField(_("which brand"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    freeze_only = models.BooleanField(_("frozen, not lost"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("manager's note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        verbose_name = _("lost verdict")
        verbose_name_plural = _("lost verdicts")
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="proposed"), name="one_pending_lost_verdict"
            ),
            models.CheckConstraint(
                name="competitor_named_when_lost_to_one",
                condition=~Q(reason="competitor_brand") | ~Q(competitor_brand=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.status})"


class DemoCar(models.Model):
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="demo_cars")
    model = models.CharField(_("model"), max_length=60)
    trim = models.CharField(_("trim"), max_length=60, blank=True)
    plate = models.CharField(_("plate"), max_length=16, blank=True)
    is_active = models.BooleanField(_("available"), default=True)

    class Meta:
        ordering = ["model", "plate"]
        verbose_name = _("demo car")
        verbose_name_plural = _("demo cars")

    def __str__(self) -> str:
        return f"{self.model} {self.plate}".strip()


class TestDrive(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        DONE = "done", _("Done")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="test_drives")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    demo_car = models.ForeignKey(DemoCar, on_delete=models.PROTECT, related_name="test_drives")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    outcome = models.TextField(_("outcome"), blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("test drive")
        verbose_name_plural = _("test drives")
        constraints = [
            models.CheckConstraint(
                name="test_drive_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
            # No double booking of a demo car (the database refuses overlapping slots).
            ExclusionConstraint(
                name="demo_car_not_double_booked",
                expressions=[
                    ("demo_car", RangeOperators.EQUAL),
                    (
                        models.Func(models.F("starts_at"), models.F("ends_at"), function="TSTZRANGE"),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status__in=["booked", "done"]),
            ),
        ]
        indexes = [models.Index(fields=["dealer", "starts_at"], name="test_drive_day")]

    def __str__(self) -> str:
        return f"{self.demo_car} {self.starts_at:%Y-%m-%d %H:%M}"


class Order(models.Model):
    class Status(models.TextChoices):
        QUOTED = "quoted", _("Quoted")
        ORDERED = "ordered", _("Ordered")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="orders")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    model = models.CharField(_("model"), max_length=60)
    trim = models.CharField(_("trim"), max_length=60, blank=True)
    colour = models.CharField(_("colour"), max_length=40, blank=True)
    list_price = models.DecimalField(_("list price"), max_digits=12, decimal_places=2)
    discount = models.DecimalField(_("discount"), max_digits=12, decimal_places=2, default=0)
    # [{"kind": "finance|insurance|extended_warranty|accessory", "name": …, "price": "…"}]
    add_ons = models.JSONField(_("finance, insurance and add-ons"), default=list, blank=True)
    deposit = models.DecimalField(_("deposit"), max_digits=12, decimal_places=2, default=0)
    promised_delivery_on = models.DateField(_("promised delivery"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUOTED)
    vehicle = models.ForeignKey(
        "customers.Vehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quote / order")
        verbose_name_plural = _("quotes and orders")
        constraints = [
            models.CheckConstraint(
                name="order_amounts_sane",
                condition=Q(
                    list_price__gte=0, discount__gte=0, deposit__gte=0, discount__lte=models.F("list_price")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.trim} ({self.status})"

    @property
    def price(self):
        return self.list_price - self.discount


class TradeIn(models.Model):
    """A car the prospect offers in part-exchange or for sale, as the lead's sender described it (ADF
    <vehicle interest="trade-in"|"sell">). Facts to show the salesperson; nothing is computed from them."""

    class Interest(models.TextChoices):
        TRADE_IN = "trade-in", _("Trade-in")
        SELL = "sell", _("To sell")

    class OdometerUnits(models.TextChoices):
        KILOMETRES = "km", _("km")
        MILES = "mi", _("miles")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="trade_ins")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    interest = models.CharField(
        _("offered as"), max_length=10, choices=Interest.choices, default=Interest.TRADE_IN
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    make = models.CharField(_("make"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    trim = models.CharField(_("trim"), max_length=100, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    colour = models.CharField(_("colour"), max_length=100, blank=True)
    odometer = models.PositiveIntegerField(_("odometer"), null=True, blank=True)
    # Empty when the sender did not say: a reading is never converted on a guess.
    odometer_units = models.CharField(
        _("odometer units"), max_length=2, choices=OdometerUnits.choices, blank=True
    )
    comments = models.TextField(_("comments"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("trade-in vehicle")
        verbose_name_plural = _("trade-in vehicles")
        constraints = [
            models.CheckConstraint(
                name="trade_in_year_and_odometer_sane",
                condition=(Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100))
                & (Q(odometer__isnull=True) | Q(odometer__lte=10_000_000)),
            ),
        ]

    def __str__(self) -> str:
        return " ".join(str(part) for part in (self.year, self.make, self.model) if part) or str(
            _("Trade-in")
        )
