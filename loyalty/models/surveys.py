"""Satisfaction surveys: questionnaires with frozen versions, invitations sent after a delivery (SSI) or a
settled repair order (CSI), and the customer's one response to each.

Invariants the database holds:
- a published questionnaire version is frozen: a trigger refuses any change to it or its questions
  (migration 0011), so an invitation that points at a version always shows the questions it was sent with;
- one response per invitation (the response's one-to-one key): a second submission fails, whatever path
  it takes (the public link, a call-centre agent, both at once);
- who is judged (dealer, salesperson or advisor, vehicle model) is copied onto the invitation when it is
  created and never recomputed, so a salesperson who leaves keeps the scores earned while there;
- at most one complaint per low response (`complaint_id` is unique and set once).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    SSI = "ssi", _("Sales satisfaction (SSI)")
    CSI = "csi", _("Service satisfaction (CSI)")
    NPS = "nps", _("Net promoter (NPS)")


class Questionnaire(models.Model):
    """An OEM questionnaire for one kind of survey. The active one of its kind is sent to customers, in its
    latest published version."""

    kind = models.CharField(_("survey"), max_length=3, choices=SurveyKind.choices)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    is_active = models.BooleanField(_("sent to customers"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "-is_active", "id"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=Q(is_active=True), name="survey_one_active_questionnaire_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.name_en


class QuestionnaireVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["questionnaire", "-number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="survey_version_number_once"),
            models.UniqueConstraint(
                fields=["questionnaire"], condition=Q(status="draft"), name="survey_one_draft_per_questionnaire"
            ),
            models.CheckConstraint(
                name="survey_published_version_has_date",
                condition=Q(status="draft") | Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class SurveyQuestion(models.Model):
    class Type(models.TextChoices):
        NPS = "nps", _("Would you recommend (0–10)")
        SCALE = "scale", _("Scale")
        SINGLE = "single", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        TEXT = "text", _("Free text")

    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    text_en = models.CharField(_("question (English)"), max_length=300)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300)
    is_required = models.BooleanField(_("required"), default=False)
    scale_min = models.SmallIntegerField(_("lowest score"), null=True, blank=True)
    scale_max = models.SmallIntegerField(_("highest score"), null=True, blank=True)
    # [{"code": "price", "en": "Price", "zh": "价格"}, …] for choice questions.
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="survey_question_position_once"),
            models.CheckConstraint(
                name="survey_question_scale_shape",
                condition=(
                    Q(type="nps", scale_min=0, scale_max=10)
                    | Q(type="scale", scale_min__isnull=False, scale_max__gt=models.F("scale_min"))
                    | (Q(type__in=["single", "multiple", "text"], scale_min__isnull=True, scale_max__isnull=True))
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.text_en

    @property
    def is_scored(self) -> bool:
        return self.type in (self.Type.NPS, self.Type.SCALE)

    def text(self, language: str) -> str:
        return self.text_zh if language.startswith("zh") else self.text_en

    def choice_labels(self, language: str) -> list[tuple[str, str]]:
        key = "zh" if language.startswith("zh") else "en"
        return [(c["code"], c.get(key) or c.get("en") or c["code"]) for c in self.choices]


class SurveyInvitation(models.Model):
    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        # Not sent: the customer had a survey within SURVEY_FATIGUE_DAYS.
        SKIPPED_FATIGUE = "skipped_fatigue", _("Not sent: surveyed recently")
        # No phone or email we may use: only a call-back can collect the answers.
        UNREACHABLE = "unreachable", _("Not sent: no usable phone or email")

    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("survey"), max_length=3, choices=SurveyKind.choices)
    version = models.ForeignKey(QuestionnaireVersion, on_delete=models.PROTECT, related_name="invitations")
    # Who is judged, frozen when the invitation is created.
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("salesperson"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service advisor"),
    )
    vehicle = models.ForeignKey(
        "customers.Vehicle", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model = models.CharField(_("model"), max_length=100, blank=True)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    repair_order = models.ForeignKey(
        "service.RepairOrder", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_event = models.ForeignKey(
        "timeline.TimelineEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    # A random value the signed link carries: a link made for another invitation, or an old one, fails.
    nonce = models.CharField(max_length=32)
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    message = models.ForeignKey(
        "messaging.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder = models.ForeignKey(
        "messaging.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("link valid until"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # A contact point of the customer was changed by staff shortly before the survey went out.
    contact_changed_at = models.DateTimeField(_("contact changed by staff at"), null=True, blank=True)
    # What an invitation without a timeline event is for (an NPS survey N days after a delivery, or a member's
    # periodic one): "nps:order:<id>", "nps:member:<id>:<period>"; at most one invitation per occasion.
    occasion = models.CharField(max_length=60, blank=True, default="")
    contact_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["source_event"],
                condition=Q(source_event__isnull=False),
                name="survey_one_invitation_per_event",
            ),
            models.UniqueConstraint(
                fields=["occasion"], condition=~Q(occasion=""), name="survey_one_invitation_per_occasion"
            ),
            models.CheckConstraint(name="survey_link_expires_after_creation", condition=Q(expires_at__gt=models.F("created_at"))),
        ]
        indexes = [
            models.Index(fields=["dealer", "kind", "created_at"], name="survey_invitation_dealer"),
            models.Index(fields=["customer", "created_at"], name="survey_invitation_customer"),
            models.Index(fields=["reminded_at", "created_at"], name="survey_invitation_to_remind", condition=Q(status="sent")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class SurveyResponse(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Survey link")
        PHONE = "phone", _("Call-back")

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.PROTECT, related_name="response")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("survey"), max_length=3, choices=SurveyKind.choices)
    submitted_at = models.DateTimeField(_("answered at"))
    channel = models.CharField(_("answered through"), max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A detractor (0–6 on an NPS question) or any answer at the bottom of its scale.
    is_low_score = models.BooleanField(_("low score"), default=False)
    complaint_due_at = models.DateTimeField(_("complaint due since"), null=True, blank=True)
    # The complaint opened for it (service's complaints), set once.
    complaint_id = models.BigIntegerField(_("complaint"), null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(
                name="survey_complaint_only_for_low_score",
                condition=Q(complaint_due_at__isnull=True) | Q(is_low_score=True),
            ),
            models.CheckConstraint(
                name="survey_complaint_once_due",
                condition=Q(complaint_id__isnull=True) | Q(complaint_due_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["dealer", "kind", "submitted_at"], name="survey_response_dealer"),
            models.Index(
                fields=["complaint_due_at"],
                name="survey_complaint_to_open",
                condition=Q(complaint_due_at__isnull=False, complaint_id__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} response #{self.pk}"


class SurveyAnswer(models.Model):
    """One answered question. A skipped question has no row, so statistics never count it."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="answers")
    dealer = models.ForeignKey("network.Dealer", on_delete=models.PROTECT, related_name="+")
    number = models.SmallIntegerField(_("score"), null=True, blank=True)
    choices = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    text = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["response", "question__position"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once_per_question"),
            models.CheckConstraint(
                name="survey_answer_not_empty",
                condition=Q(number__isnull=False) | ~Q(choices=[]) | ~Q(text=""),
            ),
        ]
        indexes = [models.Index(fields=["question", "number"], name="survey_answer_question")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.number if self.number is not None else self.text or self.choices}"
