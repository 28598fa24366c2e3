"""What the dealers app's audit tests share: two regions and three dealers with staff on both sides, test key
figures whose values the tests set (and change, to play late data), and acting as a user."""

from datetime import date

import pytest

from crm.core import key_figures as kf
from crm.core.scope import network_wide, scoped
from crm.network.access import access_for
from crm.network.models import Role
from dealers.models import Audit, AuditResult, Evidence, Finding, FindingStep, MysteryShop, Scorecard
from tests.factories import DealerFactory, RegionFactory, staff

# (measure code, dealer id, day) -> value; the test figures read it.
FIGURE_DATA: dict[tuple[str, int, date], object] = {}


def _reader(code: str):
    def compute(*, dealer_ids, first_day, last_day):
        return [
            (dealer_id, day, value)
            for (measure, dealer_id, day), value in FIGURE_DATA.items()
            if measure == code and dealer_id in dealer_ids and first_day <= day <= last_day
        ]

    return compute


def figure_data_set(dealer, day: date, **values) -> None:
    for code, value in values.items():
        FIGURE_DATA[(f"test_audit.{code}", dealer.id, day)] = value


@pytest.fixture
def test_figures():
    """Two scorable figures: a share where higher is better, a median of minutes where lower is better."""
    FIGURE_DATA.clear()
    kf.measure_register(
        kf.Measure("test_audit.within", kf.MeasureKind.COUNT, _reader("test_audit.within")),
        kf.Measure("test_audit.received", kf.MeasureKind.COUNT, _reader("test_audit.received")),
        kf.Measure("test_audit.minutes", kf.MeasureKind.VALUES, _reader("test_audit.minutes")),
    )
    kf.figure_register(
        kf.KeyFigure(
            code="test_audit.sla_share",
            owner="tests",
            label="Within the SLA",
            unit=kf.Unit.PERCENT,
            higher_is_better=True,
            definition="Within ÷ received.",
            measures=("test_audit.within", "test_audit.received"),
            combine=kf.ratio("test_audit.within", "test_audit.received"),
        ),
        kf.KeyFigure(
            code="test_audit.response_minutes",
            owner="tests",
            label="Median first response",
            unit=kf.Unit.MINUTES,
            higher_is_better=False,
            definition="Median of the minutes.",
            measures=("test_audit.minutes",),
            combine=kf.median_of("test_audit.minutes"),
        ),
        kf.KeyFigure(
            code="test_audit.leads_received",
            owner="tests",
            label="Leads received",
            unit=kf.Unit.COUNT,
            higher_is_better=True,
            definition="Context only.",
            measures=("test_audit.received",),
            combine=kf.total_of("test_audit.received"),
            is_scorable=False,
        ),
    )
    yield
    FIGURE_DATA.clear()


def as_user(user):
    return scoped(access_for(user).scope)


@pytest.fixture
def network():
    """East (dealers Home and Neighbour) and North (dealer Far); staff at Home, OEM staff over East, an OEM
    admin, and a regional manager over North only."""
    east, north = RegionFactory(code="east-audit"), RegionFactory(code="north-audit")
    home = DealerFactory(region=east, name="Home Motors")
    neighbour = DealerFactory(region=east, name="Neighbour Motors")
    far = DealerFactory(region=north, name="Far Motors")
    return {
        "east": east,
        "north": north,
        "home": home,
        "neighbour": neighbour,
        "far": far,
        "seller": staff(Role.SALESPERSON, dealer=home, username="home-seller"),
        "manager": staff(Role.SALES_MANAGER, dealer=home, username="home-manager"),
        "dealer_admin": staff(Role.DEALER_ADMIN, dealer=home, username="home-admin"),
        "neighbour_manager": staff(Role.SALES_MANAGER, dealer=neighbour, username="neighbour-manager"),
        "regional": staff(Role.REGIONAL_MANAGER, region=east, username="east-regional"),
        "north_regional": staff(Role.REGIONAL_MANAGER, region=north, username="north-regional"),
        "oem_admin": staff(Role.OEM_ADMIN, username="oem-admin"),
        "agent": staff(Role.CALL_CENTRE_AGENT, username="agent"),
    }


def dealers_state() -> tuple:
    """Everything this app's pages could write, to prove a refused request changed nothing."""
    with network_wide(reason="test check"):
        return (
            tuple(Scorecard.objects.order_by("id").values_list("id", "status", "version", "tier")),
            tuple(Audit.objects.order_by("id").values_list("id", "status", "score")),
            tuple(AuditResult.objects.order_by("id").values_list("id", "result", "note")),
            tuple(Finding.objects.order_by("id").values_list("id", "status", "due_on", "reopen_count", "owner_id")),
            FindingStep.objects.count(),
            Evidence.objects.count(),
            tuple(MysteryShop.objects.order_by("id").values_list("id", "is_logged", "is_followed_up")),
        )


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    settings.DEALERS_EVIDENCE_ROOT = tmp_path / "evidence"
    return settings.DEALERS_EVIDENCE_ROOT
