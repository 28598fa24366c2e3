"""What the funnel lends to the core's registries, imported once by LeadsConfig.ready() so that the core
never imports leads: the header entries and landing pages of the funnel's pages; messaging's segment
filters on the customer's open leads (grade, stage), the {{ salesperson.* }} placeholders, and the overdue
follow-ups the bell and the notifications page show.

"Open" is the lead's stage (new … ordered); a dealer's segment only looks at the dealer's own leads, so a
segment never counts, or reveals, another dealer's funnel.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.names import person_name
from crm.core.navigation import Landing, NavEntry, in_namespace, landing_register, nav_register
from crm.messaging.registry import (
    DueSource,
    SegmentFilter,
    context_provider_register,
    due_source_register,
    segment_filter_register,
)
from crm.timeline.registry import subscribe
from leads import permissions
from leads.figures.registrations import register as figures_register
from leads.models import OPEN_GRADES, OPEN_STAGES, Grade, Lead, Stage
from leads.services import replacement
from leads.services.reminders.overdue import overdue_count, overdue_items

# --- Header and landing pages -------------------------------------------------------------------------------

_WORK_PAGES = {"my_day", "team", "visit_new", "approvals"}

nav_register(
    NavEntry(
        key="leads_team",
        label=_("Team"),
        url_name="leads:team",
        icon="people-fill",
        order=29,
        allowed=permissions.manages_a_dealer,
        is_here=in_namespace("leads", names={"team"}),
    ),
    NavEntry(
        key="leads_my_day",
        label=_("My day"),
        url_name="leads:my_day",
        icon="sunrise",
        order=30,
        allowed=permissions.can_log_visits,
        is_here=in_namespace("leads", names={"my_day"}),
    ),
    NavEntry(
        key="leads_list",
        label=_("Leads"),
        url_name="leads:list",
        icon="funnel",
        order=31,
        allowed=permissions.can_read_leads,
        is_here=in_namespace("leads", excluding=_WORK_PAGES),
    ),
    NavEntry(
        key="leads_visit_new",
        label=_("Log a visit"),
        url_name="leads:visit_new",
        icon="door-open",
        order=32,
        allowed=permissions.can_log_visits,
        is_here=in_namespace("leads", names={"visit_new"}),
    ),
    NavEntry(
        key="leads_approvals",
        label=_("Approvals"),
        url_name="leads:approvals",
        icon="check2-square",
        order=33,
        allowed=permissions.manages_a_dealer,
        is_here=in_namespace("leads", names={"approvals"}),
    ),
    NavEntry(
        key="leads_funnel",
        label=_("Funnel"),
        url_name="leads_dashboard:funnel",
        icon="bar-chart-line",
        order=34,
        allowed=permissions.oversees_funnels,
        is_here=in_namespace("leads_dashboard"),
    ),
    NavEntry(
        key="leads_phone_in",
        label=_("Phone-in"),
        url_name="leads_call_centre:phone_in",
        icon="headset",
        order=40,
        allowed=permissions.can_take_phone_ins,
        is_here=in_namespace("leads_call_centre"),
    ),
    NavEntry(
        key="leads_questionnaires",
        label=_("Screening questionnaire"),
        url_name="leads_setup:questionnaires",
        icon="ui-checks",
        order=60,
        allowed=permissions.can_edit_questionnaires,
        is_here=in_namespace("leads_setup", excluding={"cadence"}),
        is_secondary=True,
    ),
    NavEntry(
        key="leads_cadence",
        label=_("Follow-up cadence"),
        url_name="leads_setup:cadence",
        icon="calendar2-week",
        order=61,
        allowed=permissions.can_see_cadence,
        is_here=in_namespace("leads_setup", names={"cadence"}),
        is_secondary=True,
    ),
)
landing_register(
    # A sales manager's morning starts with the team: who has overdue follow-ups, which new leads wait.
    Landing(key="leads_team", order=25, applies=permissions.manages_sales, url_name="leads:team"),
    Landing(key="leads_my_day", order=30, applies=permissions.can_log_visits, url_name="leads:my_day"),
)


# --- Messaging: segment filters and placeholders -----------------------------------------------------------

GRADE_CHOICES = [(grade.value, Grade(grade).label) for grade in OPEN_GRADES]
STAGE_CHOICES = [(stage.value, Stage(stage).label) for stage in OPEN_STAGES]


def _chosen(value, choices) -> list[str]:
    allowed = {key for key, _label in choices}
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in values if str(v) in allowed]


def _with_open_lead(customers: QuerySet, dealer_id: int | None, **conditions) -> QuerySet:
    leads = Lead.objects.filter(customer=OuterRef("pk"), stage__in=OPEN_STAGES).filter(**conditions)
    if dealer_id is not None:
        leads = leads.filter(dealer_id=dealer_id)
    return customers.filter(Exists(leads))


def _by_grade(customers: QuerySet, value, dealer_id: int | None) -> QuerySet:
    grades = _chosen(value, GRADE_CHOICES)
    # A stored value no longer allowed selects nobody rather than everybody.
    return _with_open_lead(customers, dealer_id, grade__in=grades) if grades else customers.none()


def _by_stage(customers: QuerySet, value, dealer_id: int | None) -> QuerySet:
    stages = _chosen(value, STAGE_CHOICES)
    return _with_open_lead(customers, dealer_id, stage__in=stages) if stages else customers.none()


segment_filter_register(
    SegmentFilter(
        key="lead_grade",
        label=_("Has an open lead graded"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Has an open lead graded"),
            required=False,
            choices=GRADE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
        ),
        apply=_by_grade,
        group="lead",
        order=200,
    )
)
segment_filter_register(
    SegmentFilter(
        key="lead_stage",
        label=_("Has an open lead at stage"),
        field=lambda: forms.MultipleChoiceField(
            label=_("Has an open lead at stage"),
            required=False,
            choices=STAGE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
        ),
        apply=_by_stage,
        group="lead",
        order=210,
    )
)


def salesperson_values(customer_ids: list[int], dealer_by_customer: dict[int, int | None]) -> dict[int, dict]:
    """{{ salesperson.name }} and {{ salesperson.phone }}: the owner of the customer's most recent open lead
    at the dealer the message is from (none when the message has no dealer). Two queries per batch."""
    wanted = {(c, dealer_by_customer.get(c)) for c in customer_ids if dealer_by_customer.get(c)}
    if not wanted:
        return {}
    owner_by_customer: dict[int, int] = {}
    for customer_id, dealer_id, owner_id in (
        Lead.objects.filter(
            customer_id__in={c for c, _d in wanted},
            dealer_id__in={d for _c, d in wanted},
            stage__in=OPEN_STAGES,
            owner__isnull=False,
        )
        .order_by("customer_id", "-arrived_at", "-id")
        .values_list("customer_id", "dealer_id", "owner_id")
    ):
        if (customer_id, dealer_id) in wanted and customer_id not in owner_by_customer:
            owner_by_customer[customer_id] = owner_id
    if not owner_by_customer:
        return {}
    people = {
        user_id: (person_name(given=first, family=last) or username, phone or "")
        for user_id, first, last, username, phone in get_user_model()
        .objects.filter(id__in=set(owner_by_customer.values()))
        .values_list("id", "first_name", "last_name", "username", "staff_profile__phone")
    }
    values: dict[int, dict] = {}
    for customer_id, owner_id in owner_by_customer.items():
        name, phone = people.get(owner_id, ("", ""))
        row = {"salesperson.name": name}
        if phone:
            row["salesperson.phone"] = phone
        values[customer_id] = row
    return values


context_provider_register(salesperson_values)

due_source_register(
    DueSource(
        key="overdue_follow_ups",
        label=_("Overdue follow-ups"),
        count=overdue_count,
        items=overdue_items,
        icon="alarm",
    )
)


# --- Key figures (crm.core.key_figures): what the OEM judges the funnel by ---------------------------------

figures_register()
# --- Replacement window (svc-care): a repair order opens on an old or far-driven vehicle ---------------------
subscribe(
    name=replacement.SUBSCRIBER,
    kinds={replacement.REPAIR_ORDER_OPENED},
    handler=replacement.replacement_lead_capture,
)
