"""Exports of the ranking and of a dealer's figures, and the OEM read log they and the dealer page write:
append-only in the database, visible to the dealer's own admins only."""

import io
from datetime import date

import openpyxl
import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction
from django.urls import reverse

from crm.core.scope import Scope, network_wide, scoped
from crm.network.models import Role
from dealers.models import OemRead
from dealers.selectors.figures import Period
from dealers.services import oem_reads_record
from tests.factories import staff

pytestmark = pytest.mark.django_db


def all_reads():
    with network_wide(reason="test: read log"):
        return list(OemRead.objects.order_by("id").values_list("dealer_id", "reader_id", "kind", "what"))


# --- Exports ------------------------------------------------------------------------------------------------


def test_ranking_exports_as_csv_with_the_heat_table_in_words(network, client_as):
    manager = network.users[Role.REGIONAL_MANAGER]
    response = client_as(manager).get(reverse("dealers:network_export"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert "Test order rate (percent)" in lines[0]
    # Worst first, as on the page; the judgement in words, the region's reference last.
    assert [line.split(",")[3] for line in lines[1:4]] == ["Bad Motors", "Middling Motors", "Good Motors"]
    assert "worse than region median" in lines[1]
    assert "Far Motors" not in text
    # One export, recorded once per dealer it holds.
    assert sorted(all_reads()) == sorted(
        (dealer.id, manager.id, OemRead.Kind.EXPORT, OemRead.Subject.RANKING_EXPORT)
        for dealer in (network.good, network.middling, network.bad)
    )


def test_ranking_exports_as_xlsx(network, client_as):
    response = client_as(network.users[Role.OEM_ADMIN]).get(
        reverse("dealers:network_export"), {"format": "xlsx", "region": network.east.id}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][3] == "Bad Motors" and rows[1][6] == 25.0


def test_dealer_figures_export_with_monthly_trend(network, client_as):
    manager = network.users[Role.REGIONAL_MANAGER]
    response = client_as(manager).get(
        reverse("dealers:dealer_export", args=[network.bad.id]), {"format": "xlsx"}
    )
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    by_figure = {row[0]: row for row in rows[1:]}
    assert by_figure["Test order rate"][2] == 25.0 and by_figure["Test lost rate"][2] == 50.0
    assert by_figure["Test leads received"][2] == 4
    assert len(rows[0]) == 7 + 6 + 1  # the figure columns, six months, the definition
    assert all_reads() == [(network.bad.id, manager.id, OemRead.Kind.EXPORT, OemRead.Subject.DEALER_EXPORT)]


def test_a_dealer_manager_exports_its_own_figures_without_other_dealers(network, client_as):
    response = client_as(network.users[Role.SALES_MANAGER]).get(reverse("dealers:own_export"), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and "Test order rate" in text and "worse than region median" in text
    assert not any(name in text for name in ("Good Motors", "Middling Motors", "Far Motors"))
    assert all_reads() == []  # a dealer reading its own figures is not an OEM read


def test_an_unknown_export_format_is_refused_and_not_logged(network, client_as):
    client = client_as(network.users[Role.REGIONAL_MANAGER])
    assert client.get(reverse("dealers:network_export"), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("dealers:dealer_export", args=[network.bad.id]), {"format": "pdf"}).status_code == 400
    assert all_reads() == []


def test_dealer_staff_cannot_export_oem_views(network, client_as):
    for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.DEALER_ADMIN):
        client = client_as(network.users[role])
        assert client.get(reverse("dealers:network_export")).status_code == 404
        assert client.get(reverse("dealers:dealer_export", args=[network.bad.id])).status_code == 404
    assert all_reads() == []


# --- The read log -------------------------------------------------------------------------------------------


def test_dealer_admin_sees_who_at_the_oem_read_its_data(network, client_as):
    manager = network.users[Role.REGIONAL_MANAGER]
    client = client_as(manager)
    client.get(reverse("dealers:dealer", args=[network.bad.id]))
    client.get(reverse("dealers:dealer", args=[network.good.id]))
    client.get(reverse("dealers:dealer_export", args=[network.bad.id]), {"format": "csv"})
    response = client_as(network.users[Role.DEALER_ADMIN]).get(reverse("dealers:oem_reads"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("region.east") == 2 or html.count(manager.first_name) == 2
    assert "The dealer&#x27;s figures page" in html and "The dealer&#x27;s figures (download)" in html
    assert response.context["page"].paginator.count == 2  # Good's read is not Bad's business


def test_only_the_dealers_admins_see_its_read_log(network, client_as):
    for role in (Role.SALESPERSON, Role.SALES_MANAGER, Role.SERVICE_ADVISOR, Role.REGIONAL_MANAGER, Role.OEM_ADMIN):
        assert client_as(network.users[role]).get(reverse("dealers:oem_reads")).status_code == 404, role


def test_the_read_log_of_another_dealer_is_invisible_in_the_database(network):
    reader = network.users[Role.OEM_ADMIN]
    with network_wide(reason="test arrange"):
        oem_reads_record(reader=reader, dealer_ids=[network.good.id, network.bad.id], kind="page", what="dealer_page")
    with scoped(Scope.dealers([network.bad.id])):
        assert list(OemRead.objects.values_list("dealer_id", flat=True)) == [network.bad.id]


def test_a_dealer_staffs_read_is_not_recorded(network):
    with scoped(Scope.dealers([network.bad.id])):
        assert oem_reads_record(
            reader=network.users[Role.SALES_MANAGER], dealer_ids=[network.bad.id], kind="page", what="dealer_page"
        ) == []
    assert all_reads() == []


def test_oem_staff_cannot_record_a_read_outside_their_scope(network):
    """A regional manager's transaction may not add a row about another region's dealer."""
    with scoped(Scope.dealers([network.bad.id])), pytest.raises(ProgrammingError), transaction.atomic():
        oem_reads_record(
            reader=network.users[Role.REGIONAL_MANAGER], dealer_ids=[network.far.id], kind="page", what="dealer_page"
        )


@pytest.mark.parametrize("statement", ["UPDATE dealers_oemread SET what = 'x'", "DELETE FROM dealers_oemread"])
def test_the_read_log_is_append_only_in_the_database(network, statement):
    with network_wide(reason="test arrange"):
        oem_reads_record(
            reader=network.users[Role.OEM_ADMIN], dealer_ids=[network.bad.id], kind="page", what="dealer_page",
            period=Period(date(2026, 1, 1), date(2026, 1, 31)),
        )
    before = all_reads()
    refused = pytest.raises((ProgrammingError, InternalError, IntegrityError))
    with network_wide(reason="test: tamper"), refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert all_reads() == before


def test_a_new_dealer_admin_sees_reads_made_before_they_joined(network, client_as):
    with network_wide(reason="test arrange"):
        oem_reads_record(reader=network.users[Role.OEM_ADMIN], dealer_ids=[network.bad.id], kind="page", what="dealer_page")
    admin = staff(Role.DEALER_ADMIN, dealer=network.bad)
    assert client_as(admin).get(reverse("dealers:oem_reads")).context["page"].paginator.count == 1
