"""The reads behind the set-up pages: questionnaire versions and the follow-up cadence per grade."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from crm.network.access import access_for, dealers_visible
from crm.network.models import DEALER_MANAGER_ROLES, OEM_OVERSIGHT_ROLES, Dealer
from leads.models import OPEN_GRADES, CadencePolicy, DealerCadence, Grade, Lead, Questionnaire
from leads.services.common import DEFAULT_CADENCE_DAYS

# The range a dealer may choose in when the OEM has set no policy for a grade (as leads.services does).
FALLBACK_RANGE = (1, 30)


def questionnaires_with_counts(*, user) -> QuerySet[Questionnaire]:
    """Every version, newest first, each with how many leads (in the user's scope) were graded with it.
    One query, whatever the number of versions and leads."""
    graded = (
        Lead.objects.filter(questionnaire=OuterRef("pk"))
        .order_by()
        .values("questionnaire")
        .annotate(count=Count("id"))
        .values("count")
    )
    return (
        Questionnaire.objects.select_related("created_by")
        .annotate(lead_count=Coalesce(Subquery(graded, output_field=IntegerField()), Value(0)))
        .order_by("-version")
    )


def questionnaire_get(*, user, questionnaire_id: int) -> Questionnaire | None:
    return Questionnaire.objects.filter(pk=questionnaire_id).first()


def questionnaire_next_version() -> int:
    return (Questionnaire.objects.aggregate(top=Max("version"))["top"] or 0) + 1


def questionnaire_in_use() -> Questionnaire | None:
    return Questionnaire.objects.filter(is_active=True).first()


# Cadence ------------------------------------------------------------------------------------------------


@dataclass
class GradeCadence:
    grade: str
    label: str
    min_days: int
    default_days: int
    max_days: int
    own_days: int | None

    @property
    def days(self) -> int:
        """What the grade means at the dealer now: its own value, else the OEM default."""
        return self.own_days or self.default_days


def cadence_policies() -> list[CadencePolicy]:
    """The OEM's policy for every open grade, in grade order (unsaved defaults where none is set)."""
    saved = {policy.grade: policy for policy in CadencePolicy.objects.filter(grade__in=OPEN_GRADES)}
    return [
        saved.get(grade)
        or CadencePolicy(
            grade=grade,
            default_days=DEFAULT_CADENCE_DAYS[grade],
            min_days=min(FALLBACK_RANGE[0], DEFAULT_CADENCE_DAYS[grade]),
            max_days=max(FALLBACK_RANGE[1], DEFAULT_CADENCE_DAYS[grade]),
        )
        for grade in OPEN_GRADES
    ]


def dealer_cadence(*, dealer_id: int) -> list[GradeCadence]:
    """Per open grade: the OEM range and default, the dealer's own value (if any). Two queries."""
    own = dict(DealerCadence.objects.filter(dealer_id=dealer_id).values_list("grade", "days"))
    return [
        GradeCadence(
            grade=policy.grade,
            label=str(Grade(policy.grade).label),
            min_days=policy.min_days,
            default_days=policy.default_days,
            max_days=policy.max_days,
            own_days=own.get(policy.grade),
        )
        for policy in cadence_policies()
    ]


def cadence_dealers(*, user) -> QuerySet[Dealer]:
    """Dealers whose cadence the user may look at: where they manage sales, in their regions, or any
    dealer for an OEM admin."""
    access = access_for(user)
    if access.has_role(*OEM_OVERSIGHT_ROLES):
        return dealers_visible(user).filter(is_active=True).order_by("name")
    return Dealer.objects.filter(id__in=access.dealers_where(*DEALER_MANAGER_ROLES)).order_by("name")
