"""The load test for `make bench`: gunicorn in production mode (the Dockerfile's command, docker-compose.yml's
environment, the production static build, as tests/core/test_production_start.py starts it) against a network
of 10 dealers, with 50 salespeople (5 per dealer) logging visits and contacts and reading their lists, 5 sales
managers on the funnel dashboard, the team page and its export, and 3 OEM regional managers on the compliance
pages, a dealer's page and the network export, for a set time (default 5 minutes).

A bounded generator, not locust: one thread per virtual user, each with its own session (signed in through
the login form, as a person would), a think time between requests, and nothing else in flight. Every response
must be the status the page promises (0 errors), and every row it shows is checked against the user's scope:
the lead ids in pages and the API belong to the salesperson's or manager's dealer, the dealer ids and codes in
the OEM pages and exports to the regional manager's region (0 foreign rows). The ids are collected during the
run and checked against the database after it, so the checks cost the server nothing while it is measured.
Each salesperson also asks for a lead of another dealer now and then: it must be a 404.
"""

import csv
import io
import os
import random
import re
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

PASSWORD = "load-test-pass-7"  # noqa: S105 (throwaway bench users)
DEALERS = 10
MANAGERS = 5
OEM_REGIONS = ("east-china", "north-china", "south-china")
LEAD_LINK = re.compile(r'href="/leads/(\d+)/(?:\?[^"]*)?"')
DEALER_LINK = re.compile(r'href="/dealers/(\d+)/(?:\?[^"]*)?"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Person:
    username: str
    role: str
    user_id: int
    dealer_id: int | None = None
    region_id: int | None = None
    lead_ids: list[int] = field(default_factory=list)


@dataclass
class Seen:
    """What one virtual user was shown, checked against the database after the run."""

    lead_ids: set[int] = field(default_factory=set)
    dealer_ids: set[int] = field(default_factory=set)
    dealer_codes: set[str] = field(default_factory=set)


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.timings: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.seen: dict[str, Seen] = {}

    def record(self, endpoint: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.timings.setdefault(endpoint, []).append(seconds)
            if error:
                self.errors.append(f"{endpoint}: {error}")


def load_data(*, customers: int, leads: int, out) -> dict[str, list[Person]]:
    """The network: seed_scale's first 10 dealers with `customers` customers and `leads` leads (made once,
    then reused), its 5 salespeople per dealer, 5 sales managers, 3 regional managers; everyone's password
    set to PASSWORD. Returns the people by kind."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from crm.core.scope import network_wide
    from crm.customers.management.commands.seed_scale import scale_analyze, scale_dealers, scale_seed
    from crm.customers.models import CustomerDealer
    from crm.network.models import Region, Role, RoleAssignment
    from leads.management.commands.seed_scale_leads import scale_leads
    from leads.models import Lead

    dealers = scale_dealers(DEALERS)
    with network_wide(reason="bench load: size"):
        have_customers = CustomerDealer.objects.filter(dealer__in=dealers).count()
        have_leads = Lead.objects.filter(dealer__in=dealers).count()
    if have_customers < customers:
        out(f"  seeding {customers - have_customers:,} customers over {DEALERS} dealers")
        scale_seed(customers=customers - have_customers, dealers=DEALERS, workers=1, log=lambda line: None)
    if have_leads < leads:
        out(f"  seeding {leads - have_leads:,} leads")
        scale_leads(leads=leads - have_leads, dealers=DEALERS, log=lambda line: None)
        from dealers.services.facts import dealer_batches, facts_rederive, rederive_days

        with network_wide(reason="bench load: the compliance pages' daily facts"):
            first_day, last_day = rederive_days(days=60)
            for batch in dealer_batches():
                facts_rederive(dealer_ids=batch, first_day=first_day, last_day=last_day)
    scale_analyze(log=lambda line: None)
    users = get_user_model().objects
    password = make_password(PASSWORD)
    people: dict[str, list[Person]] = {"salesperson": [], "manager": [], "oem": []}
    with network_wide(reason="bench load: users"):
        for assignment in RoleAssignment.objects.filter(
            dealer__in=dealers, role=Role.SALESPERSON, user__username__startswith="bench."
        ).select_related("user"):
            people["salesperson"].append(
                Person(assignment.user.username, "salesperson", assignment.user_id, dealer_id=assignment.dealer_id)
            )
        for number, dealer in enumerate(dealers[:MANAGERS]):
            user, _ = users.get_or_create(username=f"load.manager.{number}")
            RoleAssignment.objects.get_or_create(user=user, role=Role.SALES_MANAGER, dealer=dealer)
            people["manager"].append(Person(user.username, "manager", user.id, dealer_id=dealer.id))
        for code in OEM_REGIONS:
            region = Region.objects.get(code=code)
            user, _ = users.get_or_create(username=f"load.oem.{code}")
            RoleAssignment.objects.get_or_create(user=user, role=Role.REGIONAL_MANAGER, region=region)
            people["oem"].append(Person(user.username, "oem", user.id, region_id=region.id))
        everyone = [p.user_id for kind in people.values() for p in kind]
        users.filter(id__in=everyone).update(password=password, is_active=True)
        for person in people["salesperson"]:
            person.lead_ids = list(
                Lead.objects.filter(owner_id=person.user_id, closed_at__isnull=True)
                .order_by("-id")
                .values_list("id", flat=True)[:50]
            )
    return people


class Browser:
    """One person's session over HTTP, as a browser behind the TLS proxy: cookies kept by hand (the session
    cookie is Secure, and this hop is plain HTTP), the CSRF token sent back with every form."""

    def __init__(self, base_url: str, host: str, address: str):
        import httpx

        self.client = httpx.Client(
            base_url=base_url,
            headers={"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-For": address},
            timeout=60,
        )
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
            headers["Referer"] = f"https://{self.client.headers['Host']}{path}"
        response = self.client.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def close(self):
        self.client.close()


def sign_in(browser: Browser, person: Person) -> None:
    """The login form; if the product asks for a second factor (OEM roles, once two-factor sign-in ships),
    the current code of the user's confirmed TOTP device."""
    page = browser.request("GET", "/login/")
    token = CSRF_INPUT.search(page.text)
    response = browser.request(
        "POST",
        "/login/",
        data={"username": person.username, "password": PASSWORD, "csrfmiddlewaretoken": token[1] if token else ""},
    )
    if response.status_code != 302:
        raise RuntimeError(f"{person.username} could not sign in ({response.status_code})")
    location = response.headers["location"]
    if any(word in location for word in ("otp", "two-factor", "2fa", "verify")):
        page = browser.request("GET", location)
        token = CSRF_INPUT.search(page.text)
        field_name = next((n for n in ("otp_token", "token", "code", "otp") if f'name="{n}"' in page.text), "code")
        response = browser.request(
            "POST",
            location,
            data={field_name: _totp_now(person), "csrfmiddlewaretoken": token[1] if token else ""},
        )
        if response.status_code != 302:
            raise RuntimeError(f"{person.username}: the second factor was refused ({response.status_code})")


def _totp_now(person: Person) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from crm.core.scope import network_wide

    with network_wide(reason="bench load: the user's own TOTP device"):
        device = TOTPDevice.objects.filter(user_id=person.user_id, confirmed=True).first()
    if device is None:
        raise RuntimeError(f"{person.username} must pass a second factor and has no TOTP device")
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def _expect(results: Results, endpoint: str, browser: Browser, method: str, path: str, status=(200,), **kwargs):
    started = time.perf_counter()
    try:
        response = browser.request(method, path, **kwargs)
    except Exception as error:  # a refused connection or a timeout is an error of the run, not a crash
        results.record(endpoint, time.perf_counter() - started, f"{type(error).__name__}: {error}")
        return None
    elapsed = time.perf_counter() - started
    error = None if response.status_code in status else f"{method} {path} -> {response.status_code}"
    results.record(endpoint, elapsed, error)
    return response if error is None else None


def salesperson(browser, person, results, seen, rng, others):
    kind = rng.choices(
        ["my_day", "list", "api", "visit", "detail", "contact", "foreign"], weights=[3, 3, 2, 3, 2, 3, 1]
    )[0]
    if kind == "my_day":
        response = _expect(results, "GET /leads/my-day/", browser, "GET", "/leads/my-day/")
        if response is not None:
            seen.lead_ids.update(int(n) for n in LEAD_LINK.findall(response.text))
    elif kind == "list":
        response = _expect(results, "GET /leads/", browser, "GET", "/leads/")
        if response is not None:
            ids = [int(n) for n in LEAD_LINK.findall(response.text)]
            seen.lead_ids.update(ids)
            person.lead_ids = (ids or person.lead_ids)[:50]
    elif kind == "api":
        response = _expect(results, "GET /api/v1/leads/", browser, "GET", "/api/v1/leads/")
        if response is not None:
            seen.lead_ids.update(row["id"] for row in response.json()["results"])
    elif kind == "visit":
        page = _expect(results, "GET /leads/visits/new/", browser, "GET", "/leads/visits/new/")
        if page is not None:
            phone = f"139{rng.randrange(10**8):08d}"
            response = _expect(
                results,
                "POST /leads/visits/new/ (log a visit)",
                browser,
                "POST",
                "/leads/visits/new/",
                status=(302,),
                data={"phone": phone, "name": f"访客{phone[-4:]}", "party_size": "2", "grade": "B"},
            )
            if response is not None and "logged=" not in response.headers.get("location", ""):
                results.record("POST /leads/visits/new/ (log a visit)", 0, "the visit was not logged")
    elif kind in ("detail", "contact") and person.lead_ids:
        lead_id = rng.choice(person.lead_ids)
        if kind == "detail":
            response = _expect(results, "GET /leads/<id>/", browser, "GET", f"/leads/{lead_id}/")
            if response is not None:
                seen.lead_ids.update(int(n) for n in LEAD_LINK.findall(response.text))
        else:
            response = _expect(
                results,
                "POST /leads/<id>/contact/ (log a call)",
                browser,
                "POST",
                f"/leads/{lead_id}/contact/",
                status=(200,),
                headers={"HX-Request": "true"},
                data={"channel": "call", "outcome": rng.choice(["reached", "no_answer", "busy"]), "note": "load"},
            )
            if response is not None and 'class="contact-done"' not in response.text:
                results.record("POST /leads/<id>/contact/ (log a call)", 0, "the contact was not logged")
    elif kind == "foreign" and others:
        _expect(results, "GET another dealer's lead (404)", browser, "GET", f"/leads/{rng.choice(others)}/", status=(404,))


def manager(browser, person, results, seen, rng, others):
    kind = rng.choices(["funnel", "team", "list", "export"], weights=[4, 2, 3, 1])[0]
    if kind == "funnel":
        _expect(results, "GET /leads/dashboard/", browser, "GET", "/leads/dashboard/")
    elif kind == "team":
        _expect(results, "GET /leads/team/", browser, "GET", "/leads/team/")
    elif kind == "list":
        response = _expect(results, "GET /leads/ (manager)", browser, "GET", "/leads/")
        if response is not None:
            seen.lead_ids.update(int(n) for n in LEAD_LINK.findall(response.text))
    else:
        _expect(results, "GET /leads/dashboard/export/", browser, "GET", "/leads/dashboard/export/")


def oem(browser, person, results, seen, rng, others):
    kind = rng.choices(["network", "dealer", "export", "scorecards"], weights=[4, 3, 2, 1])[0]
    if kind == "network":
        response = _expect(results, "GET /dealers/ (compliance)", browser, "GET", "/dealers/")
        if response is not None:
            ids = {int(n) for n in DEALER_LINK.findall(response.text)}
            seen.dealer_ids.update(ids)
            person.lead_ids = sorted(ids)  # the dealers this person may open
    elif kind == "dealer" and person.lead_ids:
        dealer_id = rng.choice(person.lead_ids)
        response = _expect(results, "GET /dealers/<id>/", browser, "GET", f"/dealers/{dealer_id}/")
        if response is not None:
            seen.dealer_ids.update(int(n) for n in DEALER_LINK.findall(response.text))
    elif kind == "export":
        response = _expect(results, "GET /dealers/export/ (CSV)", browser, "GET", "/dealers/export/?format=csv")
        if response is not None:
            seen.dealer_codes.update(_dealer_codes(response.text))
    else:
        _expect(results, "GET /dealers/scorecards/", browser, "GET", "/dealers/scorecards/")


def _dealer_codes(text: str) -> set[str]:
    """The dealer codes in an export: the column headed "code" (whatever its language), else none."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        return set()
    header = [cell.strip().lower() for cell in rows[0]]
    for name in ("dealer code", "code", "经销商代码", "代码"):
        if name in header:
            column = header.index(name)
            return {row[column].strip() for row in rows[1:] if len(row) > column and row[column].strip()}
    return set()


# Sign-ins hash a password (deliberately slow): a few at a time, before the measured window opens, as people
# arrive at work over minutes and not in the same second.
_signing_in = threading.Semaphore(3)


def _virtual_user(base_url, host, person, action, results, seen, others, until, think, seed, ready):
    rng = random.Random(seed)
    browser = Browser(base_url, host, address=f"10.{seed % 200}.{seed // 200 % 250}.{seed % 250 + 1}")
    try:
        try:
            with _signing_in:
                started = time.perf_counter()
                sign_in(browser, person)
            results.record("POST /login/ (sign in)", time.perf_counter() - started)
        except Exception as error:
            results.record("POST /login/ (sign in)", time.perf_counter() - started, f"{type(error).__name__}: {error}")
            return
        finally:
            ready.wait()
        time.sleep(rng.uniform(0, think[1]))  # arrivals spread, not all at once
        while time.monotonic() < until():
            action(browser, person, results, seen, rng, others)
            time.sleep(rng.uniform(*think))
    finally:
        browser.close()


def foreign_rows(people: dict[str, list[Person]], results: Results) -> dict[str, int]:
    """Rows shown to a user outside their scope, by kind, checked in the database."""
    from crm.core.scope import network_wide
    from crm.network.models import Dealer
    from leads.models import Lead

    counts = {"lead ids checked": 0, "dealer ids/codes checked": 0, "foreign rows": 0}
    with network_wide(reason="bench load: scope check of what each user was shown"):
        region_of = dict(Dealer.objects.values_list("id", "region_id"))
        region_of_code = dict(Dealer.objects.values_list("code", "region_id"))
        for person in [p for kind in people.values() for p in kind]:
            seen = results.seen.get(person.username, Seen())
            if seen.lead_ids:
                dealers = dict(Lead.objects.filter(id__in=seen.lead_ids).values_list("id", "dealer_id"))
                counts["lead ids checked"] += len(seen.lead_ids)
                foreign = [i for i in seen.lead_ids if dealers.get(i) != person.dealer_id]
                counts["foreign rows"] += len(foreign)
                if foreign:
                    results.errors.append(f"{person.username} was shown leads of another dealer: {foreign[:10]}")
            if person.region_id is not None:
                counts["dealer ids/codes checked"] += len(seen.dealer_ids) + len(seen.dealer_codes)
                foreign = [i for i in seen.dealer_ids if region_of.get(i) != person.region_id]
                foreign += [c for c in seen.dealer_codes if region_of_code.get(c) != person.region_id]
                counts["foreign rows"] += len(foreign)
                if foreign:
                    results.errors.append(f"{person.username} was shown dealers of another region: {foreign[:10]}")
    return counts


def _redis_db() -> int:
    """This checkout's own Redis database (REDIS_URL), never another's."""
    from django.conf import settings

    return int(settings.REDIS_URL.rsplit("/", 1)[-1] or 0)


def bench_load(*, seconds: int, out, customers: int = 20_000, leads: int = 20_000, think=(3.0, 10.0), workers=3):
    from crm.core.scope import network_wide
    from leads.models import Lead
    from tests.messaging.peers import free_port, wait_for_port
    from tests.production import HOST, build_static, gunicorn_command, production_env, start, stop

    out(
        f"## load: gunicorn ({workers} workers, production mode), 50 salespeople over {DEALERS} dealers, "
        f"{MANAGERS} managers, {len(OEM_REGIONS)} OEM regional managers, {seconds} s, think time "
        f"{think[0]:.0f}–{think[1]:.0f} s"
    )
    people = load_data(customers=customers, leads=leads, out=out)
    with network_wide(reason="bench load: other dealers' leads for the 404 probes"):
        by_dealer = {}
        for lead_id, dealer_id in Lead.objects.order_by("-id").values_list("id", "dealer_id")[:5000]:
            by_dealer.setdefault(dealer_id, []).append(lead_id)
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as directory:
        directory = Path(directory)
        static_root = directory / "static"
        if os.environ.get("BENCH_STATIC_ROOT"):  # a rerun may reuse a production build it made before
            static_root = Path(os.environ["BENCH_STATIC_ROOT"])
        if not (static_root / "staticfiles.json").exists():
            build_static(static_root)
        env = production_env(directory, static_root=static_root, redis_db=_redis_db())
        env["AXES_PROXY_COUNT"] = "1"
        port = free_port()
        command = gunicorn_command(port)
        command[command.index("--workers") + 1] = str(workers)
        command = [c for c in command if c not in ("--access-logfile", "-")]
        web = start(command, env, log=directory / "gunicorn.log")
        try:
            wait_for_port("127.0.0.1", port, timeout=60, process=web)
            base_url = f"http://127.0.0.1:{port}"
            deadline = {"at": float("inf")}
            ready = threading.Barrier(sum(len(kind) for kind in people.values()) + 1)
            threads = []
            seed = 0
            for kind, action in (("salesperson", salesperson), ("manager", manager), ("oem", oem)):
                for person in people[kind]:
                    seed += 1
                    seen = results.seen.setdefault(person.username, Seen())
                    others = [i for d, ids in by_dealer.items() if d != person.dealer_id for i in ids[:20]]
                    threads.append(
                        threading.Thread(
                            target=_virtual_user,
                            args=(base_url, HOST, person, action, results, seen, others, lambda: deadline["at"], think, seed, ready),
                            daemon=True,
                        )
                    )
            for thread in threads:
                thread.start()
            ready.wait()  # everyone signed in (the sign-ins are measured, not the run's clock)
            deadline["at"] = time.monotonic() + seconds
            for thread in threads:
                thread.join(timeout=seconds + 120)
        finally:
            stop(web)
            # What the server said about its errors (Django logs them to stderr), before the directory goes.
            server_errors = [
                line
                for line in (directory / "gunicorn.log").read_text(errors="replace").splitlines()
                if "Error" in line or "Exception" in line
            ]
    counts = foreign_rows(people, results)
    requests = sum(len(v) for v in results.timings.values())
    out(f"  {'endpoint':<42}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for endpoint, values in sorted(results.timings.items()):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        out(
            f"  {endpoint:<42}{len(values):>9}{statistics.median(values) * 1000:>9.0f}{p95 * 1000:>9.0f}"
            f"{max(values) * 1000:>9.0f}"
        )
    out(
        f"  {requests:,} requests in {seconds} s ({requests / seconds:.1f}/s); errors: {len(results.errors)}; "
        f"foreign rows: {counts['foreign rows']} ({counts['lead ids checked']:,} lead ids and "
        f"{counts['dealer ids/codes checked']:,} dealer ids/codes checked against the database)"
    )
    for error in results.errors[:20]:
        out(f"  ERROR {error}")
    for line in server_errors[-10:] if results.errors else []:
        out(f"  server: {line[:300]}")
    return 0 if not results.errors and not counts["foreign rows"] else 1
