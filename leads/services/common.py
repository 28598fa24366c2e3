"""Pieces every leads service shares: who may act, the follow-up cadence, scheduling, stage bookkeeping."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.models import Dealer
from crm.network.selectors import brand_models_for_dealer, models_match
from crm.timeline.services import event_record
from leads import events
from leads.exceptions import CadenceOutOfRange, ContactTimeImplausible, LeadClosed, VisitTimeImplausible
from leads.models import (
    CALLBACK_REASONS,
    FUNNEL_STAGES,
    OPEN_STAGES,
    CadencePolicy,
    DealerCadence,
    FollowUp,
    Grade,
    Lead,
    StageChange,
)
from leads.permissions import can_manage_dealer, require

# The defaults Chinese dealers commonly use (days between follow-ups), when the OEM has set no policy.
DEFAULT_CADENCE_DAYS = {Grade.O: 2, Grade.H: 2, Grade.A: 4, Grade.B: 7, Grade.C: 15}
# Stages in funnel order: a lead only ever advances automatically.
FUNNEL_ORDER = list(FUNNEL_STAGES)


def require_open(lead: Lead) -> None:
    if lead.stage not in OPEN_STAGES:
        raise LeadClosed()


def lock_lead(lead_id: int) -> Lead:
    """The lead, locked for this transaction (visible to the caller's scope, else NotFound)."""
    lead = Lead.objects.select_for_update().select_related("dealer").filter(id=lead_id).first()
    if lead is None:
        raise NotFound()
    return lead


def lead_lock_for(*, lead_id: int, by) -> Lead:
    """The lead, locked for this transaction, in one read: only among the leads of `by`'s own scope (the
    application's check; row-level security applies the same again), with what a page or the API shows of
    it (customer, owner, dealer, source). Missing and not visible alike: NotFound. A request that acts on
    one lead reads it here once, instead of reading it to check access and again to lock it."""
    leads = (
        Lead.objects.select_for_update(of=("self",))
        .select_related("customer", "owner", "dealer", "source")
        .filter(id=lead_id)
    )
    scope = access_for(by).scope
    if not scope.network_wide:
        leads = leads.filter(dealer_id__in=scope.dealer_ids)
    lead = leads.first()
    if lead is None:
        raise NotFound()
    return lead


def cadence_days(*, dealer_id: int, grade: str) -> int:
    """Days between follow-ups for `grade` at the dealer: its own choice, else the OEM default."""
    own = (
        DealerCadence.objects.filter(dealer_id=dealer_id, grade=grade).values_list("days", flat=True).first()
    )
    if own:
        return own
    policy = CadencePolicy.objects.filter(grade=grade).values_list("default_days", flat=True).first()
    return policy or DEFAULT_CADENCE_DAYS.get(grade, 7)


@transaction.atomic
def cadence_set(*, dealer: Dealer, grade: str, days: int, by) -> DealerCadence:
    """A dealer picks its own interval for a grade, inside the range the OEM allows."""
    require(can_manage_dealer(access_for(by), dealer.id))
    policy = CadencePolicy.objects.filter(grade=grade).first()
    low, high = (policy.min_days, policy.max_days) if policy else (1, 30)
    if not low <= days <= high:
        raise CadenceOutOfRange(extra={"min_days": low, "max_days": high})
    cadence, _created = DealerCadence.objects.update_or_create(
        dealer=dealer, grade=grade, defaults={"days": days}
    )
    return cadence


def local_morning(dealer: Dealer, day_offset: int, *, after: datetime) -> datetime:
    """10:00 at the dealer, `day_offset` days after `after` (a call the next day is a call in the morning)."""
    zone = zoneinfo.ZoneInfo(dealer.time_zone)
    local_day = after.astimezone(zone).date() + timedelta(days=day_offset)
    return datetime.combine(local_day, time(10, 0), tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))


def follow_ups_close(*, lead: Lead, closing: str, at: datetime | None = None) -> int:
    """Close the lead's open follow-up (not its delivery call-backs) with the reason: never deleted, so
    a follow-up that was overdue when a new grade replaced it still counts as missed."""
    return (
        FollowUp.objects.filter(lead=lead, done_at__isnull=True)
        .exclude(reason__in=CALLBACK_REASONS)
        .update(done_at=at or timezone.now(), closed_reason=closing)
    )


def follow_up_schedule(*, lead: Lead, reason: str, due_at: datetime, assigned_to=None) -> FollowUp:
    """Replace the lead's open follow-up with one due at `due_at` (the next contact date is computed,
    never typed), and mirror it on the lead for fast "my day" lists."""
    follow_ups_close(lead=lead, closing=FollowUp.Closing.REPLACED)
    follow_up = FollowUp.objects.create(
        lead=lead,
        dealer_id=lead.dealer_id,
        assigned_to=assigned_to or lead.owner,
        reason=reason,
        due_at=due_at,
    )
    Lead.objects.filter(id=lead.id).update(next_follow_up_at=due_at)
    lead.next_follow_up_at = due_at
    return follow_up


def follow_up_by_grade(*, lead: Lead, after: datetime) -> FollowUp | None:
    """The next follow-up from the lead's grade (ungraded leads: the next morning)."""
    if lead.stage not in OPEN_STAGES:
        return None
    if not lead.grade:
        return follow_up_schedule(
            lead=lead, reason=FollowUp.Reason.CADENCE, due_at=local_morning(lead.dealer, 1, after=after)
        )
    days = cadence_days(dealer_id=lead.dealer_id, grade=lead.grade)
    reason = FollowUp.Reason.ORDERED if lead.grade == Grade.O else FollowUp.Reason.CADENCE
    return follow_up_schedule(lead=lead, reason=reason, due_at=after + timedelta(days=days))


def stage_record(*, lead: Lead, to_stage: str, by, at: datetime | None = None) -> None:
    """Write the move in the caller's transaction, which holds the lead (locked, or just created): the
    stage change row, then one UPDATE of the lead (stage, furthest stage reached, time in stage from the
    log, close time), then the timeline event. `lead` is brought up to date from the UPDATE's RETURNING."""
    at = at or timezone.now()
    from_stage = lead.stage
    closing = to_stage not in OPEN_STAGES
    stage_change_add(lead=lead, from_stage=from_stage, to_stage=to_stage, at=at, by=by, closing=closing)
    if closing:
        follow_ups_close(lead=lead, closing=FollowUp.Closing.LEAD_CLOSED, at=at)
    event_record(
        customer_id=lead.customer_id,
        kind=events.LEAD_STAGE_CHANGED,
        dealer_id=lead.dealer_id,
        actor=by,
        occurred_at=at,
        data={"lead": lead.id, "from": from_stage, "to": to_stage},
    )


# Time in stage, from the lead's stage changes ordered by time then id: each change that has a successor
# gives its stage and the hours until that successor. The migration that added the columns computes the
# same per lead (leads/migrations/0005_…).
_TIME_IN_STAGE = """
    SELECT coalesce(array_agg(c.to_stage ORDER BY c.at, c.id) FILTER (WHERE c.next_at IS NOT NULL), '{}')
               AS stages,
           coalesce(
               array_agg((EXTRACT(EPOCH FROM (c.next_at - c.at)) / 3600.0)::float8 ORDER BY c.at, c.id)
                   FILTER (WHERE c.next_at IS NOT NULL),
               '{}'
           ) AS hours
    FROM (
        SELECT id, to_stage, at, lead(at) OVER (ORDER BY at, id) AS next_at
        FROM leads_stagechange WHERE lead_id = %(lead)s
    ) AS c
"""
# The move itself, one UPDATE: the stage, the furthest stage reached (`to` when it is further along the
# funnel than the furthest so far, computed by the UPDATE, never read, decided and written back), the
# close time, and the time in stage rewritten from the log that already holds this move.
STAGE_MOVE_SQL = f"""
UPDATE leads_lead SET
    stage = %(to)s,
    furthest_stage = CASE
        WHEN %(further)s::varchar[] IS NULL OR leads_lead.furthest_stage = ANY(%(further)s::varchar[])
        THEN leads_lead.furthest_stage ELSE %(to)s END,
    closed_at = %(closed_at)s,
    next_follow_up_at = CASE WHEN %(closing)s THEN NULL ELSE leads_lead.next_follow_up_at END,
    updated_at = %(now)s,
    left_stages = t.stages,
    left_stage_hours = t.hours
FROM ({_TIME_IN_STAGE}) AS t
WHERE leads_lead.id = %(lead)s
RETURNING leads_lead.furthest_stage, leads_lead.left_stages, leads_lead.left_stage_hours
"""


def stage_change_add(
    *, lead: Lead, from_stage: str, to_stage: str, at: datetime, by, closing: bool = False
) -> StageChange:
    """Record a move in the lead's stage-change log and move the lead in one UPDATE (STAGE_MOVE_SQL).
    Moves are usually appended, but a contact logged afterwards can carry an earlier time, and the log's
    order decides which stage was left when: the time in stage is rewritten from the log, of which only
    the lead's own few rows are read. The caller holds the lead (locked, or just created)."""
    change = StageChange.objects.create(
        lead=lead, dealer_id=lead.dealer_id, from_stage=from_stage, to_stage=to_stage, at=at, by=_user(by)
    )
    now = timezone.now()
    further = FUNNEL_ORDER[FUNNEL_ORDER.index(to_stage) :] if to_stage in FUNNEL_ORDER else None
    with connection.cursor() as cursor:
        cursor.execute(
            STAGE_MOVE_SQL,
            {
                "lead": lead.id,
                "to": to_stage,
                "further": [str(stage) for stage in further] if further is not None else None,
                "closed_at": at if closing else None,
                "closing": closing,
                "now": now,
            },
        )
        lead.furthest_stage, lead.left_stages, lead.left_stage_hours = cursor.fetchone()
    lead.stage = to_stage
    lead.closed_at = at if closing else None
    lead.updated_at = now
    if closing:
        lead.next_follow_up_at = None
    return change


def stage_advance(*, lead: Lead, to_stage: str, by, at: datetime | None = None) -> bool:
    """Move forward to `to_stage` if the lead is not already there or past it. Returns whether it moved."""
    if lead.stage not in OPEN_STAGES or FUNNEL_ORDER.index(to_stage) <= FUNNEL_ORDER.index(lead.stage):
        return False
    stage_record(lead=lead, to_stage=to_stage, by=by, at=at)
    return True


# Times people type or send (a visit's arrival, a call made earlier) are checked against plausible windows:
# never ahead of now by more than a clock's drift, never before what they follow.
FUTURE_TOLERANCE = timedelta(minutes=5)
VISIT_LONGEST_STAY = timedelta(hours=12)


def _within(at: datetime, earliest: datetime, latest: datetime) -> bool:
    """`earliest <= at <= latest`, safely: a year-1 or year-9999 instant cannot even be moved between time
    zones, so such values are refused before they are compared."""
    if not 1970 < at.year < 9000:
        return False
    try:
        return earliest <= at <= latest
    except OverflowError:
        return False


def visit_times_check(
    *, arrived_at: datetime, left_at: datetime | None, now: datetime, is_history: bool = False
) -> None:
    """A visit is logged on the floor or shortly after: not ahead of now, not older than the back-logging
    window (LEAD_VISIT_BACKLOG_DAYS; not for the system's own history), and the visitor leaves after
    arriving, the same day."""
    days = settings.LEAD_VISIT_BACKLOG_DAYS
    earliest = datetime(2000, 1, 1, tzinfo=UTC) if is_history else now - timedelta(days=days)
    if not _within(arrived_at, earliest, now + FUTURE_TOLERANCE):
        raise VisitTimeImplausible(
            _("A visit is logged when it happens or within %(days)s days after, never ahead of time.")
            % {"days": days},
            field="arrived_at",
        )
    if left_at is not None and not _within(
        left_at, arrived_at, min(arrived_at + VISIT_LONGEST_STAY, now + FUTURE_TOLERANCE)
    ):
        raise VisitTimeImplausible(
            _("The visitor leaves after arriving, within %(hours)s hours, and not later than now.")
            % {"hours": int(VISIT_LONGEST_STAY.total_seconds() // 3600)},
            field="left_at",
        )


def contact_time_check(*, lead: Lead, at: datetime, now: datetime) -> None:
    """A contact attempt happens after the lead arrived and not in the future."""
    if not _within(at, lead.arrived_at, now + FUTURE_TOLERANCE):
        raise ContactTimeImplausible(
            _("A contact attempt happens between the lead's arrival (%(arrived)s) and now.")
            % {"arrived": formats.date_format(timezone.localtime(lead.arrived_at), "SHORT_DATETIME_FORMAT")},
            field="at",
        )


def is_backdated(*, at: datetime, logged_at: datetime) -> bool:
    """Claimed much earlier than it was logged: the OEM counts such contacts apart from the others."""
    return at < logged_at - timedelta(minutes=settings.LEAD_BACKDATED_CONTACT_MINUTES)


MODELS_OF_INTEREST_LIMIT = 10
MODEL_NAME_LENGTH = 60  # the length of a lead's and a visit's models of interest


def models_of_interest_normalise(*, dealer_id: int, texts) -> tuple[list[str], list[str]]:
    """Models of interest as the dealer's brands' catalogue names them ("Aurora A6", "a6" and "奥罗拉A6" all
    count as "A6"), de-duplicated, at most ten, each fitting its column; and the names the catalogue does
    not know, which are kept as typed, never dropped (intake warns its sender about them). Every write of
    models of interest goes through here."""
    texts = [str(text) for text in texts if text and str(text).strip()]
    if not texts:
        return [], []
    values: list[str] = []
    unknown: list[str] = []
    for match in models_match(texts=texts, models=list(brand_models_for_dealer(dealer_id=dealer_id))):
        value = match.value[:MODEL_NAME_LENGTH]
        if value and value not in values:
            values.append(value)
            if not match.is_matched:
                unknown.append(match.text)
    return values[:MODELS_OF_INTEREST_LIMIT], unknown


def first_response_minutes_setting() -> int:
    return int(getattr(settings, "LEAD_FIRST_RESPONSE_MINUTES", 120))


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def user_or_none(by):
    return _user(by)
