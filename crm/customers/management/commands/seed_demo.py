"""`manage.py seed_demo`: a small, believable network to click through, loaded once.

Two OEM regions, six 4S stores, a user for every role (password `demo1234` unless --password), and a
few hundred customers entered THROUGH THE SERVICES by the dealer's own salespeople, in their own access
scope, so the demo data obeys the same rules as real input (identity resolution, consents, valid VINs,
timeline events, possible duplicates queued for review). Reproducible: names and numbers come from a
seeded random generator. Idempotent: if the demo dealers exist it says so and changes nothing.

It lives in crm.customers (not crm.network) because it writes customers, and the network must not
import the layer above it.
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker

from crm.core.scope import network_wide, scoped
from crm.customers.models import Consent, Customer, CustomerDealer, DuplicateCandidate
from crm.customers.normalize import vin_check_digit
from crm.customers.services import consent_record, customer_resolve, timeline_note_add, vehicle_register
from crm.network.access import access_for
from crm.network.api_tokens.selectors import api_tokens_for_user
from crm.network.api_tokens.services import api_token_create
from crm.network.models import (
    WEEKDAYS,
    Brand,
    BrandModel,
    Dealer,
    Region,
    Role,
    RoleAssignment,
    StaffProfile,
)
from crm.network.permissions import can_manage_api_tokens, two_factor_required
from crm.network.two_factor.services import DEMO_SECRET, two_factor_demo_device_set
from crm.timeline.models import TimelineEvent

DEFAULT_PASSWORD = "demo1234"  # noqa: S105 (demo data, printed on purpose)

REGIONS = {"east-china": "East China 华东", "north-china": "North China 华北"}

BRANDS = [
    # code, name, the OEM's own, models, VIN world-maker code
    ("aurora", "Aurora Motors 奥瑞汽车", True, ["A3", "A5", "A6", "X5", "EV7"], "LAU"),
    ("kestrel", "Kestrel 凯斯特", False, ["K3", "K7"], "LKS"),
    ("meridian", "Meridian 子午", False, ["M2", "M8"], "LMR"),
]

# The brands' other names, and each demo model's catalogue name and other names (Chinese names, the
# spellings lead sites use): the visit form's model chips and the matching of ADF and web-form model names.
BRAND_ALIASES = {"aurora": ["Aurora", "奥瑞", "奥罗拉"], "kestrel": ["凯斯特"], "meridian": ["子午"]}
MODEL_CATALOGUE = {
    "A3": ("A3 Sportback", ["锐驰"]),
    "A5": ("A5 Coupé", ["锐影"]),
    "A6": ("A6 Saloon", ["锐享"]),
    "X5": ("SUV X5", ["途岳"]),
    "EV7": ("EV7 Electric", ["星逸"]),
    "K3": ("K3 Hatchback", ["逸行"]),
    "K7": ("K7 MPV", ["逸尚"]),
    "M2": ("M2 Compact", ["远行"]),
    "M8": ("M8 SUV", ["远途"]),
}

# code, name, city, province, region, plate prefix, other brands sold, address, phone
DEALERS = [
    ("SH001", "上海浦东奥瑞4S店 Shanghai Pudong Aurora 4S", "上海", "上海市", "east-china", "沪",
     "ABDEFGHJKLMN", ["kestrel"], "浦东新区张杨路1888号", "021-5888 1001"),
    ("HZ002", "杭州西湖奥瑞4S店 Hangzhou Xihu Aurora 4S", "杭州", "浙江省", "east-china", "浙", "A",
     [], "西湖区文三路477号", "0571-8866 2002"),
    ("NJ003", "南京江宁奥瑞4S店 Nanjing Jiangning Aurora 4S", "南京", "江苏省", "east-china", "苏", "A",
     ["meridian"], "江宁区双龙大道1666号", "025-5211 3003"),
    ("BJ001", "北京亦庄奥瑞4S店 Beijing Yizhuang Aurora 4S", "北京", "北京市", "north-china", "京",
     "ABCEFGHJKLMNPQ", ["meridian"], "大兴区亦庄荣华南路8号", "010-6788 1001"),
    ("TJ002", "天津滨海奥瑞4S店 Tianjin Binhai Aurora 4S", "天津", "天津市", "north-china", "津",
     "ABCDEFGH", [], "滨海新区黄海路266号", "022-6620 2002"),
    ("SJZ003", "石家庄裕华奥瑞4S店 Shijiazhuang Yuhua Aurora 4S", "石家庄", "河北省", "north-china", "冀",
     "A", ["kestrel"], "裕华区槐安东路136号", "0311-8566 3003"),
]  # fmt: skip
DEMO_DEALER_CODES = [d[0] for d in DEALERS]
# How many of the customers each dealer gets (the big-city stores are busier).
DEALER_WEIGHTS = {"SH001": 5, "HZ002": 3, "NJ003": 2, "BJ001": 4, "TJ002": 2, "SJZ003": 2}

# username, first name, last name, role, dealer code or region code (None: network-wide), language
DEMO_STAFF = [
    ("sales.sh", "伟", "张", Role.SALESPERSON, "SH001", "zh-hans"),
    ("sales2.sh", "Lily", "Chen", Role.SALESPERSON, "SH001", "en"),
    ("manager.sh", "建国", "王", Role.SALES_MANAGER, "SH001", "zh-hans"),
    ("advisor.sh", "强", "李", Role.SERVICE_ADVISOR, "SH001", "zh-hans"),
    ("admin.sh", "Grace", "Xu", Role.DEALER_ADMIN, "SH001", "en"),
    ("sales.hz", "丽", "周", Role.SALESPERSON, "HZ002", "zh-hans"),
    ("sales2.hz", "Kevin", "Wu", Role.SALESPERSON, "HZ002", "en"),
    ("sales.nj", "敏", "孙", Role.SALESPERSON, "NJ003", "zh-hans"),
    ("sales.bj", "磊", "刘", Role.SALESPERSON, "BJ001", "zh-hans"),
    ("manager.bj", "David", "Zhao", Role.SALES_MANAGER, "BJ001", "en"),
    # A dealer group's sales manager runs two stores: the header's dealer switcher is for her.
    ("manager.group", "静", "钱", Role.SALES_MANAGER, ("HZ002", "NJ003"), "zh-hans"),
    ("sales.tj", "娜", "杨", Role.SALESPERSON, "TJ002", "zh-hans"),
    ("sales.sjz", "军", "马", Role.SALESPERSON, "SJZ003", "zh-hans"),
    ("callcentre", "芳", "黄", Role.CALL_CENTRE_AGENT, None, "zh-hans"),
    ("region.east", "Michael", "Lin", Role.REGIONAL_MANAGER, "east-china", "en"),
    ("region.north", "秀英", "郭", Role.REGIONAL_MANAGER, "north-china", "zh-hans"),
    ("oem.admin", "Admin", "OEM", Role.OEM_ADMIN, None, "en"),
]
DEMO_USERNAMES = [s[0] for s in DEMO_STAFF]

MOBILE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "158", "159", "176", "177", "180", "181", "182", "185", "186", "187", "188", "189"]  # fmt: skip
COLOURS = ["珍珠白", "曜石黑", "星空灰", "冰川银", "宝石蓝", "烈焰红", "香槟金"]
NOTES = [
    "客户周末带家人来店看车，对{model}很感兴趣，约了下周试驾。",
    "电话回访：客户对上次保养服务满意，建议下次提前预约。",
    "客户询问置换补贴政策，旧车是2016年的合资轿车。",
    "试驾{model}后客户认为空间够用，正在比较竞品价格。",
    "客户要求微信发送{model}的配置表和优惠信息。",
    "Customer asked about financing: 36 months, 30% down payment.",
    "Came in for the 10,000 km service; asked about extended warranty.",
    "Wants a quote for the {model} in white, delivery before Spring Festival.",
    "客户反映空调异味，已预约周三到店检查。",
    "老客户推荐朋友来店，已登记转介绍。",
]
ENGLISH_NAMES = ["David Chen", "Jason Li", "Emily Wang", "Michael Zhang", "Sophia Liu", "Kevin Huang",
                 "Grace Lin", "Tony Zhao", "Vivian Wu", "Eric Sun", "Amy Xu", "Peter Ma"]  # fmt: skip
YEAR_CODES = {2018: "J", 2019: "K", 2020: "L", 2021: "M", 2022: "N", 2023: "P", 2024: "R", 2025: "S"}


def make_vin(wmi: str, model: str, year: int, serial: int) -> str:
    """A VIN with a valid check digit; plant code "D" is reserved for demo data (seed_scale never uses it)."""
    code = (model.replace("EV", "E") + "XX")[:2]
    vin = f"{wmi}{code}BA10{YEAR_CODES[year]}D{serial:06d}"  # position 9 ("0") becomes the check digit
    return vin[:8] + vin_check_digit(vin) + vin[9:]


class Command(BaseCommand):
    help = "Load a small demo network (regions, dealers, a user per role, customers) once."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--seed", type=int, default=4242, help="random seed (reproducible data)")

    def handle(self, *args, customers, password, seed, **options):
        with network_wide(reason="seed demo: check"):
            if Dealer.objects.filter(code__in=DEMO_DEALER_CODES).exists():
                self.stdout.write("demo data already loaded")
                return
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.used_phones: set[str] = set()
        self.used_emails: set[str] = set()
        self.serial = 0
        # One transaction: a failure leaves nothing behind, and running the command again starts afresh.
        with transaction.atomic(), network_wide(reason="seed demo"):
            brands, dealers = self._network()
            staff = self._staff(dealers, password)
            created = self._customers(customers, brands, dealers, staff)
            with network_wide(reason="seed demo: count"):
                duplicates = DuplicateCandidate.objects.filter(status=DuplicateCandidate.Status.OPEN).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data loaded: {len(dealers)} dealers, {len(staff)} staff, {created} customers, "
                f"{duplicates} possible duplicates to review; password for every demo login: {password}"
            )
        )

    # --- network ---------------------------------------------------------------------------------------
    def _network(self):
        regions = {
            code: Region.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in REGIONS.items()
        }
        brands = {}
        for code, name, own, models, wmi in BRANDS:
            brand, _ = Brand.objects.get_or_create(
                code=code, defaults={"name": name, "is_oem_brand": own, "aliases": BRAND_ALIASES[code]}
            )
            for position, model in enumerate(models):
                model_name, aliases = MODEL_CATALOGUE[model]
                BrandModel.objects.get_or_create(
                    brand=brand,
                    code=model,
                    defaults={"name": model_name, "aliases": aliases, "position": position},
                )
            brands[code] = (brand, models, wmi)
        hours = {day: [["09:00", "19:00" if day in ("sat", "sun") else "18:00"]] for day in WEEKDAYS}
        dealers = {}
        for code, name, city, province, region, plate, letters, others, address, phone in DEALERS:
            dealer = Dealer.objects.create(
                code=code,
                name=name,
                kind=Dealer.Kind.FOUR_S,
                region=regions[region],
                city=city,
                address=f"{province}{city}市{address}".replace("市市", "市"),
                phone=phone,
                time_zone="Asia/Shanghai",
                business_hours=hours,
            )
            dealer.brands.add(brands["aurora"][0], *(brands[o][0] for o in others))
            dealers[code] = {
                "dealer": dealer,
                "city": city,
                "province": province,
                "plate": plate,
                "letters": letters,
                "brands": ["aurora", *others],
            }
        return brands, dealers

    def _staff(self, dealers, password):
        user_model = get_user_model()
        staff = {}
        for username, first, last, role, place, language in DEMO_STAFF:
            user, _ = user_model.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@dealer-crm.local"},
            )
            user.set_password(password)
            if role == Role.OEM_ADMIN:
                user.is_staff = user.is_superuser = True
            user.save()
            StaffProfile.objects.update_or_create(
                user=user, defaults={"language": language, "phone": self._phone()}
            )
            for one_place in place if isinstance(place, tuple) else (place,):
                RoleAssignment.objects.get_or_create(
                    user=user,
                    role=role,
                    dealer=dealers[one_place]["dealer"] if one_place in dealers else None,
                    region=Region.objects.get(code=one_place) if one_place in REGIONS else None,
                )
            staff[username] = user
            # Roles that must sign in with a second factor get the demo's known key (demo_logins prints it).
            if two_factor_required(access_for(user)):
                two_factor_demo_device_set(user=user, secret=DEMO_SECRET)
            if can_manage_api_tokens(access_for(user)) and not api_tokens_for_user(user=user).exists():
                api_token_create(user=user, name="DMS nightly import", expires_in_days=90)
        return staff

    # --- customers -------------------------------------------------------------------------------------
    def _phone(self) -> str:
        while True:
            phone = "+86" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def _sellers(self, staff, dealers):
        """Who enters each dealer's customers: its salespeople."""
        sellers = {code: [] for code in dealers}
        for username, _first, _last, role, place, _language in DEMO_STAFF:
            if role == Role.SALESPERSON:
                sellers[place].append(staff[username])
        return sellers

    def _customers(self, count, brands, dealers, staff) -> int:
        rng = self.rng
        sellers = self._sellers(staff, dealers)
        codes = list(DEALER_WEIGHTS)
        weights = [DEALER_WEIGHTS[c] for c in codes]
        made: list[tuple[Customer, str, str]] = []  # customer, dealer code, phone
        for index in range(count):
            code = rng.choices(codes, weights)[0]
            made.append(self._one_customer(index, code, brands, dealers, sellers))

        # About one in ten is also known to a second dealer (same region mostly): the same phone number,
        # typed by that dealer's salesperson, finds the network's customer and links it.
        for customer, code, phone in rng.sample(made, k=max(1, count // 10)):
            region = dealers[code]["dealer"].region_id
            others = [c for c in codes if c != code and dealers[c]["dealer"].region_id == region]
            other = rng.choice(others if rng.random() < 0.8 else [c for c in codes if c != code])
            seller = rng.choice(sellers[other])
            with scoped(access_for(seller).scope):
                customer_resolve(
                    by=seller,
                    dealer=dealers[other]["dealer"],
                    name=customer.name,
                    phones=[phone[3:]],  # typed without the country code
                    reason=rng.choice([CustomerDealer.Reason.SERVICE, CustomerDealer.Reason.WALK_IN]),
                )

        # A handful of near-duplicates: the same person entered again with another number that ends in
        # the same four digits and a slightly different name, so the review list has work in it.
        for customer, code, phone in rng.sample(made, k=max(2, min(8, count // 30))):
            seller = rng.choice(sellers[code])
            twin_phone = self._phone_with_tail(phone[-4:])
            name = customer.name
            variant = name + "先生" if len(name) <= 3 and not name.isascii() else name.replace(" ", "")
            with scoped(access_for(seller).scope):
                result = customer_resolve(
                    by=seller,
                    dealer=dealers[code]["dealer"],
                    name=variant if rng.random() < 0.5 else name,
                    phones=[twin_phone],
                    reason=CustomerDealer.Reason.WALK_IN,
                    city=dealers[code]["city"],
                )
                timeline_note_add(customer=result.customer, by=seller, text="新号码来电，疑似老客户换号。")
        return count + max(2, min(8, count // 30))

    def _phone_with_tail(self, tail: str) -> str:
        while True:
            phone = "+86" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**4):04d}" + tail
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def _name(self):
        rng = self.rng
        if rng.random() < 0.04:
            return Customer.Kind.COMPANY, self.fake.company(), self.fake.name()
        if rng.random() < 0.1:
            return Customer.Kind.PERSON, rng.choice(ENGLISH_NAMES), ""
        return Customer.Kind.PERSON, self.fake.name(), ""

    def _one_customer(self, index, code, brands, dealers, sellers):
        rng, place = self.rng, dealers[code]
        dealer = place["dealer"]
        seller = rng.choice(sellers[code])
        kind, name, contact_person = self._name()
        phone = self._phone()
        emails = []
        if rng.random() < 0.35:
            email = self.fake.free_email() if not name.isascii() else name.lower().replace(" ", ".")
            email = email if "@" in email else f"{email}@{rng.choice(['163.com', 'qq.com', 'gmail.com'])}"
            if email not in self.used_emails:
                self.used_emails.add(email)
                emails.append(email)
        birthday = (
            date(1960, 1, 1) + timedelta(days=rng.randrange(16000))
            if kind == Customer.Kind.PERSON and rng.random() < 0.7
            else None
        )
        reason = rng.choice(
            [CustomerDealer.Reason.WALK_IN] * 3
            + [CustomerDealer.Reason.LEAD, CustomerDealer.Reason.SALE, CustomerDealer.Reason.SERVICE]
        )
        with scoped(access_for(seller).scope):
            customer = customer_resolve(
                by=seller,
                dealer=dealer,
                name=name,
                phones=[phone],
                emails=emails,
                reason=reason,
                kind=kind,
                contact_person=contact_person,
                birthday=birthday,
                preferred_language="en" if name.isascii() else "zh-hans",
                preferred_channel=rng.choice(["phone", "phone", "wechat", "wechat", "sms"]),
                province=place["province"],
                city=place["city"],
                district=self.fake.district() + "区",
            ).customer
            for channel, purpose in rng.sample(
                [
                    ("phone", Consent.Purpose.SERVICE),
                    ("sms", Consent.Purpose.SERVICE),
                    ("sms", Consent.Purpose.MARKETING),
                    ("wechat", Consent.Purpose.MARKETING),
                    ("email", Consent.Purpose.MARKETING),
                ],
                k=rng.randint(1, 4),
            ):
                opt_in = rng.random() < (0.85 if purpose == Consent.Purpose.SERVICE else 0.55)
                consent_record(
                    customer=customer,
                    channel=channel,
                    purpose=purpose,
                    status=Consent.Status.OPT_IN if opt_in else Consent.Status.OPT_OUT,
                    source=rng.choice(
                        [Consent.Source.SHOWROOM, Consent.Source.PHONE, Consent.Source.WEB_FORM]
                    ),
                    by=seller,
                    dealer=dealer,
                )
            model = None
            if rng.random() < 0.6:
                brand_code = "aurora" if rng.random() < 0.8 else rng.choice(place["brands"])
                _brand, models, wmi = brands[brand_code]
                model = rng.choice(models)
                year = rng.randint(2018, 2025)
                self.serial += 1
                vehicle_register(
                    by=seller,
                    owner=customer,
                    dealer=dealer,
                    vin=make_vin(wmi, model, year, self.serial),
                    make=brand_code.capitalize(),
                    model=model,
                    year=year,
                    colour=rng.choice(COLOURS),
                    plate=place["plate"] + rng.choice(place["letters"]) + self._plate_tail(model),
                    purchase_date=date(year, rng.randint(1, 12), rng.randint(1, 28)),
                    selling_dealer=dealer
                    if reason == CustomerDealer.Reason.SALE or rng.random() < 0.7
                    else None,
                )
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                text = rng.choice(NOTES).format(model=model or rng.choice(brands["aurora"][1]))
                timeline_note_add(customer=customer, by=seller, text=text)
        self._backdate(customer)
        return customer, code, phone

    def _plate_tail(self, model: str) -> str:
        chars = "0123456789" * 3 + "ABCDEFGHJKLMNPQRSTUVWXYZ"
        tail = "".join(self.rng.choice(chars) for _ in range(5))
        return ("D" + tail) if model.startswith("EV") else tail

    def _backdate(self, customer) -> None:
        """A believable history: the customer was met some time in the last two years, events follow."""
        start = timezone.now() - timedelta(days=self.rng.randint(3, 730), hours=self.rng.randint(0, 9))
        events = TimelineEvent.objects.filter(customer=customer).order_by("id")
        for step, event in enumerate(events):
            when = (
                start + timedelta(minutes=step)
                if event.kind != "customer.note"
                else start + timedelta(days=self.rng.randint(1, 60), hours=self.rng.randint(0, 8))
            )
            TimelineEvent.objects.filter(id=event.id).update(occurred_at=min(when, timezone.now()))
        CustomerDealer.objects.filter(customer=customer).update(first_seen_at=start, last_seen_at=start)
