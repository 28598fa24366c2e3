"""The points ledger: exact, append-only, race-proof."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from crm.core.scope import scoped
from crm.network.access import access_for
from loyalty.exceptions import AlreadyReversed, ApprovalRequired, InsufficientPoints, NothingToReverse
from loyalty.models import EntryKind, PointsAllocation, PointsEntry, PointsLot
from loyalty.models.ledger import EarnSource
from loyalty.selectors.ledger import balance_of
from loyalty.services.ledger import lots_expire, points_adjust, points_earn, points_redeem, points_reverse
from tests.factories import CustomerFactory, DealerFactory
from tests.loyalty.conftest import enrol, everything, sums

pytestmark = pytest.mark.django_db


def earn(member, points, *, key, at=None, dealer=None):
    with everything():
        return points_earn(
            member=member, points=points, source=EarnSource.CAMPAIGN, idempotency_key=key, occurred_at=at,
            dealer=dealer,
        )


def test_a_retried_redemption_returns_the_first_entry_and_writes_nothing(club):
    member = club["member"]
    earn(member, 500, key="k-earn")
    with everything():
        first = points_redeem(member=member, points=200, idempotency_key="redeem-1")
        count = PointsEntry.objects.count(), PointsAllocation.objects.count()
        again = points_redeem(member=member, points=200, idempotency_key="redeem-1")
        assert again.id == first.id
        assert (PointsEntry.objects.count(), PointsAllocation.objects.count()) == count
        assert points_earn(member=member, points=500, source="campaign", idempotency_key="k-earn").points == 500
    assert sums(member) == (300, 300, 300)


def test_a_redemption_the_balance_does_not_cover_is_refused_and_writes_nothing(club):
    member = club["member"]
    earn(member, 100, key="k1")
    with everything():
        before = PointsEntry.objects.count()
        with pytest.raises(InsufficientPoints) as refusal:
            points_redeem(member=member, points=101, idempotency_key="too-much")
        assert refusal.value.extra == {"balance": 100, "requested": 101}
        assert PointsEntry.objects.count() == before
    assert sums(member) == (100, 100, 100)


def test_redemptions_draw_from_the_lots_nearest_their_expiry_first(club):
    member = club["member"]
    late = earn(member, 300, key="late", at=datetime(2026, 11, 1, 4, tzinfo=UTC))
    early = earn(member, 200, key="early", at=datetime(2026, 3, 1, 4, tzinfo=UTC))
    middle = earn(member, 100, key="middle", at=datetime(2026, 6, 1, 4, tzinfo=UTC))
    with everything():
        redeem = points_redeem(member=member, points=250, idempotency_key="r")
        drawn = dict(PointsAllocation.objects.filter(entry=redeem).values_list("lot__entry_id", "points"))
        remaining = dict(PointsLot.objects.values_list("entry_id", "remaining"))
    assert drawn == {early.id: -200, middle.id: -50}
    assert remaining == {early.id: 0, middle.id: 50, late.id: 300}
    assert sums(member) == (350, 350, 350)


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_redemptions_exceeding_the_balance_leave_exactly_one_winner():
    dealer = DealerFactory()
    member = enrol(CustomerFactory(dealer=dealer), dealer)
    earn(member, 100, key="only-lot")
    earn(member, 50, key="second-lot")
    barrier = threading.Barrier(50)
    outcomes: list[str] = []

    def redeem(number):
        try:
            barrier.wait()
            with everything():
                points_redeem(member=member, points=120, idempotency_key=f"race-{number}", dealer=dealer)
            outcomes.append("won")
        except InsufficientPoints:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 49 + ["won"]
    assert sums(member) == (30, 30, 30)
    with everything():
        assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_twice_at_once_writes_once():
    dealer = DealerFactory()
    member = enrol(CustomerFactory(dealer=dealer), dealer)
    earn(member, 100, key="lot")
    barrier = threading.Barrier(2)
    ids: list[int] = []

    def redeem():
        try:
            barrier.wait()
            with everything():
                ids.append(points_redeem(member=member, points=60, idempotency_key="same-click").id)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 2 and ids[0] == ids[1]
    assert sums(member) == (40, 40, 40)


def test_expiry_happens_at_the_end_of_the_day_in_the_home_dealers_zone_and_only_once(club):
    member = club["member"]  # home dealer in Asia/Shanghai (UTC+8); lots live 24 months by default
    lot_entry = earn(member, 300, key="march", at=datetime(2026, 3, 3, 6, tzinfo=UTC))  # 14:00 in Shanghai
    with everything():
        lot = PointsLot.objects.get(entry=lot_entry)
        # Spendable through 3 March 2028 Shanghai time: midnight there is 16:00 UTC.
        assert lot.expires_at == datetime(2028, 3, 3, 16, tzinfo=UTC)
        points_redeem(member=member, points=100, idempotency_key="spend")
        just_before = datetime(2028, 3, 3, 15, 59, 59, tzinfo=UTC)
        assert lots_expire(now=just_before) == 0
        assert balance_of(member=member, at=just_before) == 200
        boundary = datetime(2028, 3, 3, 16, tzinfo=UTC)
        assert balance_of(member=member, at=boundary) == 0
        assert lots_expire(now=boundary) == 1
        assert lots_expire(now=boundary) == 0
        assert lots_expire(now=datetime(2028, 4, 1, tzinfo=UTC)) == 0
        expiries = PointsEntry.objects.filter(kind=EntryKind.EXPIRE)
        assert [e.points for e in expiries] == [-200]
        assert PointsLot.objects.get(id=lot.id).expired_at == boundary
    assert sums(member) == (0, 0, 0)


def test_a_dealer_in_another_zone_has_its_own_day_boundary():
    dealer = DealerFactory(time_zone="Europe/Berlin")
    member = enrol(CustomerFactory(dealer=dealer), dealer)
    entry = earn(member, 10, key="berlin", at=datetime(2026, 7, 1, 21, 30, tzinfo=UTC))  # 23:30 in Berlin
    with everything():
        assert PointsLot.objects.get(entry=entry).expires_at == datetime(2028, 7, 1, 22, tzinfo=UTC)


def test_a_reversal_into_an_expired_lot_does_not_revive_its_points(club, settings):
    member = club["member"]
    old = earn(member, 100, key="old", at=datetime(2024, 1, 10, 4, tzinfo=UTC))  # expired 10 Jan 2026
    earn(member, 100, key="new")
    with everything():
        # Spent while the old lot was still alive: drawn from it first.
        redeem = PointsEntry.objects.create(
            member=member, kind=EntryKind.REDEEM, source=EarnSource.REDEMPTION, points=-80,
            idempotency_key="old-redeem", occurred_at=datetime(2025, 6, 1, tzinfo=UTC),
        )
        old_lot = PointsLot.objects.get(entry=old)
        PointsLot.objects.filter(id=old_lot.id).update(remaining=20)
        PointsAllocation.objects.create(entry=redeem, lot=old_lot, member=member, points=-80)
        assert lots_expire() == 1  # the 20 left in the old lot
        assert balance_of(member=member) == 100
        reversal = points_reverse(entry=redeem, idempotency_key="undo-old", reason="order refunded")
        assert reversal.points == 80
        assert balance_of(member=member) == 100
        expired_again = PointsEntry.objects.get(idempotency_key="undo-old:expired")
        assert expired_again.points == -80
        assert PointsLot.objects.get(id=old_lot.id).remaining == 0
        assert points_reverse(entry=redeem, idempotency_key="undo-old").id == reversal.id
        with pytest.raises(AlreadyReversed):
            points_reverse(entry=redeem, idempotency_key="undo-old-again")
    assert sums(member) == (100, 100, 100)


def test_reversing_a_redemption_returns_the_points_to_the_lots_they_came_from(club):
    member = club["member"]
    earn(member, 100, key="a", at=datetime(2026, 1, 1, tzinfo=UTC))
    earn(member, 100, key="b")
    with everything():
        redeem = points_redeem(member=member, points=150, idempotency_key="r")
        points_reverse(entry=redeem, idempotency_key="undo")
        assert sorted(PointsLot.objects.values_list("remaining", flat=True)) == [100, 100]
    assert sums(member) == (200, 200, 200)


def test_reversing_an_earn_takes_back_only_what_did_not_expire(club):
    member = club["member"]
    earned = earn(member, 100, key="earned", at=datetime(2024, 1, 1, 4, tzinfo=UTC))
    earn(member, 500, key="fresh")
    with everything():
        lots_expire()
        with pytest.raises(NothingToReverse):
            points_reverse(entry=earned, idempotency_key="undo-earned")
        fresh = PointsEntry.objects.get(idempotency_key="fresh")
        spend = points_redeem(member=member, points=450, idempotency_key="spend")
        assert spend.points == -450
        reversal = points_reverse(entry=fresh, idempotency_key="undo-fresh")
        assert reversal.points == -50  # 450 were spent: the 50 left is all there is to take back
    assert sums(member) == (0, 0, 0)


def test_reversing_an_earn_that_was_partly_spent_takes_the_rest_from_other_lots(club):
    member = club["member"]
    earn(member, 100, key="other")
    earned = earn(member, 100, key="earned")
    with everything():
        points_redeem(member=member, points=60, idempotency_key="spend")  # from "other", expiring first? same day
        reversal = points_reverse(entry=earned, idempotency_key="undo")
        assert reversal.points == -100 and reversal.is_qualifying
    assert sums(member) == (40, 40, 40)


def test_an_adjustment_needs_a_reason_and_someone_else_to_approve_it(club):
    member = club["member"]
    with everything():
        with pytest.raises(ApprovalRequired):
            points_adjust(member=member, points=50, reason="", approver=club["manager"], idempotency_key="a1")
        with pytest.raises(ApprovalRequired):
            points_adjust(
                member=member, points=50, reason="goodwill", approver=club["manager"], by=club["manager"],
                idempotency_key="a2",
            )
        entry = points_adjust(
            member=member, points=50, reason="goodwill", approver=club["manager"], by=club["advisor"],
            idempotency_key="a3",
        )
        assert entry.kind == EntryKind.ADJUST and not entry.is_qualifying
        down = points_adjust(
            member=member, points=-20, reason="double credit", approver=club["manager"], idempotency_key="a4"
        )
        assert down.points == -20
    assert sums(member) == (30, 30, 30)


def test_the_application_role_cannot_edit_or_delete_entries(club):
    member = club["member"]
    earn(member, 100, key="locked")
    with everything():
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsEntry.objects.filter(member=member).update(points=1000)
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsEntry.objects.filter(member=member).delete()
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsAllocation.objects.all().update(points=1)
        assert PointsEntry.objects.get(member=member).points == 100


def test_the_database_forbids_a_negative_remaining_amount(club):
    member = club["member"]
    entry = earn(member, 100, key="lot")
    with everything():
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsLot.objects.filter(entry=entry).update(remaining=-1)
        with pytest.raises(DatabaseError), transaction.atomic():
            PointsLot.objects.filter(entry=entry).update(remaining=101)


def test_another_dealer_sees_no_points_of_a_member_it_does_not_know(club):
    earn(club["member"], 100, key="lot")
    stranger = DealerFactory()
    from tests.factories import staff

    outsider = staff("service_advisor", dealer=stranger)
    with scoped(access_for(outsider).scope):
        assert PointsEntry.objects.count() == 0
        assert PointsLot.objects.aggregate(total=Sum("remaining"))["total"] is None
    with scoped(access_for(club["advisor"]).scope):
        assert PointsEntry.objects.count() == 1
