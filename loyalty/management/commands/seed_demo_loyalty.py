"""`manage.py seed_demo_loyalty`: the owner club on top of `seed_demo` (and `seed_demo_leads`), loaded once.

The programme and three tiers; at each demo dealer a dozen owners who agreed to hear from us join the club,
with two years of history written THROUGH THE SERVICES: delivery and service points, redemptions, an old lot
that expired, points that expire within weeks, a member in the grace period before a downgrade, a referral;
a member of Shanghai who spent points in Hangzhou last month (the settlement has a row); an open repair order
to redeem on and a settled one whose points are pending. Idempotent (a second run does nothing), fast.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from crm.core.scope import network_wide
from crm.customers.models import Consent, Customer, CustomerDealer, Vehicle
from crm.network.models import Dealer, Role, RoleAssignment
from loyalty.models import EarnCampaign, Member, Programme, Tier
from loyalty.models.ledger import EarnSource
from loyalty.services.club import member_enrol, member_tier_evaluate
from loyalty.services.earning import earn_on_repair_order_settled
from loyalty.services.ledger import lots_expire, points_adjust, points_earn, points_redeem
from service.services.repair_orders import (
    labour_line_add,
    part_line_add,
    repair_order_open,
    repair_order_settle,
)

TIERS = [
    ("silver", "Silver", "银卡", 1, 0, "1.00", "0"),
    ("gold", "Gold", "金卡", 2, 5000, "1.25", "5"),
    ("platinum", "Platinum", "白金卡", 3, 15000, "1.50", "10"),
]
MEMBERS_PER_DEALER = 12


class Command(BaseCommand):
    help = "Load the owner club's demo: programme, tiers, members with two years of points (after seed_demo)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, seed, **options):
        rng = random.Random(seed)
        with network_wide(reason="seed demo loyalty: check"):
            if Member.objects.exists():
                self.stdout.write("demo loyalty already loaded")
                return
            dealers = {d.code: d for d in Dealer.objects.filter(code__in=["SH001", "HZ002", "BJ001"])}
            if len(dealers) < 3:
                self.stdout.write("run seed_demo first")
                return
        with network_wide(reason="seed demo loyalty"):
            Programme.objects.get_or_create(id=1)
            for code, name, name_zh, rank, points, multiplier, discount in TIERS:
                Tier.objects.get_or_create(
                    code=code,
                    defaults={
                        "name": name, "name_zh": name_zh, "rank": rank, "qualifying_points": points,
                        "earn_multiplier": Decimal(multiplier), "service_discount_percent": Decimal(discount),
                    },
                )  # fmt: skip
            today = timezone.localdate()
            EarnCampaign.objects.get_or_create(
                name="Spring Festival double points / 春节双倍积分",
                defaults={
                    "starts_on": today.replace(day=1),
                    "ends_on": today.replace(day=1) + timedelta(days=60),
                    "multiplier": Decimal("2"),
                },
            )
            members = {code: self._members(dealer) for code, dealer in dealers.items()}
            now = timezone.now()
            for code, dealer in dealers.items():
                for index, member in enumerate(members[code]):
                    self._history(member, dealer, index, rng, now)
            self._away_redemption(members["SH001"][0], dealers["HZ002"], now)
            self._referral(members["SH001"][1], dealers["SH001"])
            lots_expire(now=now)
            for group in members.values():
                for member in group:
                    member_tier_evaluate(member=member)
            self._grace(members["SH001"][2])
            self._adjustment(members["SH001"][3], dealers["SH001"])
            self._repair_orders(members["SH001"], dealers["SH001"])
        count = sum(len(group) for group in members.values())
        self.stdout.write(self.style.SUCCESS(f"demo loyalty loaded: {count} members at {len(dealers)} dealers"))

    def _members(self, dealer) -> list[Member]:
        """Owners of the dealer who opted in to marketing (owners with a vehicle first)."""
        consenting = Consent.objects.filter(
            purpose=Consent.Purpose.MARKETING, status=Consent.Status.OPT_IN
        ).values("customer_id")
        customer_ids = list(
            CustomerDealer.objects.filter(dealer=dealer, customer_id__in=consenting, customer__merged_into__isnull=True)
            .order_by("customer_id")
            .values_list("customer_id", flat=True)
        )
        with_cars = set(Vehicle.objects.filter(owner_id__in=customer_ids).values_list("owner_id", flat=True))
        chosen = sorted(customer_ids, key=lambda c: (c not in with_cars, c))[:MEMBERS_PER_DEALER]
        members = []
        for customer_id in chosen:
            if Member.objects.filter(customer_id=customer_id).exists():
                continue
            members.append(
                member_enrol(
                    customer=Customer.objects.get(id=customer_id),
                    dealer=dealer,
                    has_consent=True,
                    via=Member.JoinedVia.DELIVERY if customer_id in with_cars else Member.JoinedVia.DEALER,
                )
            )
        return members

    def _history(self, member, dealer, index, rng, now) -> None:
        key = f"demo:{member.number}"
        joined = now - timedelta(days=700 - index * 37)
        points_earn(
            member=member, points=1000, source=EarnSource.DELIVERY, dealer=dealer,
            idempotency_key=f"{key}:delivery", occurred_at=joined,
        )  # fmt: skip
        visits = 2 + index % 4 + (6 if index == 0 else 0)
        for visit in range(visits):
            at = joined + timedelta(days=120 * (visit + 1) + rng.randint(0, 20))
            if at >= now - timedelta(days=10):
                break
            points_earn(
                member=member, points=rng.choice([380, 560, 720, 1150, 2400]), source=EarnSource.SERVICE,
                dealer=dealer, idempotency_key=f"{key}:service:{visit}", occurred_at=at,
            )  # fmt: skip
        if index % 4 == 0:
            # A campaign bonus from before the two years: what was not spent expires in the demo's last step.
            points_earn(
                member=member, points=500, source=EarnSource.CAMPAIGN, dealer=None,
                idempotency_key=f"{key}:campaign", occurred_at=now - timedelta(days=760), reason="demo: launch bonus",
            )  # fmt: skip
        if index % 3 == 1:
            points_redeem(
                member=member, points=600, dealer=dealer, idempotency_key=f"{key}:redeem",
                occurred_at=joined + timedelta(days=400), reason="demo: maintenance discount",
            )  # fmt: skip

    def _away_redemption(self, member, away_dealer, now) -> None:
        """Serviced away from home last month: Shanghai's points spent in Hangzhou (a settlement row)."""
        CustomerDealer.objects.get_or_create(
            customer_id=member.customer_id, dealer=away_dealer, defaults={"reason": CustomerDealer.Reason.SERVICE}
        )
        last_month = (now.replace(day=1) - timedelta(days=1)).replace(day=12, hour=3)
        points_redeem(
            member=member, points=1500, dealer=away_dealer, idempotency_key=f"demo:{member.number}:away",
            occurred_at=last_month, reason="demo: serviced while travelling",
        )  # fmt: skip

    def _referral(self, member, dealer) -> None:
        points_earn(
            member=member, points=2000, source=EarnSource.REFERRAL, dealer=dealer, funded_by="oem",
            idempotency_key=f"demo:{member.number}:referral", reason="demo: referred a friend",
        )  # fmt: skip

    def _adjustment(self, member, dealer) -> None:
        """A goodwill correction asked for by a salesperson and approved by the sales manager."""
        people = dict(
            RoleAssignment.objects.filter(dealer=dealer, is_active=True, role__in=[Role.SALESPERSON, Role.SALES_MANAGER])
            .order_by("id")
            .values_list("role", "user")
        )
        if Role.SALESPERSON not in people or Role.SALES_MANAGER not in people:
            return
        users = get_user_model().objects.in_bulk([people[Role.SALESPERSON], people[Role.SALES_MANAGER]])
        points_adjust(
            member=member, points=300, reason="demo: goodwill for a delayed delivery",
            by=users[people[Role.SALESPERSON]], approver=users[people[Role.SALES_MANAGER]], dealer=dealer,
            idempotency_key=f"demo:{member.number}:adjust",
        )  # fmt: skip

    def _grace(self, member) -> None:
        """A gold member whose qualifying points have fallen below gold: in the grace period."""
        gold = Tier.objects.get(code="gold")
        today = timezone.localdate()
        Member.objects.filter(id=member.id).update(tier=gold, tier_since=today - timedelta(days=300))
        member.refresh_from_db()
        member_tier_evaluate(member=member, today=today)

    def _repair_orders(self, members, dealer) -> None:
        """An open order to redeem on, and a settled one whose points are pending (service's own services)."""
        advisor_id = (
            RoleAssignment.objects.filter(dealer=dealer, role=Role.SERVICE_ADVISOR, is_active=True)
            .values_list("user_id", flat=True)
            .first()
        )
        if advisor_id is None:
            return
        advisor = get_user_model().objects.get(id=advisor_id)
        owners = [m for m in members if Vehicle.objects.filter(owner_id=m.customer_id).exists()][:2]
        for position, member in enumerate(owners):
            vehicle = Vehicle.objects.filter(owner_id=member.customer_id).order_by("id").first()
            with transaction.atomic():
                repair_order = repair_order_open(
                    dealer=dealer, vehicle=vehicle, by=advisor, concern="10,000 km service",
                    number=f"RO-LOYALTY-{position + 1}",
                )  # fmt: skip
                job = repair_order.jobs.get()
                labour_line_add(job=job, by=advisor, operation_code="MNT-10K", hours="1.5", rate="180")
                part_line_add(job=job, by=advisor, part_number="OIL-5W30", quantity="4", unit_price="68")
                if position == 1:
                    settled = repair_order_settle(repair_order=repair_order, by=advisor)
                    earn_on_repair_order_settled(
                        customer_id=settled.customer_id,
                        repair_order_id=settled.id,
                        customer_pay_total=settled.customer_pay_total,
                        settled_at=settled.settled_at,
                    )
