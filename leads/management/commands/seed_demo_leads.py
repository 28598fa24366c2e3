"""`manage.py seed_demo_leads`: a believable funnel on top of `seed_demo`, loaded once.

Lead sources (each dealer's web form, the OEM call centre, a lead site sending ADF, an event list), demo
cars, and for each demo dealer a few weeks of leads entered THROUGH THE SERVICES as the dealer's staff
would: walk-ins of returning and new customers, web leads with the first-response clock running (some
answered in time, some late, some still waiting), follow-ups due today and overdue, test drives, quotes,
orders, a delivery, a "lost" verdict waiting for the manager, and an OEM-issued lead awaiting acceptance.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crm.core.scope import Scope, network_wide, scoped
from crm.customers.management.commands.seed_demo import make_vin
from crm.customers.models import ContactPoint
from crm.network.access import access_for
from crm.network.models import Dealer, Role, RoleAssignment
from crm.network.services import staff_phone_set
from leads import services
from leads.models import DemoCar, Lead, LeadSource, LeadType, LostVerdict, Stage
from leads.services.sla_watch import sla_breaches_mark

DEMO_MODELS = ["A3", "A5", "A6", "X5", "EV7"]
NEW_PROSPECTS = [
    ("林晓峰", "13917204418"), ("Chen Yu", "18621937745"), ("赵丽颖", "13681726630"), ("孙浩然", "15821079934"),
    ("Grace Huang", "13764481253"), ("周杰", "18916630572"), ("吴佳怡", "13524478861"), ("Kevin Ma", "15000896123"),
    ("郑凯", "13816654490"), ("冯雪", "18049917736"), ("何俊", "13391820647"), ("Lily Xu", "15901628833"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Load demo lead sources, demo cars and a few weeks of funnel activity (after seed_demo), once."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, seed, **options):
        rng = random.Random(seed)
        with network_wide(reason="seed demo leads: check"):
            if LeadSource.objects.filter(code="oem-call-centre").exists():
                self.stdout.write("demo leads already loaded")
                return
            dealers = list(Dealer.objects.filter(code__in=["SH001", "HZ002", "BJ001"]).order_by("code"))
            if not dealers:
                self.stdout.write("run seed_demo first")
                return
            oem_phone = LeadSource.objects.create(
                code="oem-call-centre", name="OEM 800 call centre", channel="call_centre"
            )
            LeadSource.objects.create(code="autohome-adf", name="Autohome (ADF)", channel="adf")
            for dealer in dealers:
                LeadSource.objects.create(
                    code=f"{dealer.code.lower()}-web",
                    name=f"{dealer.code} website",
                    channel="web_form",
                    dealer=dealer,
                )
                LeadSource.objects.create(
                    code=f"{dealer.code.lower()}-event",
                    name=f"{dealer.code} autumn show list",
                    channel="event",
                    dealer=dealer,
                    first_response_sla=False,
                )
                for number, model in enumerate(["A6", "X5", "EV7"], start=1):
                    DemoCar.objects.create(
                        dealer=dealer, model=model, trim="Demo", plate=f"{dealer.code[:2]}DEMO{number}"
                    )
        created = 0
        for dealer in dealers:
            created += self._dealer_funnel(dealer, rng, oem_phone)
        # What beat's first-response sweep does within a minute of `make run`: uncontacted leads past due.
        sla_breaches_mark()
        self.stdout.write(self.style.SUCCESS(f"demo leads loaded: {created} leads at {len(dealers)} dealers"))

    def _staff(self, dealer, role):
        user_ids = RoleAssignment.objects.filter(dealer=dealer, role=role, is_active=True).values_list(
            "user_id", flat=True
        )
        return list(get_user_model().objects.filter(id__in=user_ids).order_by("id"))

    def _dealer_funnel(self, dealer, rng, oem_phone) -> int:
        with network_wide(reason="seed demo leads: staff"):
            sellers = self._staff(dealer, Role.SALESPERSON)
            managers = self._staff(dealer, Role.SALES_MANAGER)
            web = LeadSource.objects.get(code=f"{dealer.code.lower()}-web")
            cars = list(DemoCar.objects.filter(dealer=dealer))
            returning = list(
                ContactPoint.objects.filter(
                    kind="phone", is_primary=True, customer__dealer_links__dealer=dealer
                ).values_list("value", "customer__name")[:12]
            )
        if not sellers:
            return 0
        for number, seller in enumerate(sellers, start=1):
            # Click-to-call rings the salesperson's own phone first.
            staff_phone_set(user=seller, phone=f"+86138{dealer.id % 1000:03d}{number:05d}")
        now = timezone.now()
        leads = []
        # Walk-ins over the last three weeks: returning customers and new ones.
        for index, (phone, name) in enumerate(returning[:8]):
            seller = sellers[index % len(sellers)]
            with scoped(access_for(seller).scope):
                result = services.visit_log(
                    is_history=True,
                    by=seller,
                    dealer=dealer,
                    phone=phone,
                    name=name,
                    party_size=rng.randint(1, 4),
                    arrived_at=now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 5)),
                    models_of_interest=rng.sample(DEMO_MODELS, 2),
                    grade=rng.choice(["H", "A", "A", "B", "C"]),
                    next_step=rng.choice(["试驾", "报价", "电话回访", "Send brochure"]),
                )
            leads.append((result.lead, seller))
        prospects = NEW_PROSPECTS[:] if dealer.code == "SH001" else NEW_PROSPECTS[:6]
        for index, (name, phone) in enumerate(prospects):
            arrived = now - timedelta(days=rng.randint(0, 14), hours=rng.randint(1, 8))
            with scoped(Scope.dealers([dealer.id])):
                capture = services.lead_capture(
                    dealer=dealer,
                    by=None,
                    name=name,
                    type=LeadType.INTERNET,
                    phones=[phone],
                    source=web,
                    external_id=f"{dealer.code}-W{index:04d}",
                    models_of_interest=[rng.choice(DEMO_MODELS)],
                    arrived_at=arrived,
                )
            lead = capture.lead
            if index % 4 == 3:
                continue  # still unowned and waiting for a first response
            seller = sellers[index % len(sellers)]
            with scoped(access_for(seller).scope):
                services.lead_claim(lead=lead, by=seller)
                late = index % 3 == 0
                at = arrived + timedelta(minutes=rng.randint(300, 900) if late else rng.randint(5, 100))
                at = min(at, now - timedelta(minutes=1))  # a lead that arrived this morning: not in the future
                if index % 2 == 0:
                    # Through click-to-call: verified when answered for long enough (leads/verification.py).
                    services.call_history_record(
                        lead=lead,
                        by=seller,
                        started_at=at,
                        answered=bool(index % 5),
                        duration_seconds=rng.choice([6, 48, 95, 180]),
                    )
                else:
                    services.contact_log(
                        lead=lead,
                        by=seller,
                        channel=rng.choice(["call", "sms", "wechat"]),
                        outcome="reached" if index % 5 else "no_answer",
                        at=at,
                    )
            leads.append((lead, seller))
        # Texts from the lead page through the outbox: claimed until the SMS gateway (the simulator under
        # `make run`) reports them delivered, then verified.
        for lead, seller in leads[-2:]:
            with scoped(access_for(seller).scope):
                services.lead_sms_send(lead=lead, by=seller, text="您好，感谢关注！本周六有试驾活动，欢迎到店。")
        # Further along the funnel: test drives, quotes, an order, a delivery, a lost verdict.
        for position, (lead, seller) in enumerate(leads[:6]):
            with scoped(access_for(seller).scope):
                lead = Lead.objects.get(id=lead.id)
                if lead.stage not in (Stage.NEW, Stage.CONTACTED, Stage.VISITED):
                    continue
                if position in (0, 1, 2) and cars:
                    services.test_drive_book(
                        lead=lead,
                        by=seller,
                        demo_car=cars[position % len(cars)],
                        starts_at=(now + timedelta(hours=2 + position)).replace(
                            minute=0, second=0, microsecond=0
                        ),
                    )
                if position in (1, 2, 3):
                    order = services.order_quote(
                        lead=lead,
                        by=seller,
                        model=lead.models_of_interest[0] if lead.models_of_interest else "A6",
                        trim="Luxury",
                        colour="珍珠白",
                        list_price=Decimal("289800"),
                        discount=Decimal("12000"),
                    )
                    if position in (2, 3):
                        order = services.order_place(
                            order=order,
                            by=seller,
                            deposit=Decimal("20000"),
                            promised_delivery_on=(now + timedelta(days=20)).date(),
                        )
                    if position == 3:
                        services.order_deliver(
                            order=order,
                            by=seller,
                            vin=_vin(dealer, position),
                            plate=f"{dealer.code[:1]}D{position}8888",
                        )
                if position == 4:
                    services.lost_propose(
                        lead=lead,
                        by=seller,
                        reason=LostVerdict.Reason.COMPETITOR_BRAND,
                        competitor_brand="BYD",
                        note="客户选择了比亚迪汉",
                    )
        if managers and dealer.code == "SH001":
            with scoped(Scope.everything(reason="seed demo leads: OEM issue")):
                caller = (
                    get_user_model().objects.filter(role_assignments__role=Role.CALL_CENTRE_AGENT).first()
                )
            if caller is not None:
                with scoped(access_for(caller).scope):
                    services.lead_issue(
                        by=caller,
                        source=oem_phone,
                        name="欧阳明",
                        phones=["13788812345"],
                        city=dealer.city,
                        brand_code="aurora",
                        preferred_dealer=dealer,
                        models_of_interest=["EV7"],
                        note="800热线来电，想了解EV7续航",
                    )
        with network_wide(reason="seed demo leads: count"):
            return Lead.objects.filter(dealer=dealer).count()


def _vin(dealer, position: int) -> str:
    # Serials from 900000 up never meet the ones seed_demo hands out; a VIN has room for six digits, however
    # high the dealer ids of a long-lived database have climbed.
    return make_vin("LAU", "A6", 2025, 900_000 + (dealer.id % 1000) * 100 + position % 100)
