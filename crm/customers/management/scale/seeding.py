"""Running the scale seeder: the benchmark network's dealers, batches of customers (one transaction each,
several at a time), and ANALYZE as the owner role afterwards."""

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

import psycopg2
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from crm.core.scope import network_wide
from crm.customers.management.scale.reference import (
    CHANNELS,
    CITIES,
    COLOURS,
    COMPANY_KINDS,
    COMPANY_WORDS,
    EMAIL_DOMAINS,
    ENGLISH_FIRST,
    FAMILY_CN,
    FAMILY_PY,
    GIVEN_CN,
    GIVEN_PY,
    LINK_REASONS,
    MOBILE_PREFIXES,
    MODEL_ROWS,
    PLANT_CODES,
    REGIONS,
    VIN_CHARS,
    YEAR_CODES,
)
from crm.customers.management.scale.statements import (
    BATCH_SQL,
    CUSTOMER_SQL,
    EMAIL_SQL,
    LINK_SQL,
    PHONE_SQL,
    VEHICLE_SQL,
)
from crm.network.models import Brand, Dealer, Region

BATCH_SIZE = 100_000


@dataclass
class SeedStats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0
    workers: int = 1

    def add(self, table: str, rows: int, seconds: float) -> None:
        self.rows[table] = self.rows.get(table, 0) + rows
        self.seconds[table] = self.seconds.get(table, 0.0) + seconds

    def rate(self, table: str) -> float:
        return self.rows.get(table, 0) / self.seconds[table] if self.seconds.get(table) else 0.0

    def lines(self) -> list[str]:
        out = [f"  per table (rows/s {'of one worker, ' if self.workers > 1 else ''}statement time only):"]
        for table in self.rows:
            out.append(
                f"  {table:<16} {self.rows[table]:>10,} rows in {self.seconds[table]:7.1f} s"
                f"  = {self.rate(table):>9,.0f} rows/s"
            )
        total_rows = sum(self.rows.values())
        customers = self.rows.get("customers", 0)
        if self.total_seconds:
            out.append(
                f"  {'overall (wall)':<16} {total_rows:>10,} rows in {self.total_seconds:7.1f} s"
                f"  = {total_rows / self.total_seconds:>9,.0f} rows/s"
                f"  ({customers / self.total_seconds:,.0f} customers/s, history triggers included)"
            )
        return out


def scale_dealers(count: int) -> list[Dealer]:
    """The benchmark network: `count` dealers spread over the cities above (created if missing)."""
    with network_wide(reason="seed scale: dealers"):
        regions = {
            code: Region.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in REGIONS.items()
        }
        aurora, _ = Brand.objects.get_or_create(
            code="aurora", defaults={"name": "Aurora Motors 奥瑞汽车", "is_oem_brand": True}
        )
        dealers = []
        for i in range(count):
            prefix, city, city_en, _province, _prov, _letters, region = CITIES[i % len(CITIES)]
            number = 101 + i // len(CITIES)
            dealer, created = Dealer.objects.get_or_create(
                code=f"{prefix}{number}",
                defaults={
                    "name": f"{city}奥瑞{number - 100}号店 {city_en} Aurora 4S #{number - 100}",
                    "region": regions[region],
                    "city": city,
                    "time_zone": "Asia/Shanghai",
                },
            )
            if created:
                dealer.brands.add(aurora)
            dealers.append(dealer)
    return dealers


def _dealer_params(dealers: list[Dealer]) -> dict:
    by_city = {c[1]: c for c in CITIES}
    rows = [by_city.get(d.city, CITIES[0]) for d in dealers]
    return {
        "dealer_ids": [d.id for d in dealers],
        "dealer_count": len(dealers),
        "cities": [d.city for d in dealers],
        "provinces": [r[3] for r in rows],
        "plate_prov": [r[4] for r in rows],
        "plate_letters": [r[5] for r in rows],
    }


def scale_seed(
    *, customers: int, dealers: int = 60, batch_size: int = BATCH_SIZE, workers: int = 1, log=print
) -> SeedStats:
    """Add `customers` customers (and their phones, e-mails, dealer links, vehicles). One transaction per
    batch, `workers` batches at a time (each in its own connection); returns rows and seconds per table
    (per-table seconds add up the workers' time, so with several workers use the overall figure)."""
    if customers <= 0:
        return SeedStats()
    network = scale_dealers(dealers)
    params = {
        **_dealer_params(network),
        "family_cn": FAMILY_CN,
        "family_py": FAMILY_PY,
        "given_cn": GIVEN_CN,
        "given_py": GIVEN_PY,
        "english": ENGLISH_FIRST,
        "company_words": COMPANY_WORDS,
        "company_kinds": COMPANY_KINDS,
        "prefixes": MOBILE_PREFIXES,
        "channels": CHANNELS,
        "domains": EMAIL_DOMAINS,
        "reasons": LINK_REASONS,
        "colours": COLOURS,
        "vin_chars": VIN_CHARS,
        "year_codes": YEAR_CODES,
        "plant_codes": PLANT_CODES,
        "m_make": [m[0] for m in MODEL_ROWS],
        "m_model": [m[1] for m in MODEL_ROWS],
        "m_wmi": [m[2] for m in MODEL_ROWS],
        "m_code": [m[3] for m in MODEL_ROWS],
        "model_count": len(MODEL_ROWS),
    }
    stats = SeedStats()
    lock = threading.Lock()
    sizes = [min(batch_size, customers - done) for done in range(0, customers, batch_size)]
    progress = {"done": 0}

    def run(n: int) -> None:
        batch_started = time.perf_counter()
        _seed_batch(n=n, params=params, stats=stats, lock=lock)
        elapsed = time.perf_counter() - batch_started
        with lock:
            progress["done"] += n
            log(
                f"  batch of {n:,} customers in {elapsed:.1f} s ({n / elapsed:,.0f}/s); "
                f"{progress['done']:,}/{customers:,}"
            )

    def run_in_thread(n: int) -> None:
        try:
            run(n)
        finally:
            connection.close()  # each worker thread has its own connection

    started = time.perf_counter()
    workers = max(1, min(workers, len(sizes)))
    if workers == 1:
        for n in sizes:
            run(n)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for future in [pool.submit(run_in_thread, n) for n in sizes]:
                future.result()
    stats.total_seconds = time.perf_counter() - started
    stats.workers = workers
    return stats


def _seed_batch(*, n: int, params: dict, stats: SeedStats, lock) -> None:
    """One transaction: n customers and everything that hangs off them."""
    timings: list[tuple[str, int, float]] = []
    with network_wide(reason="seed scale"), connection.cursor() as cursor:
        # The history triggers still fire on every row. Their helper functions read two settings in an
        # exception block; an unset setting costs a caught exception per row (100-400 µs, several times
        # the rest of the trigger), so both are set: history rows name their source as a request's do,
        # and pgtrigger.ignore is an empty list (nothing is skipped).
        cursor.execute(
            "SELECT set_config('pghistory.context_id', %s, true), "
            "set_config('pghistory.context_metadata', %s, true), "
            "set_config('pgtrigger.ignore', '{}', true)",
            [str(uuid.uuid4()), json.dumps({"command": "seed_scale"})],
        )
        cursor.execute("DROP TABLE IF EXISTS pg_temp.seed_batch")
        _timed(timings, "prepare", cursor, BATCH_SQL, {**params, "n": n})
        _timed(timings, "customers", cursor, CUSTOMER_SQL, params)
        phones = _timed(timings, "phones", cursor, PHONE_SQL, params)
        _timed(timings, "emails", cursor, EMAIL_SQL, params)
        _timed(timings, "dealer links", cursor, LINK_SQL, params)
        _timed(timings, "vehicles", cursor, VEHICLE_SQL, params)
        cursor.execute("DROP TABLE pg_temp.seed_batch")
        if phones != n:
            raise CommandError(f"batch inserted {phones} phones for {n} customers")
    with lock:
        for table, rows, seconds in timings:
            if table != "prepare":
                stats.add(table, rows, seconds)


def _timed(timings: list, table: str, cursor, sql: str, params: dict) -> int:
    started = time.perf_counter()
    cursor.execute(sql, params)
    timings.append((table, cursor.rowcount, time.perf_counter() - started))
    return cursor.rowcount


def ids_reserve(cursor, table: str, count: int) -> int:
    """The first of `count` consecutive ids drawn from the table's sequence, for a seeder that writes rows
    pointing at each other in one statement each. The application role may draw from a sequence but not set
    it; a seeder is the database's only writer, so the values drawn are consecutive (checked)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(
        "SELECT min(v), max(v) FROM (SELECT nextval(%s::regclass) AS v FROM generate_series(1, %s)) AS drawn",
        [sequence, count],
    )
    first, last = cursor.fetchone()
    if last - first != count - 1:
        raise RuntimeError(f"{table}: another writer drew ids while {count} were reserved")
    return first


def _owner_connection():
    parsed = urlparse(settings.DATABASE_OWNER_URL)
    return psycopg2.connect(
        user=unquote(parsed.username or ""),
        password=unquote(parsed.password) if parsed.password else None,
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        dbname=settings.DATABASES["default"]["NAME"],
    )


SEEDED_TABLES = [
    "customers_customer",
    "customers_contactpoint",
    "customers_customerdealer",
    "customers_vehicle",
    "customers_customerevent",
    "customers_contactpointevent",
    "customers_vehicleevent",
]


def scale_analyze(log=print) -> float:
    """Refresh the planner's statistics. Only a table's owner may ANALYZE it, so this uses the owner
    role's connection (DATABASE_OWNER_URL); without it, autovacuum will get there in its own time."""
    started = time.perf_counter()
    try:
        owner = _owner_connection()
    except psycopg2.Error as error:
        log(f"  ANALYZE skipped: cannot connect as the owner role ({str(error).strip()})")
        return 0.0
    owner.autocommit = True
    with owner.cursor() as cursor:
        for table in SEEDED_TABLES:
            cursor.execute(f"ANALYZE {table}")
    owner.close()
    return time.perf_counter() - started
