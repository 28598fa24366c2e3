"""Who sees which funnel, and the filters that select a figure's leads: the lead list's contract, applied
by `funnel_leads` to the dashboard's cohort and to the list it drills into alike."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from leads import permissions
from leads.models import FUNNEL_STAGES, Lead, LostVerdict, Stage
from leads.selectors import leads_for_user

FUNNEL = list(FUNNEL_STAGES)
RANK = {stage: rank for rank, stage in enumerate(FUNNEL)}
ALL_STAGES = [*FUNNEL, Stage.LOST, Stage.FROZEN]

# First-response buckets, in business minutes: (key, label, lower bound inclusive, upper bound exclusive).
FIRST_RESPONSE_BUCKETS = [
    ("lt15", _("< 15 min"), 0, 15),
    ("15_60", _("15–60 min"), 15, 60),
    ("1_2h", _("1–2 h"), 60, 120),
    ("2_8h", _("2–8 h"), 120, 480),
    ("8_24h", _("8–24 h"), 480, 1440),
    ("gt24h", _("> 24 h"), 1440, None),
]
NO_RESPONSE_YET = "none"
FIRST_RESPONSE_KEYS = [key for key, *_rest in FIRST_RESPONSE_BUCKETS] + [NO_RESPONSE_YET, "any"]
EXPORT_ROW_LIMIT = 50_000
UNASSIGNED = "none"  # owner=none: leads without an owner; source=none: leads without a source


@dataclass(frozen=True)
class FunnelFilters:
    """The cohort and its filters. `params()` renders them in the lead list's query-parameter contract:

    - arrived_from, arrived_to: ISO dates, inclusive, in the active time zone (settings.TIME_ZONE)
    - dealer: dealer id; owner: user id or "none"; source: lead source id or "none"; type: LeadType value
    - stage: current stage; grade: current grade; sla_breached: "1" / "0" (Lead.is_sla_breached)
    and, for the drill-downs the base contract cannot express:
    - model: a model name contained in models_of_interest (exact)
    - reached: a funnel stage the lead reached or passed (Lead.furthest_stage, kept from its stage changes;
      a jump passes the skipped)
    - first_response: among leads with a first-response clock (sla_due_at set), first_response_minutes in a
      bucket (lt15, 15_60, 1_2h, 2_8h, 8_24h, gt24h), "none" (no contact yet) or "any" (every clocked lead)
    - verified: among leads with a clock and a first contact, "1" verified / "0" only claimed
    - lost_reason: the reason of the lead's approved lost (or frozen) verdict
    """

    date_from: date
    date_to: date
    dealer_id: int | None = None
    owner: int | str | None = None
    source: int | str | None = None
    model: str = ""
    type: str = ""
    stage: str = ""
    grade: str = ""
    sla_breached: bool | None = None
    reached: str = ""
    first_response: str = ""
    verified: bool | None = None
    lost_reason: str = ""

    def params(self, **overrides) -> dict[str, str]:
        values = {
            "arrived_from": self.date_from.isoformat(),
            "arrived_to": self.date_to.isoformat(),
            "dealer": self.dealer_id,
            "owner": self.owner,
            "source": self.source,
            "type": self.type,
            "model": self.model,
            "stage": self.stage,
            "grade": self.grade,
            "sla_breached": _flag(self.sla_breached),
            "reached": self.reached,
            "first_response": self.first_response,
            "verified": _flag(self.verified),
            "lost_reason": self.lost_reason,
        }
        values.update(overrides)
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def _flag(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


@dataclass(frozen=True)
class Viewer:
    """How the dashboard is scoped for a user, on top of leads_for_user."""

    user_id: int
    own_figures_only: bool
    sees_dealers: bool  # more than one dealer in scope: the by-dealer breakdown is shown


def funnel_viewer(*, user) -> Viewer:
    access = access_for(user)
    if not permissions.can_see_funnel_dashboard(access):
        raise NotFound()
    own_only = permissions.funnel_figures_are_own_only(access)
    sees_dealers = access.scope.network_wide or len(access.scope.dealer_ids) > 1
    return Viewer(user_id=user.pk, own_figures_only=own_only, sees_dealers=sees_dealers and not own_only)


def funnel_filters_enforce(*, viewer: Viewer, filters: FunnelFilters) -> FunnelFilters:
    """A salesperson's dashboard is their own: the owner filter is always themselves."""
    if viewer.own_figures_only and filters.owner != viewer.user_id:
        return replace(filters, owner=viewer.user_id)
    return filters


def period_bounds(filters: FunnelFilters) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(filters.date_from, time.min, tzinfo=zone)
    end = datetime.combine(filters.date_to + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def stages_reaching(stage: str) -> list[str]:
    """The furthest stages of the leads that reached or passed `stage`."""
    return FUNNEL[RANK[stage] :]


def funnel_leads(*, user, filters: FunnelFilters) -> QuerySet[Lead]:
    """The leads the filters select, in the user's scope: the lead list's contract, applied."""
    viewer = funnel_viewer(user=user)
    filters = funnel_filters_enforce(viewer=viewer, filters=filters)
    start, end = period_bounds(filters)
    leads = leads_for_user(user=user).filter(arrived_at__gte=start, arrived_at__lt=end)
    if filters.dealer_id:
        leads = leads.filter(dealer_id=filters.dealer_id)
    if filters.owner == UNASSIGNED:
        leads = leads.filter(owner__isnull=True)
    elif filters.owner:
        leads = leads.filter(owner_id=filters.owner)
    if filters.source == UNASSIGNED:
        leads = leads.filter(source__isnull=True)
    elif filters.source:
        leads = leads.filter(source_id=filters.source)
    if filters.model:
        leads = leads.filter(models_of_interest__contains=[filters.model])
    if filters.type:
        leads = leads.filter(type=filters.type)
    if filters.stage:
        leads = leads.filter(stage=filters.stage)
    if filters.grade:
        leads = leads.filter(grade=filters.grade)
    if filters.sla_breached is not None:
        leads = leads.filter(is_sla_breached=filters.sla_breached)
    if filters.reached:
        leads = leads.filter(furthest_stage__in=stages_reaching(filters.reached))
    if filters.first_response:
        leads = leads.filter(sla_due_at__isnull=False)
        if filters.first_response == NO_RESPONSE_YET:
            leads = leads.filter(first_response_minutes__isnull=True)
        elif filters.first_response != "any":
            _key, _label, low, high = next(
                b for b in FIRST_RESPONSE_BUCKETS if b[0] == filters.first_response
            )
            leads = leads.filter(first_response_minutes__gte=low)
            if high is not None:
                leads = leads.filter(first_response_minutes__lt=high)
    if filters.verified is not None:
        leads = leads.filter(
            sla_due_at__isnull=False,
            first_contact_at__isnull=False,
            is_first_contact_verified=filters.verified,
        )
    if filters.lost_reason:
        leads = leads.filter(
            id__in=LostVerdict.objects.filter(
                status=LostVerdict.Status.APPROVED, reason=filters.lost_reason
            ).values("lead_id")
        )
    return leads
