"""The product crawled as every demo role: no page answers a server error or prints a missing variable.

The demo data `make run` loads (seed_demo, seed_demo_leads, seed_demo_messaging) is loaded once for the
module. Then, signed in as one demo user of each role, the crawl visits, breadth first and up to a bound:
- every page reachable from the landing page `/` by a link (`<a href>`) or an HTMX `hx-get` (sent as
  HTMX sends it), same site only, never logout;
- every route of the URLconf, its ids filled from the demo rows this user can see (ID_FILLERS below:
  a table from the route's keyword arguments to a query; a few rows of different shapes each, since a
  page crashes on the lead WITHOUT an owner, not on the first one).
A new route needs nothing here unless its arguments are new: then `test_every_route_can_be_filled` fails
and names it, until ID_FILLERS learns the argument (or KNOWN_UNFILLABLE says why not).

Any 5xx fails the crawl, with the URL, the role and the exception; so does a template that prints a
variable which does not resolve (tests/strict_templates.py). 3xx, 403, 404 and 405 are answers.
"""

import logging
import os
import re
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from crm.core.scope import network_wide, scoped
from crm.customers.management.commands.seed_demo import DEMO_STAFF
from crm.customers.models import ContactPoint, Customer, DuplicateCandidate, Vehicle
from crm.messaging.models import (
    Campaign,
    CareProgram,
    MessageTemplate,
    Notification,
    OutboxMessage,
    PhoneCall,
    Segment,
)
from crm.messaging.services.links import unsubscribe_token
from crm.network.access import access_for
from crm.network.models import ApiToken, Dealer, Role, RoleAssignment
from dealers.models import Audit, AuditChecklist, Evidence, Finding, MysteryShop, Scorecard, ScorecardTemplate
from leads.imports import selectors as import_selectors
from leads.imports import services as import_services
from leads.models import FollowUp, Lead, LeadSource, LostVerdict, Order, Questionnaire
from loyalty.models import Member, QuestionnaireVersion, SurveyInvitation, SurveyQuestion
from service.models import (
    Appointment,
    CallBack,
    Complaint,
    DmsImport,
    MaintenanceSchedule,
    RecallCampaign,
    RecallVehicle,
    RepairOrder,
    RepairOrderSummary,
)

pytestmark = pytest.mark.django_db

PAGES_PER_ROLE = 300
# Distinct URLs (other ids, other query strings) per route and role: the budget goes to many routes,
# not to page 40 of one list.
URLS_PER_ROUTE = 4
ROWS_PER_ARGUMENT = 4
NEVER_FOLLOWED = re.compile(r"^/(logout|admin/logout|static|media)/")
# Links inside Django's admin (filters, sort orders, date drill-downs) are Django's, not ours: the admin
# is crawled through the URLconf only (every model's list, edit and add pages), so it cannot eat the bound.
LINKS_NOT_FOLLOWED = re.compile(r"^/admin/")

# Routes (by name, or by text when unnamed) whose arguments no demo row fills, and why. Any other route
# that cannot be filled fails the test.
KNOWN_UNFILLABLE = {
    "admin:view_on_site": "the admin's redirect to a row's page on the site",
    "admin:app_list": "the admin's index of one app: its argument is an app label, not a row",
    "admin/(?P<url>.*)$": "the admin's catch-all 404",
}


# Pages for people who are not signed in (a customer following a link in a message).
PUBLIC_ROUTES = {"messaging:unsubscribe", "loyalty:surveys:answer"}


# --- the demo, once ----------------------------------------------------------------------------------------
# The Makefile's `seed` target, in its order: the crawl visits what `make run` shows.
DEMO_SEEDS = re.findall(r"\$\(MANAGE\) (seed_demo\w*)", (Path(__file__).resolve().parents[1] / "Makefile").read_text())


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data of `make run`, in one transaction rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = time.monotonic()
        for command in DEMO_SEEDS:
            call_command(command, stdout=StringIO())
        yield {"seconds": time.monotonic() - started}
        transaction.set_rollback(True)


def demo_users_by_role() -> dict[str, object]:
    """The first demo login of each role, in seed_demo's order, and a visitor who is not signed in."""
    first = {}
    for username, *_rest, role, _place, _language in DEMO_STAFF:
        first.setdefault(role, username)
    with network_wide(reason="test: demo logins"):
        users = get_user_model().objects.in_bulk(first.values(), field_name="username")
    return {**{role: users[username] for role, username in first.items()}, "not signed in": AnonymousUser()}


def rows_visible_to(user):
    """The scope the crawl picks ids in: the user's; for a visitor, any row (a public link, such as an
    unsubscribe link in an e-mail, carries ids of any dealer)."""
    if user.is_authenticated:
        return scoped(access_for(user).scope)
    return network_wide(reason="test: public links carry ids of any dealer")


# --- the URLconf -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    text: str  # as written in the URLconf, prefixes included: "leads/<int:lead_id>/"
    name: str | None  # "leads:detail"
    arguments: tuple[str, ...]  # keyword arguments, sorted
    callback: Callable = field(compare=False, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.text.startswith("admin/")

    def url(self, values: dict) -> str:
        def fill(match: re.Match) -> str:
            return str(values[match.group(2)])

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, self.text)


def url_routes(patterns=None, prefix: str = "", namespace: str | None = None) -> Iterator[Route]:
    """Every route of the URLconf, with the keyword arguments of all its levels."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace) if n) or None
            yield from url_routes(pattern.url_patterns, text, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            arguments = set(re.findall(r"<(?:\w+:)?(\w+)>", text)) | set(pattern.pattern.regex.groupindex)
            yield Route(text, name, tuple(sorted(arguments)), pattern.callback)


def varied(queryset, *shape: str, limit: int = ROWS_PER_ARGUMENT) -> list[int]:
    """Ids of rows of different shapes (the first row of each combination of `shape`), oldest first."""
    seen, ids = set(), []
    for row in queryset.order_by("pk").values_list("pk", *shape)[:5000]:
        if row[1:] not in seen:
            seen.add(row[1:])
            ids.append(row[0])
            if len(ids) == limit:
                break
    return ids


def is_set(lookup: str) -> ExpressionWrapper:
    return ExpressionWrapper(Q(**{f"{lookup}__isnull": False}), output_field=BooleanField())


def lead_ids() -> list[int]:
    unassigned_follow_up = FollowUp.objects.filter(lead=OuterRef("pk"), assigned_to__isnull=True)
    leads = Lead.objects.annotate(
        has_owner=is_set("owner"), unassigned_follow_up=Exists(unassigned_follow_up)
    )
    return varied(leads, "stage", "acceptance", "has_owner", "unassigned_follow_up", "type", limit=12)


def service_vehicle_ids() -> list[int]:
    """Cars serviced here, serviced elsewhere too (a summary on the page), and never serviced."""
    orders = RepairOrder.objects.filter(vehicle=OuterRef("pk"))
    summaries = RepairOrderSummary.objects.filter(vehicle=OuterRef("pk"))
    vehicles = Vehicle.objects.annotate(has_orders=Exists(orders), has_summaries=Exists(summaries))
    return varied(vehicles, "has_orders", "has_summaries")


def one_argument(name: str, ids: Callable[[], list[int]]) -> Callable[[Route, object], list[dict]]:
    return lambda route, user: [{name: i} for i in ids()]


def api_object(route: Route, user) -> list[dict]:
    """`pk` of the API: the resource its route is named after ("lead-detail", "order-place")."""
    stem = (route.name or "").rpartition(":")[2].split("-")[0]
    querysets = {
        "customer": lambda: varied(Customer.objects.all()),
        "vehicle": lambda: varied(Vehicle.objects.all()),
        "lead": lead_ids,
        "order": lambda: varied(Order.objects.all(), "status"),
        "dealer": lambda: varied(Dealer.objects.all()),  # dl-figures: a dealer's key figures
        "scorecard": lambda: varied(Scorecard.objects.all(), "status", "version"),  # dl-gaps: the judging API
        "finding": lambda: varied(Finding.objects.all(), "status", "source"),
    }
    return [{"pk": i} for i in querysets[stem]()] if stem in querysets else []


def admin_object(route: Route, user) -> list[dict]:
    model_admin = getattr(route.callback, "model_admin", None)
    if model_admin is None:
        return []
    return [{"object_id": i} for i in varied(model_admin.model.objects.all(), limit=1)]


IMPORT_STEP = {"preview": 0, "confirm": 1, "errors_csv": 1, "done": 2, "results_csv": 2}


def import_upload(route: Route, user) -> list[dict]:
    """A list upload at the step the route shows, stored for this user as the import pages store it: just
    uploaded, columns mapped, or imported (its result naming one of the user's leads)."""
    dealer = import_selectors.import_dealers(user=user).first()
    source = LeadSource.objects.filter(dealer=dealer).first() if dealer else None
    lead = Lead.objects.filter(dealer=dealer).order_by("id").first() if dealer else None
    if source is None or lead is None:
        return []
    step = IMPORT_STEP.get(route.name.rpartition(":")[2], 0)
    token = import_services.upload_store(
        data="姓名,手机,车型\n张三,13912345678,A6\n李四,12,A6\n".encode("gb18030"),
        filename="车展名单.csv",
        owner_id=user.pk,
        dealer_id=dealer.id,
        source_id=source.id,
        campaign_id=None,
        mapping={"name": 0, "phone": 1, "model": 2} if step >= 1 else None,
        result={
            "finished_at": timezone.now(),
            "rows": [(2, "张三", "+8613912345678", lead.id, True)],
            "skipped": 1,
        }
        if step == 2
        else None,
    )
    return [{"token": token}]


def string_token(route: Route, user) -> list[dict]:
    if route.name == "messaging:unsubscribe":
        # The demo may have sent nothing yet; a signed key is all the page needs, and a forged one is 404.
        keys = [
            *OutboxMessage.objects.order_by("id").values_list("idempotency_key", flat=True)[:1],
            "demo:none",
        ]
        return [{"token": unsubscribe_token(key)} for key in keys] + [{"token": "forged"}]
    if route.name and route.name.startswith("leads_imports:"):
        return import_upload(route, user)
    if route.name == "loyalty:surveys:answer":
        return survey_links()
    return []


def survey_links() -> list[dict]:
    """Links of invitations of every state (open, answered, expired, not sent), and a forged one."""
    from loyalty.services.surveys import survey_token

    with network_wide(reason="test: survey links carry invitations of any dealer"):
        rows = SurveyInvitation.objects.filter(id__in=varied(SurveyInvitation.objects.all(), "status"))
        return [{"token": survey_token(invitation)} for invitation in rows] + [{"token": "forged"}]


# The table: a route's keyword arguments (sorted) -> the values to try, from the rows `user` can see.
ID_FILLERS: dict[tuple[str, ...], Callable[[Route, object], list[dict]]] = {
    ("lead_id",): lambda route, user: [{"lead_id": i} for i in lead_ids()],
    ("lead_id", "order_id"): lambda route, user: [
        {"lead_id": lead, "order_id": order}
        for order, lead in Order.objects.filter(id__in=varied(Order.objects.all(), "status")).values_list(
            "id", "lead_id"
        )
    ],
    # dl-phone: the lead page's click-to-call status panel, for demo calls of each outcome.
    ("call_id", "lead_id"): lambda route, user: [
        {"lead_id": lead, "call_id": call}
        for call, lead in PhoneCall.objects.filter(
            id__in=varied(PhoneCall.objects.filter(reference_id__isnull=False), "status")
        ).values_list("id", "reference_id")
    ],
    ("customer_id",): one_argument(
        "customer_id",
        lambda: varied(Customer.objects.annotate(is_merged=is_set("merged_into")), "kind", "is_merged"),
    ),
    ("dealer_id",): one_argument("dealer_id", lambda: varied(Dealer.objects.all())),
    # The user's own API tokens, live and revoked (seed_demo makes one for each admin).
    ("token_id",): lambda route, user: [
        {"token_id": token}
        for token in varied(ApiToken.objects.filter(user=user if user.is_authenticated else None), "revoked_at")
    ],
    ("assignment_id", "dealer_id"): lambda route, user: [
        {"dealer_id": dealer, "assignment_id": assignment}
        for assignment, dealer in RoleAssignment.objects.filter(dealer__isnull=False)
        .order_by("id")
        .values_list("id", "dealer_id")[:ROWS_PER_ARGUMENT]
    ],
    ("candidate_id",): one_argument(
        "candidate_id", lambda: varied(DuplicateCandidate.objects.all(), "status")
    ),
    ("template_id",): one_argument("template_id", lambda: varied(MessageTemplate.objects.all(), "channel")),
    ("segment_id",): one_argument("segment_id", lambda: varied(Segment.objects.all())),
    ("program_id",): one_argument("program_id", lambda: varied(CareProgram.objects.all(), "trigger")),
    ("campaign_id",): one_argument("campaign_id", lambda: varied(Campaign.objects.all(), "status")),
    ("notification_id",): one_argument("notification_id", lambda: varied(Notification.objects.all())),
    ("questionnaire_id",): one_argument("questionnaire_id", lambda: varied(Questionnaire.objects.all())),
    ("verdict_id",): one_argument("verdict_id", lambda: varied(LostVerdict.objects.all(), "status")),
    # loyalty (ly-points): members of every tier, and repair orders open and settled.
    ("member_id",): one_argument("member_id", lambda: varied(Member.objects.all(), "tier")),
    ("invitation_id",): one_argument("invitation_id", lambda: survey_rows("invitation")),
    ("version_id",): one_argument("version_id", lambda: survey_rows("version")),
    ("question_id",): one_argument("question_id", lambda: survey_rows("question")),
    ("pk",): api_object,
    ("object_id",): admin_object,
    ("id",): lambda route, user: (
        [{"id": i} for i in varied(get_user_model().objects.all(), limit=1)] if route.is_admin else []
    ),
    ("token",): string_token,
    # svc-care: complaints (open, escalated, closed), call-backs, recalls and their affected vehicles.
    ("complaint_id",): one_argument(
        "complaint_id", lambda: varied(Complaint.objects.all(), "status", "escalation")
    ),
    ("call_back_id",): one_argument("call_back_id", lambda: varied(CallBack.objects.all(), "outcome")),
    ("recall_id",): one_argument("recall_id", lambda: varied(RecallCampaign.objects.all(), "status")),
    ("recall_vehicle_id",): one_argument(
        "recall_vehicle_id", lambda: varied(RecallVehicle.objects.all(), "status", "notice")
    ),
    # svc-workshop: cars with and without service history, orders in every state, imports, line kinds.
    ("vehicle_id",): one_argument("vehicle_id", lambda: service_vehicle_ids()),
    ("repair_order_id",): one_argument(
        "repair_order_id", lambda: varied(RepairOrder.objects.all(), "status", "source", limit=6)
    ),
    ("kind", "repair_order_id"): lambda route, user: [
        {"repair_order_id": order, "kind": kind}
        for order in varied(RepairOrder.objects.all(), "status", limit=2)
        for kind in ("labour", "part", "charge")
    ],
    ("import_id",): one_argument("import_id", lambda: varied(DmsImport.objects.all())),
    # maintenance due: each model's schedule versions (in force and superseded).
    ("schedule_id",): one_argument("schedule_id", lambda: varied(MaintenanceSchedule.objects.all(), "brand_model", limit=3)),
    # svc-appointments: booked, checked-in, no-show and cancelled appointments, by each channel.
    ("appointment_id",): one_argument(
        "appointment_id", lambda: varied(Appointment.objects.all(), "status", "channel", limit=6)
    ),
    # dealers (dl-audit): scorecards of each status, audits, checklists, findings, evidence, mystery shops
    ("scorecard_id",): one_argument("scorecard_id", lambda: varied(Scorecard.objects.all(), "status", "version")),
    ("scorecard_template_id",): one_argument(
        "scorecard_template_id", lambda: varied(ScorecardTemplate.objects.all(), "status")
    ),
    ("audit_id",): one_argument("audit_id", lambda: varied(Audit.objects.all(), "status")),
    ("checklist_id",): one_argument("checklist_id", lambda: varied(AuditChecklist.objects.all(), "status")),
    ("finding_id",): one_argument("finding_id", lambda: varied(Finding.objects.all(), "status", "source")),
    ("evidence_id",): one_argument("evidence_id", lambda: varied(Evidence.objects.all(), "content_type")),
    ("shop_id",): one_argument("shop_id", lambda: varied(MysteryShop.objects.all(), "is_logged")),
    # The owner club and the surveys.
}


def survey_rows(what: str) -> list[int]:

    if what == "invitation":
        return varied(SurveyInvitation.objects.all(), "status", "kind")
    if what == "version":
        return varied(QuestionnaireVersion.objects.all(), "status")
    return varied(SurveyQuestion.objects.all(), "type")


# What a user types into a search field, by the field's name: values from the demo rows `user` can see,
# of different shapes (a customer whose open lead has no owner, one whose lead is owned, nobody).
def phones_of_varied_leads() -> list[str]:
    """The phones of customers whose leads differ in owner (none, someone) and stage, unowned first."""
    leads = Lead.objects.annotate(has_owner=is_set("owner"))
    lead_rows = leads.filter(id__in=varied(leads, "has_owner", "stage", limit=20)).order_by("has_owner", "id")
    phones = dict(
        ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE, is_primary=True)
        .filter(customer_id__in=lead_rows.values("customer_id"))
        .values_list("customer_id", "value")
    )
    ordered = [phones[c] for c in lead_rows.values_list("customer_id", flat=True) if c in phones]
    return [value.removeprefix("+86") for value in dict.fromkeys(ordered)][:ROWS_PER_ARGUMENT]


def customer_searches() -> list[str]:
    customer = Customer.objects.order_by("id").first()
    phone = ContactPoint.objects.filter(kind=ContactPoint.Kind.PHONE).order_by("id").first()
    return [v for v in (customer and customer.name, phone and phone.value[-4:], "zzz-nobody") if v]


TYPED_FIELDS: dict[str, Callable[[], list[str]]] = {
    "phone": lambda: [*phones_of_varied_leads(), "13800000000"],
    "q": customer_searches,
}


def typed_values(user) -> dict[str, list[str]]:
    with rows_visible_to(user):
        return {name: values() for name, values in TYPED_FIELDS.items()}


def with_parameter(path: str, name: str, value: str) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return f"{parts.path}?{urlencode([*query, (name, value)])}"


def unfillable_routes() -> list[Route]:
    return [
        route
        for route in url_routes()
        if route.arguments
        and route.arguments not in ID_FILLERS
        and (route.name or route.text) not in KNOWN_UNFILLABLE
    ]


ADMIN_PAGE_ORDER = ("_changelist", "_change", "_add")


def route_urls(user) -> list[str]:
    """Every route, filled with ids of rows `user` may see. The admin's come last, its lists and edit
    pages (which run this project's ModelAdmin code) first; a user who may not enter it tries its index."""
    product, admin = [], []
    with rows_visible_to(user):
        for route in url_routes():
            if (route.is_admin and not user.is_staff) or NEVER_FOLLOWED.match("/" + route.text):
                continue
            if not route.arguments:
                urls = [route.url({})]
            elif route.arguments in ID_FILLERS:
                urls = [route.url(values) for values in ID_FILLERS[route.arguments](route, user)]
                # A visitor is sent to sign in whatever the ids: one URL per route says so (public
                # pages, which answer a visitor, keep all).
                urls = urls if user.is_authenticated or route.name in PUBLIC_ROUTES else urls[:1]
            else:
                urls = []
            if route.is_admin:
                suffix = next((s for s in ADMIN_PAGE_ORDER if (route.name or "").endswith(s)), None)
                rank = ADMIN_PAGE_ORDER.index(suffix) if suffix else len(ADMIN_PAGE_ORDER)
                admin.extend((rank, url) for url in urls)
            else:
                product.extend(urls)
    if not user.is_staff:
        product.append("/admin/")
    return product + [url for _rank, url in sorted(admin, key=lambda item: item[0])]


# --- the crawl ---------------------------------------------------------------------------------------------
class Links(HTMLParser):
    """`<a href>` and `hx-get` targets of a page (HTMX ones are fetched as HTMX fetches them), and the
    search fields a user types into: an input with `hx-get`, or a text field of a GET form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, bool]] = []
        self.typed: list[tuple[str, bool, str]] = []  # (where the value goes, as HTMX?, field name)
        self.get_form: tuple[str, bool] | None = None

    def handle_starttag(self, tag, attrs):
        values = {name: value or "" for name, value in attrs}
        if tag == "a" and values.get("href"):
            self.found.append((values["href"], False))
        if values.get("hx-get"):
            self.found.append((values["hx-get"], True))
        if tag == "form":
            is_get = values.get("method", "get").lower() == "get"
            target = values.get("hx-get") or values.get("action", "")
            self.get_form = (target, bool(values.get("hx-get"))) if is_get else None
        if tag in ("input", "textarea") and values.get("name") in TYPED_FIELDS:
            if values.get("hx-get"):
                self.typed.append((values["hx-get"], True, values["name"]))
            elif self.get_form is not None:
                self.typed.append((*self.get_form, values["name"]))

    def handle_endtag(self, tag):
        if tag == "form":
            self.get_form = None


@dataclass
class Failure:
    role: str
    url: str
    status: int
    error: str

    def __str__(self) -> str:
        return f"[{self.role}] {self.status} {self.url}\n    {self.error}"


@dataclass
class Crawl:
    role: str
    visited: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    routes_cut: list[str] = field(default_factory=list)  # routes the bound kept the crawl from
    pages: list[tuple[int, str]] = field(default_factory=list)
    seconds: Counter = field(default_factory=Counter)  # time spent per route

    @property
    def routes(self) -> int:
        return len(self.seconds)


def same_site_path(base: str, link: str) -> str | None:
    if link.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin("http://testserver" + base, link))
    if parts.netloc != "testserver" or NEVER_FOLLOWED.match(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def route_key(path: str) -> str:
    """Which route a URL belongs to, for the per-route bound (unresolvable paths share one key)."""
    try:
        match = get_resolver().resolve(urlsplit(path).path)
    except Exception:
        return "<no route>"
    return match.route


def explain(response) -> str:
    if getattr(response, "exc_info", None):
        kind, error, trace = response.exc_info
        ours = [
            f
            for f in traceback.extract_tb(trace)
            if "/.venv/" not in f.filename and not f.filename.endswith("strict_templates.py")
        ]
        where = f" at {ours[-1].filename}:{ours[-1].lineno}" if ours else ""
        return f"{kind.__name__}: {error}{where}"
    return "(a server error without an exception)"


@contextmanager
def quiet_request_log() -> Iterator[None]:
    """Hundreds of expected 404s and 405s would drown the output; failures are collected instead."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def crawl_as(role: str, user, route_list: list[str]) -> Crawl:
    """Links first (what a user clicks, breadth first from `/`), then the routes' URLs the links missed.

    Links to one route stop after URLS_PER_ROUTE (page 40 of a list adds nothing); the routes' URLs
    were chosen for their variety and are all visited."""
    client = Client(raise_request_exception=False)
    if user.is_authenticated:
        client.force_login(user)
    result = Crawl(role=role)
    samples = typed_values(user)
    links: deque[tuple[str, bool]] = deque([("/", False)])
    routes: deque[tuple[str, bool]] = deque((url, False) for url in route_list)
    found_links = set(links)
    visited: set[tuple[str, bool]] = set()
    per_route: Counter = Counter()
    refuses_get: set[str] = set()
    while links or routes:
        from_links = bool(links)
        path, is_htmx = (links or routes).popleft()
        route = route_key(path)
        if (path, is_htmx) in visited or route in refuses_get:
            continue
        if from_links and per_route[(route, is_htmx)] >= URLS_PER_ROUTE:
            continue
        if result.visited >= PAGES_PER_ROLE:
            remaining = {(p, h) for p, h in [(path, is_htmx), *links, *routes] if (p, h) not in visited}
            result.routes_cut = sorted({route_key(p) for p, _h in remaining} - set(result.seconds))
            break
        visited.add((path, is_htmx))
        per_route[(route, is_htmx)] += 1
        headers = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"} if is_htmx else {}
        began = time.monotonic()
        response = client.get(path, headers=headers)
        result.seconds[route] += time.monotonic() - began
        result.visited += 1
        result.statuses[response.status_code] += 1
        result.pages.append((response.status_code, path + (" (htmx)" if is_htmx else "")))
        if response.status_code >= 500:
            result.failures.append(Failure(role, path, response.status_code, explain(response)))
            continue
        if response.status_code == 405:  # an action route refuses GET whatever its ids: once is enough
            refuses_get.add(route)
        if 300 <= response.status_code < 400:
            found = [(response["Location"], False)]
        elif response.status_code == 200 and "html" in response.get("Content-Type", ""):
            parser = Links()
            parser.feed(response.content.decode(response.charset or "utf-8", "replace"))
            found = parser.found
            # Typed values were chosen for their variety, like the routes' ids: all are tried.
            for target, htmx, name in parser.typed:
                base = same_site_path(path, target)
                if base is None or LINKS_NOT_FOLLOWED.match(base):
                    continue
                for value in samples[name]:
                    if (typed := (with_parameter(base, name, value), htmx)) not in found_links:
                        found_links.add(typed)
                        routes.appendleft(typed)
        else:
            found = []
        for link, htmx in found:
            target = same_site_path(path, link)
            if (
                target is not None
                and not LINKS_NOT_FOLLOWED.match(target)
                and (target, htmx) not in found_links
            ):
                found_links.add((target, htmx))
                links.append((target, htmx))
    return result


# --- the tests ---------------------------------------------------------------------------------------------
def test_every_route_can_be_filled():
    unfillable = unfillable_routes()
    assert not unfillable, (
        "Routes whose arguments the crawl cannot fill: teach ID_FILLERS in tests/test_crawl.py which demo "
        "rows fill them (or add them to KNOWN_UNFILLABLE with the reason):\n"
        + "\n".join(f"  {r.text} ({r.name}): {', '.join(r.arguments)}" for r in unfillable)
    )


def test_every_role_has_a_demo_login():
    missing = set(Role) - {role for *_rest, role, _place, _language in DEMO_STAFF}
    assert not missing, f"seed_demo has no demo login for {sorted(missing)}: the crawl cannot see their pages"


def test_no_page_answers_a_server_error_for_any_demo_role(demo, capsys):
    started = time.monotonic()
    with quiet_request_log():
        crawls = [crawl_as(role, user, route_urls(user)) for role, user in demo_users_by_role().items()]
    elapsed = time.monotonic() - started
    failures = [failure for crawl in crawls for failure in crawl.failures]
    lines = [
        f"crawl: demo loaded in {demo['seconds']:.0f} s; {len(crawls)} roles, "
        f"{sum(c.visited for c in crawls)} pages in {elapsed:.0f} s, {len(failures)} server errors"
    ]
    for crawl in crawls:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(crawl.statuses.items()))
        bound = f"; the bound left {len(crawl.routes_cut)} routes unvisited" if crawl.routes_cut else ""
        lines.append(
            f"  {crawl.role:<18} {crawl.visited:>4} pages, {crawl.routes:>3} routes ({statuses}){bound}"
        )
    if os.environ.get("CRAWL_PAGES"):  # CRAWL_PAGES=1 lists every page visited, for a look at the coverage
        slowest = sum((crawl.seconds for crawl in crawls), Counter()).most_common(5)
        lines.append("  slowest routes: " + ", ".join(f"{route or '/'} {s:.1f} s" for route, s in slowest))
        for crawl in crawls:
            lines.extend(f"  {crawl.role} {status} {path}" for status, path in crawl.pages)
            lines.extend(f"  {crawl.role} left by the bound: {route}" for route in crawl.routes_cut)
    with capsys.disabled():  # the figures show in every run, not only with -s
        print("\n" + "\n".join(lines))
    assert not failures, f"{len(failures)} pages failed:\n" + "\n".join(str(f) for f in failures)
