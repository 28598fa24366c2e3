"""What the owner club lends to the core's registries, imported once by LoyaltyConfig.ready(): the timeline
subscribers that earn points on deliveries, referrals and settled repair orders and release redemptions on
voided ones; the customer page's club panel; the header entries of the club's pages.

Each subscriber runs network-wide at most once per event (crm.timeline), and is idempotent by its subject
anyway (the order, the referred customer, the redemption), so a duplicated event never pays twice.

What loyalty lends to the core's registries, imported once by LoyaltyConfig.ready(): timeline subscribers,
header entries and key figures.

Satisfaction surveys: a delivery (leads) invites the customer to the sales survey (SSI), a settled repair
order (service) to the service survey (CSI); the statistics page, the call-back list and the OEM's
questionnaire builder join the header; SSI, CSI, NPS and the response rate join the key figures.
"""

from datetime import date

from django import forms
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
from crm.customers.panels import CustomerPanel, panel_register
from crm.customers.registry import MergeStep, merge_step_register
from crm.messaging.registry import CareTrigger, SegmentFilter, care_trigger_register, segment_filter_register
from crm.network.models import Dealer
from crm.timeline.registry import subscribe
from leads.events import LEAD_DELIVERED
from loyalty import permissions
from loyalty.events import MEMBER_JOINED, SURVEY_ANSWERED, SURVEY_SENT
from loyalty.models import Tier
from loyalty.permissions import can_configure_programme, can_read_loyalty, can_see_settlement
from loyalty.selectors import figures, segments
from loyalty.selectors import surveys as survey_selectors
from loyalty.services.earning import earn_on_delivery, earn_on_repair_order_settled
from loyalty.services.merge import memberships_merge
from loyalty.services.redemption import redemptions_release
from loyalty.services.surveys import invitation_for_delivery, invitation_for_repair_order
from service.events import REPAIR_ORDER_SETTLED, REPAIR_ORDER_VOIDED


def on_delivery(event) -> None:
    data = event.data or {}
    if event.dealer_id is None or "order" not in data:
        return
    earn_on_delivery(
        customer_id=event.customer_id,
        dealer=Dealer.objects.get(id=event.dealer_id),
        order_id=data["order"],
        lead_id=data.get("lead"),
    )


def on_repair_order_settled(event) -> None:
    data = event.data or {}
    earn_on_repair_order_settled(
        customer_id=event.customer_id,
        repair_order_id=data["repair_order"],
        customer_pay_total=data.get("customer_pay_total") or "0",
        settled_at=data.get("settled_at"),
    )


def on_repair_order_voided(event) -> None:
    redemptions_release(repair_order_id=(event.data or {})["repair_order"])


# Two customer records merged: one membership remains, the other's points move to it by transfer entries.
merge_step_register(
    MergeStep(key="loyalty.memberships", handles=frozenset({("loyalty.member", "customer")}), run=memberships_merge)
)

subscribe(name="loyalty.delivery", kinds={LEAD_DELIVERED}, handler=on_delivery)
subscribe(name="loyalty.repair_order_settled", kinds={REPAIR_ORDER_SETTLED}, handler=on_repair_order_settled)
subscribe(name="loyalty.repair_order_voided", kinds={REPAIR_ORDER_VOIDED}, handler=on_repair_order_voided)


# --- The customer page's club panel and the header -----------------------------------------------------------


def customer_panel_context(request, customer) -> dict | None:
    """The member's tier, balance, points expiring soon and pending; or, for a customer who is not a member,
    the sign-up form when the viewer works at a dealer that knows the customer."""
    from loyalty.forms import EnrolForm
    from loyalty.selectors.club import member_for
    from loyalty.views.club import enrol_dealer, member_summary, redeemable_repair_orders

    if not can_read_loyalty(request.access):
        return None
    member = member_for(customer_id=customer.id)
    if member is not None:
        return {**member_summary(member), "redeemable": redeemable_repair_orders(request, customer)}
    dealer = enrol_dealer(request, customer)
    if dealer is None:
        return None
    return {"member": None, "customer": customer, "dealer": dealer, "form": EnrolForm()}


panel_register(
    CustomerPanel(
        key="loyalty_membership",
        order=30,
        column="side",
        template="loyalty/_customer_panel.html",
        context=customer_panel_context,
    )
)

nav_register(
    NavEntry(
        key="loyalty_members",
        label=_("Owner club"),
        url_name="loyalty:members",
        icon="award",
        order=45,
        allowed=can_read_loyalty,
        is_here=in_namespace("loyalty", names={"members", "member", "statement", "redeem"}),
        is_secondary=True,
    ),
    NavEntry(
        key="loyalty_programme",
        label=_("Loyalty programme"),
        url_name="loyalty:programme",
        icon="sliders",
        order=46,
        allowed=can_configure_programme,
        is_here=in_namespace("loyalty", names={"programme"}),
        is_secondary=True,
    ),
    NavEntry(
        key="loyalty_settlement",
        label=_("Points settlement"),
        url_name="loyalty:settlement",
        icon="arrow-left-right",
        order=47,
        allowed=can_see_settlement,
        is_here=in_namespace("loyalty", names={"settlement"}),
        is_secondary=True,
    ),
)


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
# --- Key figures ---------------------------------------------------------------------------------------------


def _distinct_count(code: str):
    def combine(totals):
        members = set(totals[code])
        return FigureValue(len(members), len(members), None)

    return combine


measure_register(
    Measure("loyalty.points_issued", MeasureKind.SUM, figures.points_issued),
    Measure("loyalty.points_redeemed", MeasureKind.SUM, figures.points_redeemed),
    Measure("loyalty.active_member_ids", MeasureKind.VALUES, figures.active_member_ids),
    Measure("loyalty.members_joined", MeasureKind.COUNT, figures.members_joined, changed_by=(MEMBER_JOINED,)),
    Measure("loyalty.deliveries", MeasureKind.COUNT, figures.deliveries, changed_by=(LEAD_DELIVERED,)),
    Measure("loyalty.loyal_deliveries", MeasureKind.COUNT, figures.loyal_deliveries, changed_by=(LEAD_DELIVERED,)),
    Measure("loyalty.liability_points", MeasureKind.VALUES, figures.liability_points),
)


def _liability(totals) -> FigureValue:
    """The points held at the end of the period's last day (each dealer's last [dealer, day, points] cell of
    the period, summed over the dealers), at the programme's point value."""
    from decimal import ROUND_HALF_UP, Decimal

    from loyalty.selectors.club import programme_current

    values = totals["loyalty.liability_points"]
    last: dict[float, tuple[float, float]] = {}
    for dealer_id, day, held in zip(values[0::3], values[1::3], values[2::3], strict=True):
        if dealer_id not in last or day > last[dealer_id][0]:
            last[dealer_id] = (day, held)
    points = int(sum(held for _day, held in last.values()))
    amount = (Decimal(points) * programme_current().point_value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return FigureValue(float(amount), points, None)


figure_register(
    KeyFigure(
        code="loyalty.loyalty_index",
        owner="loyalty",
        label=_("Loyalty index"),
        unit=Unit.PERCENT,
        higher_is_better=True,
        definition=_(
            "Share of the period's deliveries that went to an owner who already had a car, or came through an "
            "owner's referral."
        ),
        measures=("loyalty.loyal_deliveries", "loyalty.deliveries"),
        combine=ratio("loyalty.loyal_deliveries", "loyalty.deliveries"),
        group="loyalty",
        order=10,
    ),
    KeyFigure(
        code="loyalty.active_members",
        owner="loyalty",
        label=_("Active club members"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Club members who earned or redeemed points at the dealer in the period, each counted once."),
        measures=("loyalty.active_member_ids",),
        combine=_distinct_count("loyalty.active_member_ids"),
        group="loyalty",
        order=20,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.new_members",
        owner="loyalty",
        label=_("New club members"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Owners who joined the club with the dealer as home dealer in the period."),
        measures=("loyalty.members_joined",),
        combine=total_of("loyalty.members_joined"),
        group="loyalty",
        order=30,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.points_issued",
        owner="loyalty",
        label=_("Points issued"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Points members earned at the dealer in the period (what the programme now owes them)."),
        measures=("loyalty.points_issued",),
        combine=total_of("loyalty.points_issued"),
        group="loyalty",
        order=40,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.points_redeemed",
        owner="loyalty",
        label=_("Points redeemed"),
        unit=Unit.COUNT,
        higher_is_better=True,
        definition=_("Points members spent at the dealer in the period, net of redemptions released."),
        measures=("loyalty.points_redeemed",),
        combine=total_of("loyalty.points_redeemed"),
        group="loyalty",
        order=50,
        is_scorable=False,
    ),
    KeyFigure(
        code="loyalty.points_liability",
        owner="loyalty",
        label=_("Points liability"),
        unit=Unit.CURRENCY,
        higher_is_better=False,
        definition=_(
            "What the dealer owes its club members at the end of the period's last day: the points still "
            "unspent and unexpired in lots it awarded and funded (not the OEM's campaign or referral points), "
            "times the programme's current value of one point."
        ),
        measures=("loyalty.liability_points",),
        combine=_liability,
        group="loyalty",
        order=60,
        is_scorable=False,
    ),
)


# --- Messaging: segment filters and the "points expiring soon" care occasion ---------------------------------


def _tier_choices():
    return [(tier.code, tier.display_name) for tier in Tier.objects.order_by("rank")]


def _by_tier(customers, value, dealer_id):
    allowed = {code for code, _label in _tier_choices()}
    codes = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if str(v) in allowed]
    return segments.by_tier(customers, codes) if codes else customers.none()


def _whole_number(value, *, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def _by_balance(customers, value, dealer_id):
    points = _whole_number(value, low=0, high=100_000_000)
    return segments.by_balance_at_least(customers, points) if points is not None else customers.none()


def _by_expiring(customers, value, dealer_id):
    days = _whole_number(value, low=1, high=366)
    return segments.by_expiring_within(customers, days) if days is not None else customers.none()


segment_filter_register(
    SegmentFilter(
        key="loyalty_tier",
        label=_("Club tier"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Club tier"), required=False, choices=_tier_choices(), widget=forms.CheckboxSelectMultiple
        ),
        apply=_by_tier,
        group="loyalty",
        order=400,
    )
)
segment_filter_register(
    SegmentFilter(
        key="loyalty_balance_at_least",
        label=_("Points balance at least"),
        field=lambda: forms.IntegerField(label=_("Points balance at least"), required=False, min_value=0),
        apply=_by_balance,
        group="loyalty",
        order=410,
    )
)
segment_filter_register(
    SegmentFilter(
        key="loyalty_expiring_within_days",
        label=_("Points expiring within (days)"),
        field=lambda: forms.IntegerField(
            label=_("Points expiring within (days)"), required=False, min_value=1, max_value=366
        ),
        apply=_by_expiring,
        group="loyalty",
        order=420,
    )
)
NPS_GROUP_CHOICES = [
    ("promoter", _("Promoters (9–10)")),
    ("passive", _("Passives (7–8)")),
    ("detractor", _("Detractors (0–6)")),
]


def _by_last_nps(customers, value, dealer_id):
    values = value if isinstance(value, list | tuple) else [value]
    groups = [str(v) for v in values if str(v) in segments.NPS_GROUPS]
    return segments.by_last_nps(customers, groups, dealer_id)


segment_filter_register(
    SegmentFilter(
        key="loyalty_last_nps",
        label=_("Latest NPS answer"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Latest NPS answer"), required=False, choices=NPS_GROUP_CHOICES, widget=forms.CheckboxSelectMultiple
        ),
        apply=_by_last_nps,
        group="loyalty",
        order=430,
    )
)
care_trigger_register(
    CareTrigger(
        key="points_expiring",
        label=_("Points expiring in 30 days"),
        due=segments.expiring_on_reminder_day,
    )
)
