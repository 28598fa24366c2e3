"""`manage.py seed_demo_service_appointments`: the workshops' appointment books on top of `seed_demo_service`,
loaded once.

Through the services, as the advisors and the call centre would have done it: bays and slot settings for the
demo dealers, a second Shanghai advisor with his own weekly hours and a day off, and today's board at SH001 —
cars checked in (their repair orders opened by check-in), no-shows for the slots whose grace has passed,
booked cars still to come, a cancelled one — plus the next days' bookings (one of them made online through
the demo web source, in English), yesterday's no-shows. Bookings for today are made "yesterday"
(`booked_at`), as they would have been.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crm.core.scope import Scope, network_wide, scoped
from crm.customers.management.commands.seed_demo import DEFAULT_PASSWORD, make_vin
from crm.customers.models import CustomerDealer, Vehicle
from crm.network.access import access_for
from crm.network.models import Dealer, Role, RoleAssignment, StaffProfile
from service.appointments import selectors, services
from service.appointments.exceptions import SlotTaken
from service.models import AppointmentSource, ServiceBay

BAYS = {"SH001": ["1号工位", "2号工位", "3号工位", "快修工位 Express"], "HZ002": ["1号工位", "2号工位"], "BJ001": ["Bay 1", "Bay 2"]}
SECOND_ADVISOR = ("advisor.sh2", "伟", "张", "SH001", "zh-hans")
CONCERNS = ["按时保养", "刹车有异响", "空调不凉", "Routine service", "更换轮胎", "仪表盘故障灯亮"]
SOURCE_CODE = "demo-web-booking"


class Command(BaseCommand):
    help = "Load demo service bays, advisors' hours and appointments at the demo dealers (after seed_demo_service), once."

    def handle(self, *args, **options):
        with network_wide(reason="seed demo appointments: check"):
            if ServiceBay.objects.exists():
                self.stdout.write("demo appointments already loaded")
                return
            dealers = {d.code: d for d in Dealer.objects.filter(code__in=BAYS)}
            if "SH001" not in dealers:
                self.stdout.write("run seed_demo first")
                return
            advisors = self._advisors(dealers)
        booked = 0
        for code, dealer in dealers.items():
            if not advisors.get(code):
                continue
            first = advisors[code][0]
            with scoped(access_for(first).scope):
                services.appointment_settings_save(dealer=dealer, by=first, slot_minutes=60, no_show_grace_minutes=15)
                for name in BAYS[code]:
                    services.bay_add(dealer=dealer, by=first, name=name)
                if len(advisors[code]) > 1:
                    self._hours(dealer, first, advisors[code][1])
                booked += self._book(dealer, first, code)
        booked += self._online(dealers["SH001"])
        self.stdout.write(self.style.SUCCESS(f"demo appointments loaded: {booked} appointments"))

    def _advisors(self, dealers) -> dict:
        username, first, last, code, language = SECOND_ADVISOR
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@dealer-crm.local"}
        )
        if created:
            user.set_password(DEFAULT_PASSWORD)
            user.save()
        StaffProfile.objects.update_or_create(user=user, defaults={"language": language})
        RoleAssignment.objects.get_or_create(user=user, role=Role.SERVICE_ADVISOR, dealer=dealers[code])
        found: dict[str, list] = {}
        for assignment in RoleAssignment.objects.filter(
            role=Role.SERVICE_ADVISOR, dealer__in=dealers.values(), is_active=True
        ).select_related("user", "dealer").order_by("id"):
            found.setdefault(assignment.dealer.code, []).append(assignment.user)
        return found

    def _hours(self, dealer, by, advisor) -> None:
        """The second advisor works Monday to Saturday 08:30–12:30 and 13:30–17:30, and is off next Sunday."""
        for weekday in range(6):
            services.advisor_hours_add(dealer=dealer, by=by, advisor=advisor, weekday=weekday, starts=time(8, 30), ends=time(12, 30))
            services.advisor_hours_add(dealer=dealer, by=by, advisor=advisor, weekday=weekday, starts=time(13, 30), ends=time(17, 30))
        today = selectors.local_today(dealer)
        sunday = today + timedelta(days=(6 - today.weekday()) % 7 or 7)
        services.advisor_exception_save(dealer=dealer, by=by, advisor=advisor, day=sunday, note="调休 / day off in lieu")

    def _cars(self, dealer) -> list[Vehicle]:
        known = CustomerDealer.objects.filter(dealer=dealer).values("customer_id")
        return list(
            Vehicle.objects.filter(owner__isnull=False, owner__in=known, owner__merged_into__isnull=True)
            .select_related("owner")
            .order_by("-id")[:24]
        )

    def _book_one(self, dealer, by, vehicle, starts_at, index, *, booked_at=None):
        try:
            return services.appointment_book(
                dealer=dealer,
                by=by,
                party=services.Party(vehicle_id=vehicle.id),
                starts_at=starts_at,
                concern=CONCERNS[index % len(CONCERNS)],
                language=vehicle.owner.preferred_language or "zh-hans",
                booked_at=booked_at,
            )
        except SlotTaken:
            return None

    def _book(self, dealer, advisor, code) -> int:
        """Today's board (and yesterday's and the next days'): every other slot of the morning and afternoon."""
        cars = self._cars(dealer)
        if not cars:
            return 0
        zone = ZoneInfo(dealer.time_zone)
        now = timezone.now()
        today = selectors.local_today(dealer)
        count = 0
        per_day = 8 if code == "SH001" else 3
        for offset in (-1, 0, 1, 2):
            day = today + timedelta(days=offset)
            if offset == -1:
                # Two cars that never came yesterday: the no-shows the board and the show rate show whatever
                # the hour the demo is loaded (today's become no-shows as their grace passes).
                for index, slot in enumerate(selectors.slots_for(selectors.capacity_for(dealer, day), now=now)[1:3]):
                    booked_at = datetime.combine(day - timedelta(days=2), time(9), tzinfo=zone)
                    if self._book_one(dealer, advisor, cars[(index + 3) % len(cars)], slot.starts_at, index, booked_at=booked_at):
                        count += 1
                continue
            capacity = selectors.capacity_for(dealer, day)
            starts = [slot.starts_at for slot in selectors.slots_for(capacity, now=now - timedelta(days=3))]
            for index, starts_at in enumerate(starts[: per_day * 2 : 2] + starts[1 : per_day : 2]):
                if index >= per_day:
                    break
                vehicle = cars[(index + 7 * (offset + 1)) % len(cars)]
                booked_at = min(now, datetime.combine(day - timedelta(days=1), time(9), tzinfo=zone))
                appointment = self._book_one(dealer, advisor, vehicle, starts_at, index, booked_at=booked_at)
                if appointment is None:
                    continue
                count += 1
                if offset == 0 and ((starts_at < now and index % 3 != 2) or (starts_at >= now and index == 0)):
                    # The car came (the first one early): check-in opens its repair order. The others whose
                    # grace has passed become no-shows below.
                    services.appointment_check_in(appointment=appointment, by=advisor, mileage_in=None)
                elif offset >= 1 and index == 3:
                    services.appointment_cancel(appointment=appointment, by=advisor, reason="客户出差，改天再约")
        with network_wide(reason="seed demo appointments: the no-show scan"):
            services.appointments_mark_no_shows(now=now)
        return count

    def _online(self, dealer) -> int:
        """The dealer's web site books through a source key, for a customer writing in English."""
        with network_wide(reason="seed demo appointments: the demo web source"):
            if AppointmentSource.objects.filter(code=SOURCE_CODE).exists():
                return 0
            source, key = services.appointment_source_create(code=SOURCE_CODE, name="Demo web booking", dealer=dealer)
        self.stdout.write(f"demo appointment source {SOURCE_CODE}: key {key} (header {services.KEY_HEADER})")
        day = selectors.local_today(dealer) + timedelta(days=2)
        with scoped(Scope.dealers([dealer.id])):  # as the public endpoint runs: in the source dealer's scope
            slots = selectors.available_slots(dealer=dealer, day=day)
            if not slots:
                return 0
            services.appointment_book(
                dealer=dealer,
                by=None,
                source=source,
                party=services.Party(
                    name="Oliver Grant", phone="+8613800138123", email="oliver.grant@example.com",
                    vin=make_vin("LAU", "A6", 2025, 990_017), make="Aurora", model="A6", plate="沪A9E123",
                ),  # fmt: skip
                starts_at=slots[-1].starts_at,
                concern="Brakes squeal when cold",
                language="en",
            )
        return 1
