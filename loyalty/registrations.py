"""What loyalty lends to the core's registries, imported once by LoyaltyConfig.ready(): timeline subscribers,
header entries and key figures.

Satisfaction surveys: a delivery (leads) invites the customer to the sales survey (SSI), a settled repair
order (service) to the service survey (CSI); the statistics page, the call-back list and the OEM's
questionnaire builder join the header; SSI, CSI, NPS and the response rate join the key figures.
"""

from datetime import date

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from crm.core.key_figures import (
    FigureValue,
    KeyFigure,
    Measure,
    MeasureKind,
    Unit,
    figure_register,
    measure_register,
    ratio,
    total_of,
)
from crm.core.navigation import NavEntry, in_namespace, nav_register
from crm.timeline.registry import subscribe
from leads.events import LEAD_DELIVERED
from loyalty import permissions
from loyalty.events import SURVEY_ANSWERED, SURVEY_SENT
from loyalty.selectors import surveys as survey_selectors
from loyalty.services.surveys import invitation_for_delivery, invitation_for_repair_order
from service.events import REPAIR_ORDER_SETTLED

# --- Satisfaction surveys -----------------------------------------------------------------------------------

subscribe(name="loyalty.surveys.after_delivery", kinds={LEAD_DELIVERED}, handler=invitation_for_delivery)
subscribe(
    name="loyalty.surveys.after_repair_order", kinds={REPAIR_ORDER_SETTLED}, handler=invitation_for_repair_order
)

nav_register(
    NavEntry(
        key="loyalty_survey_statistics",
        label=_("Satisfaction"),
        url_name="loyalty:surveys:statistics",
        icon="emoji-smile",
        order=70,
        allowed=permissions.can_see_survey_statistics,
        is_here=in_namespace("loyalty:surveys", names={"statistics"}),
    ),
    NavEntry(
        key="loyalty_survey_call_backs",
        label=_("Survey call-backs"),
        url_name="loyalty:surveys:invitations",
        icon="telephone-outbound",
        order=71,
        allowed=permissions.can_list_survey_invitations,
        is_here=in_namespace("loyalty:surveys", names={"invitations", "call_back"}),
        is_secondary=True,
    ),
    NavEntry(
        key="loyalty_survey_questionnaires",
        label=_("Satisfaction questionnaires"),
        url_name="loyalty:surveys:questionnaires",
        icon="ui-radios",
        order=72,
        allowed=permissions.can_build_questionnaires,
        is_here=in_namespace(
            "loyalty:surveys", names={"questionnaires", "questionnaire_new", "version", "question_remove"}
        ),
        is_secondary=True,
    ),
)


def _statistics_url(kind: str):
    def rows_url(dealer_id: int | None, first_day: date, last_day: date) -> str:
        query = {"kind": kind, "date_from": first_day.isoformat(), "date_to": last_day.isoformat()}
        if dealer_id:
            query["dealer"] = dealer_id
        return f"{reverse('loyalty:surveys:statistics')}?{urlencode(query)}"

    return rows_url


def _nps(totals) -> FigureValue:
    answers = totals["survey_nps_answers"]
    if not answers:
        return FigureValue(None, None, 0)
    net = totals["survey_nps_promoters"] - totals["survey_nps_detractors"]
    return FigureValue(100 * net / answers, net, answers)


_SURVEY_EVENTS = (SURVEY_SENT, SURVEY_ANSWERED)
measure_register(
    Measure("survey_delivered", MeasureKind.COUNT, survey_selectors.measure_delivered, _SURVEY_EVENTS),
    Measure("survey_responses", MeasureKind.COUNT, survey_selectors.measure_responses, _SURVEY_EVENTS),
    Measure("survey_low_responses", MeasureKind.COUNT, survey_selectors.measure_low_responses, _SURVEY_EVENTS),
    Measure("survey_nps_answers", MeasureKind.COUNT, survey_selectors.measure_nps_answers, _SURVEY_EVENTS),
    Measure("survey_nps_promoters", MeasureKind.COUNT, survey_selectors.measure_nps_promoters, _SURVEY_EVENTS),
    Measure("survey_nps_detractors", MeasureKind.COUNT, survey_selectors.measure_nps_detractors, _SURVEY_EVENTS),
    Measure("survey_ssi_points", MeasureKind.SUM, survey_selectors.measure_ssi_points, _SURVEY_EVENTS),
    Measure("survey_ssi_answers", MeasureKind.COUNT, survey_selectors.measure_ssi_answers, _SURVEY_EVENTS),
    Measure("survey_csi_points", MeasureKind.SUM, survey_selectors.measure_csi_points, _SURVEY_EVENTS),
    Measure("survey_csi_answers", MeasureKind.COUNT, survey_selectors.measure_csi_answers, _SURVEY_EVENTS),
)
figure_register(
    KeyFigure(
        code="survey_ssi",
        owner="loyalty",
        label=_("Sales satisfaction (SSI)"),
        unit=Unit.SCORE,
        higher_is_better=True,
        definition=_(
            "The mean of the scale answers to the sales survey after delivery, each put on 0–100 (lowest "
            "score 0, highest 100), for invitations sent in the period."
        ),
        measures=("survey_ssi_points", "survey_ssi_answers"),
        combine=ratio("survey_ssi_points", "survey_ssi_answers", percent=False),
        group="satisfaction",
        order=10,
        rows_url=_statistics_url("ssi"),
    ),
    KeyFigure(
        code="survey_csi",
        owner="loyalty",
        label=_("Service satisfaction (CSI)"),
        unit=Unit.SCORE,
        higher_is_better=True,
        definition=_(
            "The mean of the scale answers to the service survey after a settled repair order, each put on "
            "0–100 (lowest score 0, highest 100), for invitations sent in the period."
        ),
        measures=("survey_csi_points", "survey_csi_answers"),
        combine=ratio("survey_csi_points", "survey_csi_answers", percent=False),
        group="satisfaction",
        order=20,
        rows_url=_statistics_url("csi"),
    ),
    KeyFigure(
        code="survey_nps",
        owner="loyalty",
        label=_("Net promoter score (NPS)"),
        unit=Unit.SCORE,
        higher_is_better=True,
        definition=_(
            "Percentage of answers 9–10 minus percentage of answers 0–6 to “would you recommend us” "
            "(−100 to 100), over the customers who answered it: a skipped question is not counted."
        ),
        measures=("survey_nps_promoters", "survey_nps_detractors", "survey_nps_answers"),
        combine=_nps,
        group="satisfaction",
        order=30,
        rows_url=_statistics_url(""),
    ),
    KeyFigure(
        code="survey_response_rate",
        owner="loyalty",
        label=_("Survey response rate"),
        unit=Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Survey responses ÷ invitations actually delivered (the message reached the customer, or they "
            "answered a call-back), for invitations sent in the period."
        ),
        measures=("survey_responses", "survey_delivered"),
        combine=ratio("survey_responses", "survey_delivered"),
        group="satisfaction",
        order=40,
        rows_url=_statistics_url(""),
        is_scorable=False,
    ),
    KeyFigure(
        code="survey_complaints",
        owner="loyalty",
        label=_("Complaints from surveys"),
        unit=Unit.COUNT,
        higher_is_better=False,
        definition=_(
            "Survey responses with a low score (a detractor, 0–6 on “would you recommend us”, or any answer at "
            "the bottom of its scale), each of which opens one complaint, for invitations sent in the period."
        ),
        measures=("survey_low_responses",),
        combine=total_of("survey_low_responses"),
        group="satisfaction",
        order=50,
        rows_url=_statistics_url(""),
        is_scorable=False,
    ),
)
