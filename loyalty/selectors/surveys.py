"""Every read of satisfaction surveys: the builder's questionnaires, the call-back list, the public link, the
statistics page and the key figures' measures.

Definitions (BRIEF.md): the response rate is responses ÷ invitations actually delivered (the message
reached the gateway or the phone, or the customer answered: a call-back reaches them too); NPS is the
share of promoters (9–10) minus the share of detractors (0–6) among those who answered the NPS question,
so a skipped question is in neither the numerator nor the denominator; a satisfaction index (SSI, CSI) is
the mean of the scale answers, each put on 0–100 (lowest score 0, highest 100). Every figure counts an
invitation on the day it was created (sent), so a rate never mixes two periods' rows.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.core.key_figures import on_local_days
from crm.core.names import person_name
from crm.core.scope import network_wide
from crm.messaging.models import OutboxMessage
from crm.network.access import access_for, dealers_visible
from loyalty import permissions
from loyalty.models import (
    Questionnaire,
    QuestionnaireVersion,
    SurveyAnswer,
    SurveyInvitation,
    SurveyKind,
    SurveyQuestion,
    SurveyResponse,
)
from loyalty.services.surveys import NPS_DETRACTOR_MAX, NPS_PROMOTER_MIN, survey_token_read

Status = SurveyInvitation.Status
DELIVERED_MESSAGE = [OutboxMessage.Status.SENT, OutboxMessage.Status.DELIVERED]
IS_DELIVERED = Q(status=Status.ANSWERED) | Q(message__status__in=DELIVERED_MESSAGE)
VERBATIMS_SHOWN = 20
INVITATIONS_PER_PAGE = 50


# --- Questionnaires ----------------------------------------------------------------------------------------


def questionnaires_for_user(*, user) -> QuerySet[Questionnaire]:
    if not permissions.can_build_questionnaires(access_for(user)):
        return Questionnaire.objects.none()
    return Questionnaire.objects.prefetch_related("versions").order_by("kind", "-is_active", "id")


def version_for_user(*, user, version_id: int) -> QuestionnaireVersion:
    if not permissions.can_build_questionnaires(access_for(user)):
        raise NotFound()
    version = (
        QuestionnaireVersion.objects.select_related("questionnaire")
        .prefetch_related("questions")
        .filter(id=version_id)
        .first()
    )
    if version is None:
        raise NotFound()
    return version


def question_for_user(*, user, question_id: int) -> SurveyQuestion:
    if not permissions.can_build_questionnaires(access_for(user)):
        raise NotFound()
    question = SurveyQuestion.objects.select_related("version").filter(id=question_id).first()
    if question is None:
        raise NotFound()
    return question


# --- Invitations -------------------------------------------------------------------------------------------


def invitations_for_user(
    *, user, status: str = "", kind: str = "", open_only: bool = False, flagged_only: bool = False
) -> QuerySet:
    """The invitations a call-back may be made for, in the user's scope (row-level security narrows a
    dealer's managers to their dealer), newest first."""
    if not permissions.can_list_survey_invitations(access_for(user)):
        return SurveyInvitation.objects.none()
    invitations = SurveyInvitation.objects.select_related(
        "dealer", "customer", "salesperson", "advisor", "message"
    ).order_by("-created_at", "-id")
    if status in Status.values:
        invitations = invitations.filter(status=status)
    if open_only:
        invitations = invitations.filter(status__in=[Status.SENT, Status.UNREACHABLE])
    if kind in SurveyKind.values:
        invitations = invitations.filter(kind=kind)
    if flagged_only:
        invitations = invitations.filter(contact_changed_at__isnull=False)
    return invitations


def invitation_for_call_back(*, user, invitation_id: int) -> SurveyInvitation:
    """An invitation the user may record a call-back for (missing and forbidden alike: NotFound)."""
    invitation = (
        SurveyInvitation.objects.select_related("dealer", "customer", "version__questionnaire", "salesperson", "advisor")
        .filter(id=invitation_id)
        .first()
    )
    if invitation is None or not permissions.can_record_survey_call_back(access_for(user), invitation):
        raise NotFound()
    return invitation


def invitation_for_link(token: str) -> SurveyInvitation | None:
    """The invitation a signed survey link names, or None (tampered, unknown, or a link of a previous
    nonce). Network-wide on purpose: the link is the customer's key, and no staff member is signed in."""
    parsed = survey_token_read(token)
    if parsed is None:
        return None
    invitation_id, nonce = parsed
    with network_wide(reason="survey link: the signed token names one invitation"):
        invitation = (
            SurveyInvitation.objects.select_related("dealer", "version")
            .filter(id=invitation_id, nonce=nonce)
            .first()
        )
        if invitation is not None:
            # Evaluated inside the scope: the page renders after it ends.
            invitation.questions = list(invitation.version.questions.order_by("position"))
            invitation.has_response = SurveyResponse.objects.filter(invitation_id=invitation.id).exists()
    return invitation


# --- Statistics --------------------------------------------------------------------------------------------

GROUPINGS = {
    "dealer": ("dealer_id", "dealer__name"),
    "region": ("dealer__region_id", "dealer__region__name"),
    "model": ("model", "model"),
    "salesperson": ("salesperson_id", None),
    "advisor": ("advisor_id", None),
    "month": ("month", None),
}


@dataclass(frozen=True)
class StatisticsFilters:
    date_from: date
    date_to: date
    kind: str = ""
    dealer_id: int | None = None
    group_by: str = "dealer"

    def invitation_q(self, prefix: str = "") -> Q:
        zone = timezone.get_current_timezone()
        start = datetime.combine(self.date_from, time.min, tzinfo=zone)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=zone)
        q = Q(**{f"{prefix}created_at__gte": start, f"{prefix}created_at__lt": end})
        if self.kind in SurveyKind.values:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.dealer_id:
            q &= Q(**{f"{prefix}dealer_id": self.dealer_id})
        return q


@dataclass
class Figures:
    invited: int = 0
    delivered: int = 0
    responses: int = 0
    promoters: int = 0
    detractors: int = 0
    nps_answers: int = 0
    score_points: float = 0.0
    scored_answers: int = 0
    low_responses: int = 0

    @property
    def response_rate(self) -> float | None:
        return 100 * self.responses / self.delivered if self.delivered else None

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return 100 * (self.promoters - self.detractors) / self.nps_answers

    @property
    def index(self) -> float | None:
        return self.score_points / self.scored_answers if self.scored_answers else None


@dataclass
class GroupRow:
    key: object
    label: str
    figures: Figures


@dataclass
class QuestionRow:
    question: SurveyQuestion
    answers: int
    mean: float | None
    distribution: list[tuple[str, int]]  # (score or choice label, count), every score of the scale listed


@dataclass
class Verbatim:
    at: datetime
    dealer: str
    kind: str
    text: str
    nps: int | None


@dataclass
class SurveyStatistics:
    filters: StatisticsFilters
    totals: Figures
    groups: list[GroupRow]
    questions: list[QuestionRow]
    verbatims: list[Verbatim]
    nps_distribution: list[int]  # answers per score 0…10
    trend: list[GroupRow]
    flagged: int
    skipped_fatigue: int
    unreachable: int
    complaints_due: int = 0
    kinds: list = field(default_factory=list)


NORMALISED = Case(
    When(
        question__type=SurveyQuestion.Type.SCALE,
        then=(F("number") - F("question__scale_min")) * Value(100.0)
        / (F("question__scale_max") - F("question__scale_min")),
    ),
    output_field=FloatField(),
)


def _invitation_figures(invitations: QuerySet, group: str | None) -> dict[object, Figures]:
    aggregates = {
        "invited": Count("id"),
        "delivered": Count("id", filter=IS_DELIVERED),
        "responses": Count("id", filter=Q(status=Status.ANSWERED)),
        "low_responses": Count("id", filter=Q(response__is_low_score=True)),
    }
    rows = [invitations.aggregate(**aggregates)] if group is None else invitations.values(group).annotate(**aggregates)
    return {
        (row[group] if group else None): Figures(
            invited=row["invited"],
            delivered=row["delivered"],
            responses=row["responses"],
            low_responses=row["low_responses"],
        )
        for row in rows
    }


def _answer_figures(answers: QuerySet, group: str | None, into: dict[object, Figures]) -> None:
    nps = Q(question__type=SurveyQuestion.Type.NPS)
    aggregates = {
        "promoters": Count("id", filter=nps & Q(number__gte=NPS_PROMOTER_MIN)),
        "detractors": Count("id", filter=nps & Q(number__lte=NPS_DETRACTOR_MAX)),
        "nps_answers": Count("id", filter=nps & Q(number__isnull=False)),
        "score_points": Sum(NORMALISED, filter=Q(question__type=SurveyQuestion.Type.SCALE)),
        "scored_answers": Count("id", filter=Q(question__type=SurveyQuestion.Type.SCALE, number__isnull=False)),
    }
    rows = [answers.aggregate(**aggregates)] if group is None else answers.values(group).annotate(**aggregates)
    for row in rows:
        key = row.get(group) if group else None
        figures = into.setdefault(key, Figures())
        figures.promoters = row["promoters"]
        figures.detractors = row["detractors"]
        figures.nps_answers = row["nps_answers"]
        figures.score_points = row["score_points"] or 0.0
        figures.scored_answers = row["scored_answers"]


def _people(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {
        row[0]: person_name(given=row[1], family=row[2]) or row[3]
        for row in get_user_model()
        .objects.filter(id__in=ids)
        .values_list("id", "first_name", "last_name", "username")
    }


def _grouped(invitations: QuerySet, answers: QuerySet, group_by: str) -> list[GroupRow]:
    key_field, label_field = GROUPINGS[group_by]
    if group_by == "month":
        invitations = invitations.annotate(month=TruncMonth("created_at"))
        answers = answers.annotate(month=TruncMonth("response__invitation__created_at"))
    figures = _invitation_figures(invitations, key_field)
    _answer_figures(answers, "month" if group_by == "month" else f"response__invitation__{key_field}", figures)
    if label_field and label_field != key_field:
        labels = dict(invitations.values_list(key_field, label_field).distinct())
    elif group_by in ("salesperson", "advisor"):
        labels = _people(figures)
    else:
        labels = {}
    rows = []
    for key, row_figures in figures.items():
        if group_by == "month":
            label = key.strftime("%Y-%m") if key else "—"
        else:
            label = labels.get(key, key) if key not in (None, "") else "—"
        rows.append(GroupRow(key=key, label=str(label), figures=row_figures))
    if group_by == "month":
        return sorted(rows, key=lambda r: r.key or datetime.min.replace(tzinfo=timezone.get_current_timezone()))
    return sorted(rows, key=lambda r: (-r.figures.responses, r.label))


def _questions(answers: QuerySet, language: str) -> list[QuestionRow]:
    counts = Counter()
    choice_counts: dict[int, Counter] = {}
    numbers: dict[int, Counter] = {}
    for question_id, number, choices in answers.values_list("question_id", "number", "choices").iterator():
        counts[question_id] += 1
        if number is not None:
            numbers.setdefault(question_id, Counter())[number] += 1
        for code in choices or []:
            choice_counts.setdefault(question_id, Counter())[code] += 1
    questions = SurveyQuestion.objects.filter(id__in=counts).select_related("version__questionnaire")
    rows = []
    for question in sorted(questions, key=lambda q: (q.version.questionnaire_id, q.version.number, q.position)):
        if question.is_scored:
            scores = numbers.get(question.id, Counter())
            total = sum(scores.values())
            mean = sum(k * v for k, v in scores.items()) / total if total else None
            distribution = [
                (str(score), scores.get(score, 0)) for score in range(question.scale_min, question.scale_max + 1)
            ]
        elif question.type == SurveyQuestion.Type.TEXT:
            mean, distribution = None, []
        else:
            chosen = choice_counts.get(question.id, Counter())
            mean = None
            distribution = [(label, chosen.get(code, 0)) for code, label in question.choice_labels(language)]
        rows.append(QuestionRow(question=question, answers=counts[question.id], mean=mean, distribution=distribution))
    return rows


def _verbatims(answers: QuerySet) -> list[Verbatim]:
    texts = list(
        answers.exclude(text="")
        .select_related("response__dealer")
        .order_by("-response__submitted_at", "-id")[:VERBATIMS_SHOWN]
    )
    nps_by_response = dict(
        SurveyAnswer.objects.filter(
            response_id__in={a.response_id for a in texts}, question__type=SurveyQuestion.Type.NPS
        ).values_list("response_id", "number")
    )
    return [
        Verbatim(
            at=answer.response.submitted_at,
            dealer=answer.response.dealer.name,
            kind=SurveyKind(answer.response.kind).label,
            text=answer.text,
            nps=nps_by_response.get(answer.response_id),
        )
        for answer in texts
    ]


def survey_statistics(*, user, filters: StatisticsFilters, language: str = "en") -> SurveyStatistics:
    """The statistics page's figures for the user's scope (row-level security and the access scope both
    bound it). A handful of grouped queries, whatever the number of responses."""
    access = access_for(user)
    if not permissions.can_see_survey_statistics(access):
        raise NotFound()
    invitations = SurveyInvitation.objects.filter(filters.invitation_q())
    if not access.scope.network_wide:
        invitations = invitations.filter(dealer_id__in=access.scope.dealer_ids)
    answers = SurveyAnswer.objects.filter(response__invitation__in=invitations.values("id"))
    totals = _invitation_figures(invitations, None).get(None, Figures())
    _answer_figures(answers, None, {None: totals})
    side = invitations.aggregate(
        flagged=Count("id", filter=Q(contact_changed_at__isnull=False)),
        skipped=Count("id", filter=Q(status=Status.SKIPPED_FATIGUE)),
        unreachable=Count("id", filter=Q(status=Status.UNREACHABLE)),
        complaints_due=Count("id", filter=Q(response__complaint_due_at__isnull=False)),
    )
    nps_scores = Counter(
        dict(
            answers.filter(question__type=SurveyQuestion.Type.NPS)
            .values_list("number")
            .annotate(count=Count("id"))
            .values_list("number", "count")
        )
    )
    return SurveyStatistics(
        filters=filters,
        totals=totals,
        groups=_grouped(invitations, answers, filters.group_by),
        questions=_questions(answers, language),
        verbatims=_verbatims(answers),
        nps_distribution=[nps_scores.get(score, 0) for score in range(11)],
        trend=_grouped(invitations, answers, "month"),
        flagged=side["flagged"],
        skipped_fatigue=side["skipped"],
        unreachable=side["unreachable"],
        complaints_due=side["complaints_due"],
    )


def statistics_dealer_choices(*, user):
    return dealers_visible(user).order_by("name")


# --- Key-figure measures (crm/core/key_figures.py) ---------------------------------------------------------


def _invitation_measure(condition: Q):
    def compute(*, dealer_ids, first_day: date, last_day: date):
        rows = (
            on_local_days(
                SurveyInvitation.objects.filter(condition),
                "created_at",
                dealer_ids=dealer_ids,
                first_day=first_day,
                last_day=last_day,
            )
            .values("dealer_id", "local_day")
            .annotate(value=Count("id"))
            .values_list("dealer_id", "local_day", "value")
        )
        return list(rows)

    return compute


def _answer_measure(condition: Q, value):
    def compute(*, dealer_ids, first_day: date, last_day: date):
        answers = SurveyAnswer.objects.filter(condition).annotate(created_at=F("response__invitation__created_at"))
        rows = (
            on_local_days(answers, "created_at", dealer_ids=dealer_ids, first_day=first_day, last_day=last_day)
            .values("dealer_id", "local_day")
            .annotate(value=value)
            .values_list("dealer_id", "local_day", "value")
        )
        return [(dealer_id, day, v or 0) for dealer_id, day, v in rows]

    return compute


measure_delivered = _invitation_measure(IS_DELIVERED)
measure_responses = _invitation_measure(Q(status=Status.ANSWERED))
measure_low_responses = _invitation_measure(Q(response__is_low_score=True))
_NPS = Q(question__type=SurveyQuestion.Type.NPS, number__isnull=False)
measure_nps_answers = _answer_measure(_NPS, Count("id"))
measure_nps_promoters = _answer_measure(_NPS & Q(number__gte=NPS_PROMOTER_MIN), Count("id"))
measure_nps_detractors = _answer_measure(_NPS & Q(number__lte=NPS_DETRACTOR_MAX), Count("id"))


def _scale(kind: str) -> Q:
    return Q(question__type=SurveyQuestion.Type.SCALE, number__isnull=False, response__kind=kind)


measure_ssi_points = _answer_measure(_scale(SurveyKind.SSI), Sum(NORMALISED))
measure_ssi_answers = _answer_measure(_scale(SurveyKind.SSI), Count("id"))
measure_csi_points = _answer_measure(_scale(SurveyKind.CSI), Sum(NORMALISED))
measure_csi_answers = _answer_measure(_scale(SurveyKind.CSI), Count("id"))
