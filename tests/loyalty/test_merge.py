"""Merging two customers who are both club members: one membership remains, the other's unexpired points move
to it by a pair of transfer entries per lot (no entry is edited; each lot keeps its expiry and dealer), the
balance is preserved, the tier is evaluated on both memberships' earnings, and a merge of a member into a
customer who is not one simply moves the membership."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from crm.customers.models import CustomerMerge
from crm.customers.services import customers_merge
from crm.network.models import Role
from loyalty.models import EntryKind, Member, PendingPoints, PointsEntry, PointsLot, Redemption
from loyalty.selectors.ledger import balance_of
from loyalty.services.ledger import lots_expire, points_earn, points_redeem
from loyalty.services.redemption import redemptions_release
from tests.factories import CustomerFactory, staff
from tests.loyalty.conftest import as_user, enrol, everything, sums, tiers_make

pytestmark = pytest.mark.django_db


def _merge(manager, survivor, merged):
    with as_user(manager):
        return customers_merge(survivor=survivor, merged=merged, by=manager)


@pytest.fixture
def two_members(club):
    tiers_make()
    dealer = club["dealer"]
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="merger")
    twin = CustomerFactory(dealer=dealer, name="王先生 (2)")
    second = enrol(twin, dealer)
    now = timezone.now()
    with everything():
        # The survivor: 3,000 earned, 500 spent. The other: 4,000 in two lots (one older), 1,000 spent, and a lot
        # past its end that the expiry run has not reached yet.
        points_earn(member=club["member"], points=3000, source="delivery", dealer=dealer, idempotency_key="s1")
        points_redeem(member=club["member"], points=500, dealer=dealer, idempotency_key="s2")
        points_earn(member=second, points=1500, source="service", dealer=dealer, idempotency_key="m1",
                    occurred_at=now - timedelta(days=300))  # fmt: skip
        points_earn(member=second, points=2500, source="referral", idempotency_key="m2")
        points_redeem(member=second, points=1000, dealer=dealer, idempotency_key="m3")
        points_earn(member=second, points=70, source="service", dealer=dealer, idempotency_key="old",
                    occurred_at=now - timedelta(days=800))  # fmt: skip
    return {**club, "manager": manager, "twin": twin, "second": second}


def test_both_members_merge_into_one_membership_by_transfer_entries_with_the_balance_kept(two_members):
    first, second = two_members["member"], two_members["second"]
    with everything():
        before = {m.id: balance_of(member=m) for m in (first, second)}
        old_lots = {
            lot.id: (lot.remaining, lot.expires_at, lot.dealer_id, lot.funded_by)
            for lot in PointsLot.objects.filter(member=second, remaining__gt=0, expires_at__gt=timezone.now())
        }
        entries_before = {e.id: (e.points, e.kind, e.member_id) for e in PointsEntry.objects.all()}
    assert before == {first.id: 2500, second.id: 3000}

    record = _merge(two_members["manager"], two_members["owner"], two_members["twin"])

    with everything():
        first.refresh_from_db()
        second.refresh_from_db()
        assert second.merged_into_id == first.id
        assert Member.objects.get(customer=two_members["owner"]).id == first.id
        # Balance preserved: the survivor holds both; the merged membership holds nothing spendable.
        assert balance_of(member=first) == 5500 and balance_of(member=second) == 0
        # Nothing edited: every earlier entry is there as it was.
        assert {e.id: (e.points, e.kind, e.member_id) for e in PointsEntry.objects.filter(id__in=entries_before)} == (
            entries_before
        )
        # One pair of transfer entries per open lot, with the same reason; each new lot keeps expiry and dealer.
        transfers = PointsEntry.objects.filter(kind=EntryKind.TRANSFER)
        assert transfers.count() == 2 * len(old_lots)
        assert transfers.filter(member=second).aggregate(t=Sum("points"))["t"] == -3000
        assert transfers.filter(member=first).aggregate(t=Sum("points"))["t"] == 3000
        assert {e.reason for e in transfers} == {f"membership {second.number} merged into {first.number}"}
        new_lots = sorted(
            (lot.remaining, lot.expires_at, lot.dealer_id, lot.funded_by)
            for lot in PointsLot.objects.filter(entry__in=transfers.filter(member=first))
        )
        assert new_lots == sorted(old_lots.values())
        # Tier from both memberships' qualifying earnings (3,000 + 1,500 + 2,500 + 70 ≥ gold's 5,000), not
        # from the transfers (which are not qualifying).
        assert first.tier.code == "gold"
        assert not transfers.filter(is_qualifying=True).exists()
        assert record.moved["loyalty.points_transferred"] == 3000
        assert CustomerMerge.objects.filter(id=record.id).exists()
    # The ledger's invariant holds on both: the sum of entries equals what remains in the lots.
    entries, remaining, balance = sums(first)
    assert entries == remaining == balance == 5500
    entries, remaining, _balance = sums(second)
    assert entries == remaining == 70  # the lot past its end, left for the expiry run
    with everything():
        assert lots_expire() == 1
        assert balance_of(member=first) == 5500 and sums(second)[0] == 0
        # The merged membership leaves the club's lists and the nightly tier run.
        from loyalty.selectors.club import members_for

        assert second.id not in set(members_for(access=None).values_list("id", flat=True))


def test_after_the_merge_the_survivor_spends_the_moved_points_nearest_expiry_first(two_members):
    first = two_members["member"]
    _merge(two_members["manager"], two_members["owner"], two_members["twin"])
    with everything():
        entry = points_redeem(member=first, points=5500, dealer=two_members["dealer"], idempotency_key="all")
        assert entry.points == -5500 and balance_of(member=first) == 0
        # The earliest-expiring lot drawn first is the merged member's 300-day-old service lot.
        first_lot = entry.allocations.order_by("id").first().lot
        assert first_lot.entry.kind == EntryKind.TRANSFER and first_lot.points == 500


def test_merging_twice_the_same_pair_is_refused_and_moves_nothing_again(two_members):
    from crm.customers.exceptions import MergeNotAllowed

    _merge(two_members["manager"], two_members["owner"], two_members["twin"])
    with everything():
        count = PointsEntry.objects.count()
    with pytest.raises(MergeNotAllowed):
        _merge(two_members["manager"], two_members["owner"], two_members["twin"])
    with everything():
        assert PointsEntry.objects.count() == count


def test_a_member_merged_into_a_customer_who_is_not_one_keeps_the_membership_as_it_is(club):
    dealer = club["dealer"]
    manager = staff(Role.SALES_MANAGER, dealer=dealer, username="merger")
    plain = CustomerFactory(dealer=dealer, name="王先生 (new)")
    with everything():
        points_earn(member=club["member"], points=800, source="delivery", dealer=dealer, idempotency_key="e")
    _merge(manager, plain, club["owner"])
    with everything():
        member = Member.objects.get(id=club["member"].id)
        assert member.customer_id == plain.id and member.merged_into_id is None
        assert balance_of(member=member) == 800
        assert not PointsEntry.objects.filter(kind=EntryKind.TRANSFER).exists()


def test_pending_points_and_a_released_redemption_follow_to_the_survivor(two_members):
    from loyalty.services.redemption import points_redeem_on_repair_order
    from tests.loyalty.conftest import repair_order_billed

    first, second, dealer = two_members["member"], two_members["second"], two_members["dealer"]
    advisor = two_members["advisor"]
    order = repair_order_billed(dealer, advisor, two_members["twin"])
    other = repair_order_billed(dealer, advisor, two_members["twin"])
    with as_user(advisor):
        points_redeem_on_repair_order(repair_order=order, points=200, by=advisor, idempotency_key="reserved")
    with everything():
        assert Redemption.objects.get(repair_order=order).member_id == second.id
        PendingPoints.objects.create(
            member=second, dealer=dealer, repair_order=other, points=90, available_at=timezone.now()
        )
    _merge(two_members["manager"], two_members["owner"], two_members["twin"])
    with everything():
        assert balance_of(member=first) == 2500 + 2800
        assert PendingPoints.objects.get(repair_order=other).member_id == first.id
        # The order is voided after the merge: the 200 points come back to the merged membership and go on.
        assert redemptions_release(repair_order_id=order.id) == 1
        assert balance_of(member=second) == 0 and balance_of(member=first) == 5500
        assert sums(first)[0] == sums(first)[1] == 5500
