"""What the funnel lends to messaging, registered from LeadsConfig.ready() so messaging never imports leads:
segment filters on the customer's open leads (grade, stage) and the {{ salesperson.* }} placeholders.

"Open" is the lead's stage (new … ordered); a dealer's segment only looks at the dealer's own leads, so a
segment never counts, or reveals, another dealer's funnel.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from crm.core.names import person_name
from crm.messaging.context import context_provider_register
from crm.messaging.segments import SegmentFilter, segment_filter_register
from leads.models import OPEN_GRADES, OPEN_STAGES, Grade, Lead, Stage

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
