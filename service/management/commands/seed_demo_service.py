"""`manage.py seed_demo_service`: a believable workshop on top of `seed_demo`, loaded once.

Through the services, as the advisors would have done it: two years of maintenance history on the demo
dealers' cars (settled orders with labour, parts, technicians, an occasional discount or warranty job, the
odometer climbing), a few cars also serviced at a second dealer (so the vehicle page shows another
station's summary), a voided order, a settled order and its correction, a suspect odometer reading, today's
orders in every workshop state, and a DMS import with a quarantined row. Advisors for HZ002 and BJ001 are
added (password as seed_demo's) so every workshop has someone to run it. Then maintenance due: the OEM's
schedules for the demo models (the A6's in two versions), Shanghai's reminder lead time, insurance dates,
a maintenance-due care message, readings that put a car overdue and another due this week, and every
vehicle's next service computed by the nightly pass's statement.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.core.spreadsheets import read_table
from crm.customers.management.commands.seed_demo import DEFAULT_PASSWORD
from crm.customers.models import CustomerDealer, Vehicle
from crm.customers.services import customer_link
from crm.network.access import access_for
from crm.network.models import Dealer, Role, RoleAssignment, StaffProfile
from service import services
from service.imports.services import dms_import_run
from service.models import ChargeLine, OdometerReading, PayType, RepairOrder

NUMBER_PREFIX = "DMO-"
EXTRA_ADVISORS = [("advisor.hz", "洋", "陈", "HZ002", "zh-hans"), ("advisor.bj", "Amy", "Wang", "BJ001", "en")]
TECHNICIANS = {"SH001": ["李师傅", "王建华", "Tom Zhou"], "HZ002": ["陈师傅", "刘明"], "BJ001": ["赵师傅", "Jack Sun"]}
# (operation code, description, hours, [(part number, description, quantity, unit price)])
SERVICES = [
    ("MNT-5K", "首次保养 5000公里", "1.0", [("OIL-0W20", "机油 0W-20", "4", "72.00"), ("FLT-OIL", "机油滤清器", "1", "58.00")]),
    ("MNT-10K", "10000公里保养", "1.5", [("OIL-5W30", "机油 5W-30", "4.5", "68.80"), ("FLT-OIL", "机油滤清器", "1", "58.00"),
                                     ("FLT-AIR", "空气滤清器", "1", "120.00")]),
    ("MNT-20K", "20000 km service", "2.0", [("OIL-5W30", "Engine oil 5W-30", "4.5", "68.80"), ("FLT-CAB", "Cabin filter", "1", "150.00"),
                                        ("PLG-IR", "Spark plugs", "4", "85.00")]),
    ("BRK-PAD", "更换前刹车片", "1.2", [("PAD-FR", "前刹车片", "1", "680.00")]),
    ("AC-CLEAN", "空调清洗消毒", "0.8", [("AC-FOAM", "空调清洗剂", "1", "98.00")]),
    ("TYR-ROT", "轮胎换位及动平衡", "0.6", []),
    ("BAT-RPL", "Replace 12V battery", "0.5", [("BAT-60AH", "Battery 60Ah", "1", "820.00")]),
]  # fmt: skip
CONCERNS = ["按时保养", "刹车有异响", "空调有异味", "Routine service", "仪表盘保养提示灯亮", "Battery weak in the mornings"]
HOURLY_RATE = Decimal("180.00")


class Command(BaseCommand):
    help = "Load demo repair orders, workshop history and today's workshop at the demo dealers (after seed_demo), once."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=11)
        parser.add_argument("--vehicles", type=int, default=10, help="cars with history per dealer")

    def handle(self, *args, seed, vehicles, **options):
        self.rng = random.Random(seed)
        started = timezone.now()
        with network_wide(reason="seed demo service: check"):
            if RepairOrder.objects.filter(number__startswith=NUMBER_PREFIX).exists():
                self.stdout.write("demo service history already loaded")
                return
            dealers = {d.code: d for d in Dealer.objects.filter(code__in=TECHNICIANS)}
            if "SH001" not in dealers:
                self.stdout.write("run seed_demo first")
                return
            advisors = self._advisors(dealers)
            cars = {code: self._cars(dealer, vehicles) for code, dealer in dealers.items()}
        self.sequence = 0
        orders = 0
        for code, dealer in dealers.items():
            advisor = advisors.get(code)
            if advisor is None:
                continue
            with scoped(access_for(advisor).scope):
                for vehicle in cars[code]:
                    orders += self._history(dealer, advisor, vehicle)
                orders += self._today(dealer, advisor, cars[code])
        orders += self._elsewhere(dealers, advisors, cars)
        self._oddities(dealers["SH001"], advisors["SH001"], cars["SH001"])
        self._dms_import(dealers["SH001"], advisors["SH001"], cars["SH001"])
        self._maintenance(dealers["SH001"], advisors["SH001"], cars["SH001"])
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(self.style.SUCCESS(f"demo service loaded: {orders} repair orders in {seconds:.1f} s"))

    # --- people and cars -------------------------------------------------------------------------------
    def _advisors(self, dealers) -> dict:
        user_model = get_user_model()
        found = {}
        for assignment in RoleAssignment.objects.filter(
            role=Role.SERVICE_ADVISOR, dealer__in=dealers.values(), is_active=True
        ).select_related("user", "dealer"):
            found.setdefault(assignment.dealer.code, assignment.user)
        for username, first, last, code, language in EXTRA_ADVISORS:
            if code in found or code not in dealers:
                continue
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@dealer-crm.local"},
            )
            if created:
                user.set_password(DEFAULT_PASSWORD)
                user.save()
            StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
            RoleAssignment.objects.get_or_create(user=user, role=Role.SERVICE_ADVISOR, dealer=dealers[code])
            found[code] = user
        return found

    def _cars(self, dealer, limit: int) -> list[Vehicle]:
        known = CustomerDealer.objects.filter(dealer=dealer).values("customer_id")
        return list(
            Vehicle.objects.filter(owner__isnull=False, owner__in=known, owner__merged_into__isnull=True)
            .select_related("owner")
            .order_by("id")[:limit]
        )

    # --- orders ----------------------------------------------------------------------------------------
    def _number(self) -> str:
        self.sequence += 1
        return f"{NUMBER_PREFIX}{self.sequence:06d}"

    def _order(self, dealer, advisor, vehicle, *, opened_at, mileage, settle=True, status=None, customer=None):
        rng = self.rng
        code, description, hours, parts = rng.choice(SERVICES)
        pay_type = PayType.WARRANTY if code == "BRK-PAD" and rng.random() < 0.3 else PayType.CUSTOMER
        order = services.repair_order_open(
            dealer=dealer,
            vehicle=vehicle,
            by=advisor,
            customer=customer,
            number=self._number(),
            mileage_in=mileage,
            opened_at=opened_at,
            promised_at=opened_at + timedelta(hours=rng.choice([2, 3, 4, 6])),
            concern=rng.choice(CONCERNS),
            pay_type=pay_type,
        )
        job = order.jobs.get()
        services.labour_line_add(
            job=job,
            by=advisor,
            operation_code=code,
            description=description,
            hours=hours,
            rate=HOURLY_RATE,
            technician_name=rng.choice(TECHNICIANS[dealer.code]),
        )
        for part_number, part_description, quantity, price in parts:
            services.part_line_add(
                job=job, by=advisor, part_number=part_number, description=part_description, quantity=quantity,
                unit_price=price,
            )  # fmt: skip
        if pay_type == PayType.CUSTOMER and rng.random() < 0.15:
            services.charge_line_add(job=job, by=advisor, amount="50", kind=ChargeLine.Kind.DISCOUNT, description="会员优惠")
        if not settle:  # today's orders: the technician's findings so far
            services.job_update(job=job, by=advisor, cause="按保养手册", correction=description)
        if status:
            for step in {"in_progress": ["in_progress"], "ready": ["in_progress", "ready"]}.get(status, []):
                services.repair_order_move(repair_order=order, by=advisor, to_status=step)
        if settle:
            services.repair_order_settle(repair_order=order, by=advisor, settled_at=opened_at + timedelta(hours=3))
        return order

    def _history(self, dealer, advisor, vehicle) -> int:
        today = timezone.localdate()
        start = max(vehicle.purchase_date or today - timedelta(days=900), today - timedelta(days=900))
        visits = self.rng.randint(1, 3)
        mileage = self.rng.randint(800, 3000)
        day = start
        count = 0
        for _visit in range(visits):
            day += timedelta(days=self.rng.randint(120, 200))
            if day >= today - timedelta(days=3):
                break
            mileage += self.rng.randint(4000, 8000)
            opened = timezone.make_aware(datetime.combine(day, time(self.rng.randint(8, 15), self.rng.choice([0, 15, 30]))))
            self._order(dealer, advisor, vehicle, opened_at=opened, mileage=mileage)
            count += 1
        return count

    def _today(self, dealer, advisor, cars) -> int:
        now = timezone.localtime()
        states = ["open", "open", "in_progress", "in_progress", "ready", "ready"] if dealer.code == "SH001" else ["in_progress", "ready"]
        count = 0
        for index, state in enumerate(states):
            vehicle = cars[-(index + 1)]
            opened = min(now, now.replace(hour=8, minute=30) + timedelta(minutes=40 * index))
            last = OdometerReading.objects.filter(vehicle=vehicle, is_suspect=False).order_by("-km").values_list("km", flat=True).first()
            self._order(dealer, advisor, vehicle, opened_at=opened, mileage=(last or 2000) + self.rng.randint(3000, 7000),
                        settle=False, status=state)  # fmt: skip
            count += 1
        return count

    def _elsewhere(self, dealers, advisors, cars) -> int:
        """A few Shanghai owners had their car serviced in Hangzhou too (on a trip, or after moving)."""
        if "HZ002" not in dealers or "HZ002" not in advisors:
            return 0
        hangzhou, advisor = dealers["HZ002"], advisors["HZ002"]
        count = 0
        for vehicle in cars["SH001"][:4]:
            with network_wide(reason="seed demo service: the owner visits a second dealer"):
                customer_link(customer_id=vehicle.owner_id, dealer=hangzhou, reason=CustomerDealer.Reason.SERVICE, by=advisor)
            with scoped(access_for(advisor).scope):
                last = OdometerReading.objects.filter(vehicle=vehicle, is_suspect=False).order_by("-read_at").first()
                when = (last.read_at + timedelta(days=30)) if last else timezone.now() - timedelta(days=60)
                if when >= timezone.now() - timedelta(days=4):
                    continue
                self._order(hangzhou, advisor, vehicle, opened_at=when, mileage=(last.km if last else 3000) + 1500)
                count += 1
        return count

    def _oddities(self, dealer, advisor, cars) -> None:
        """A voided order, a settled order and its correction, and a suspect odometer reading."""
        with scoped(access_for(advisor).scope):
            vehicle = cars[0]
            voided = self._order(dealer, advisor, vehicle, opened_at=timezone.now() - timedelta(days=20),
                                 mileage=None, settle=False)  # fmt: skip
            services.repair_order_void(repair_order=voided, by=advisor, reason="客户取消预约，车辆未进厂")
            settled = RepairOrder.objects.filter(dealer=dealer, vehicle=cars[1], status=RepairOrder.Status.SETTLED).first()
            if settled is not None:
                correction = services.repair_order_correct(repair_order=settled, by=advisor)
                services.charge_line_add(job=correction.jobs.first(), by=advisor, amount="30", description="补收废油处理费")
                services.repair_order_settle(repair_order=correction, by=advisor, settled_at=settled.settled_at + timedelta(days=1))
            services.odometer_record(vehicle=cars[2], km=1200, read_at=timezone.now() - timedelta(days=5),
                                     source=OdometerReading.Source.MANUAL, dealer=dealer)  # fmt: skip

    def _dms_import(self, dealer, advisor, cars) -> None:
        """Last month's DMS export: two orders, one line listed twice, and one row with a mistyped VIN."""
        vehicle = cars[3]
        vin = vehicle.vin.lower()
        header = "工单号,行号,车架号,进厂时间,结算时间,修改时间,工单状态,进厂里程,项目类型,代码,名称,数量,单价,金额,维修技师"
        day = (timezone.localdate() - timedelta(days=40)).isoformat()
        rows = [
            f"DMS-88001,1,{vin},{day} 09:10,{day} 15:00,{day} 15:02,已结算,,工时,AC-CLEAN,空调清洗消毒,0.8,180,\"￥144.00\",李师傅",
            f"DMS-88001,2,{vin},{day} 09:10,{day} 15:00,{day} 15:02,已结算,,配件,AC-FOAM,空调清洗剂,1,98,\"￥98.00\",",
            f"DMS-88001,2,{vin},{day} 09:10,{day} 15:00,{day} 15:02,已结算,,配件,AC-FOAM,空调清洗剂,1,98,\"￥98.00\",",
            f"DMS-88002,1,LSVAB1234O5678901,{day} 10:00,{day} 12:00,{day} 12:01,已结算,,工时,TYR-ROT,轮胎换位,0.6,180,\"￥108.00\",王建华",
        ]
        data = ("\r\n".join([header, *rows]) + "\r\n").encode("gb18030")
        with scoped(access_for(advisor).scope):
            dms_import_run(dealer=dealer, by=advisor, table=read_table(data, filename="DMS导出-上月.csv"),
                           file_name="DMS导出-上月.csv")  # fmt: skip

    # --- maintenance due -------------------------------------------------------------------------------
    def _maintenance(self, dealer, advisor, cars) -> None:
        from crm.messaging.models import CareProgram, MessageTemplate
        from crm.network.models import BrandModel
        from service.maintenance.services import (
            maintenance_recompute,
            maintenance_recompute_all,
            reminder_setting_save,
            schedule_save,
            vehicle_insurance_set,
        )
        from service.models import MaintenanceSchedule, VehicleMaintenance

        with network_wide(reason="seed demo service: the OEM's schedules"):
            oem_admin = RoleAssignment.objects.filter(role=Role.OEM_ADMIN, is_active=True).select_related("user").first()
            models = list(BrandModel.objects.filter(maintenance_schedules__isnull=True).select_related("brand"))
        if oem_admin is not None:
            with scoped(access_for(oem_admin.user).scope):
                for model in models:
                    schedule_save(
                        by=oem_admin.user, brand_model=model, effective_from=datetime(2018, 1, 1).date(), first_km=5000,
                        first_months=6, interval_km=10000, interval_months=12, operation_codes=["MNT-*"],
                        note="首保5000公里/6个月，此后每1万公里/12个月",
                    )  # fmt: skip
                a6 = next((m for m in models if m.code == "A6"), models[0] if models else None)
                if a6 is not None:
                    schedule_save(
                        by=oem_admin.user, brand_model=a6, effective_from=timezone.localdate() - timedelta(days=60),
                        first_km=5000, first_months=6, interval_km=7500, interval_months=6, operation_codes=["MNT-*"],
                        note="Turbo engines: oil every 7,500 km or 6 months",
                    )  # fmt: skip
        admin = RoleAssignment.objects.filter(role=Role.DEALER_ADMIN, dealer=dealer, is_active=True).select_related("user").first()
        if admin is not None:
            with scoped(access_for(admin.user).scope):
                reminder_setting_save(by=admin.user, dealer=dealer, reminder_days=14, inspection_days=30,
                                      warranty_days=30, insurance_days=45)  # fmt: skip
        today = timezone.localdate()
        with scoped(access_for(advisor).scope):
            # Owners who came back on time: their next service is weeks or months ahead.
            for vehicle, days in zip(cars[4:8], (25, 55, 85, 115), strict=False):
                opened = timezone.make_aware(datetime.combine(today - timedelta(days=days), time(9, 30)))
                before = OdometerReading.objects.filter(vehicle=vehicle, is_suspect=False, read_at__lt=opened)
                km = (max(before.values_list("km", flat=True), default=0) or 2500) + self.rng.randint(2000, 4000)
                order = services.repair_order_open(dealer=dealer, vehicle=vehicle, by=advisor, number=self._number(),
                                                   mileage_in=km, opened_at=opened, concern="按时保养")  # fmt: skip
                services.labour_line_add(job=order.jobs.get(), by=advisor, operation_code="MNT-10K", description="定期保养",
                                         hours="1.5", rate=HOURLY_RATE, technician_name=TECHNICIANS[dealer.code][0])  # fmt: skip
                services.repair_order_settle(repair_order=order, by=advisor, settled_at=opened + timedelta(hours=3))
        maintenance_recompute_all()
        with scoped(access_for(advisor).scope):
            for index, vehicle in enumerate(cars[:4]):
                vehicle.refresh_from_db()
                vehicle_insurance_set(by=advisor, vehicle=vehicle, expires_on=today + timedelta(days=20 + 40 * index),
                                      expected_version=vehicle.version)  # fmt: skip
            # One car has gone past its service distance; another reaches it this week.
            rows = list(
                VehicleMaintenance.objects.filter(dealer=dealer, due_km__isnull=False, due_on__gt=today + timedelta(days=30),
                                                  km_per_day__gte=10, vehicle__in=cars[4:8]).select_related("vehicle")
                .order_by("vehicle_id")[:2]
            )  # fmt: skip
            for row, km_left in zip(rows, (-400, 120), strict=False):
                services.odometer_record(vehicle=row.vehicle, km=row.due_km + km_left,
                                         read_at=timezone.now() - timedelta(days=1), source=OdometerReading.Source.MANUAL,
                                         dealer=dealer)  # fmt: skip
            maintenance_recompute(vehicle_ids=[vehicle.id for vehicle in cars])
        with network_wide(reason="seed demo service: the maintenance-due care message"):
            template, _created = MessageTemplate.objects.get_or_create(
                dealer=dealer, name="保养到期提醒", channel="sms",
                defaults={"purpose": "service", "body_zh": "{{ customer.name }}您好，您的爱车{{ vehicle.plate }}将于{{ occasion.date }}前后到期保养，欢迎致电{{ dealer.phone }}预约。",
                          "body_en": "Dear {{ customer.name }}, your car {{ vehicle.plate }} is due for service around {{ occasion.date }}. Call {{ dealer.phone }} to book."},
            )  # fmt: skip
            CareProgram.objects.get_or_create(dealer=dealer, trigger="maintenance_due", defaults={"template": template, "send_hour": 10})
            counts = {
                "schedules": MaintenanceSchedule.objects.count(),
                "overdue": VehicleMaintenance.objects.filter(dealer=dealer, due_on__lt=today).count(),
                "due in 30 days": VehicleMaintenance.objects.filter(dealer=dealer, due_on__gte=today, due_on__lte=today + timedelta(days=30)).count(),
            }
        self.stdout.write(f"maintenance due: {counts}")
