"""The list-import pages: upload, preview and column mapping, every row checked, import, result. Who may use
them, that nothing is written before the user confirms, that a failed import stores nothing, that the pages
stay the same size in queries however long the list is."""

import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.core.exceptions import ApplicationError
from crm.core.scope import network_wide
from crm.customers.models import Customer
from crm.network.models import Role
from crm.timeline.models import TimelineEvent
from leads.imports import services as imports
from leads.models import Lead
from leads.services import lead_source_create
from tests.factories import DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db

CSV = "姓名,手机,车型\n张三,13912345678,S7\n李四,12,S7\n王五,13812345678,S5\n"


@pytest.fixture
def shop():
    region = RegionFactory(code="east")
    dealer = DealerFactory(name="Pudong Aurora 4S", region=region)
    other = DealerFactory(name="Hangzhou Star 4S", region=region)
    with network_wide(reason="test arrange"):
        source, _key = lead_source_create(
            code=f"expo-{dealer.code}", name="Auto Expo", channel="event", dealer=dealer
        )
        foreign_source, _key = lead_source_create(
            code=f"fair-{other.code}", name="Other fair", channel="event", dealer=other
        )
    return {
        "dealer": dealer,
        "other": other,
        "source": source,
        "foreign_source": foreign_source,
        "manager": staff(Role.SALES_MANAGER, dealer=dealer, username="manager"),
        "seller": staff(Role.SALESPERSON, dealer=dealer, username="seller"),
        "regional": staff(Role.REGIONAL_MANAGER, region=region, username="regional"),
    }


def database_state() -> tuple:
    with network_wide(reason="test check"):
        return (
            sorted(Lead.objects.values_list("id", "stage", "grade", "version")),
            Customer.objects.count(),
            TimelineEvent.objects.count(),
        )


def csv_file(text: str = CSV, name: str = "车展名单.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("gb18030"), content_type="text/csv")


def upload(client, shop, *, text: str = CSV, source=None) -> str:
    response = client.post(
        reverse("leads_imports:upload"),
        {"file": csv_file(text), "dealer": shop["dealer"].id, "source": (source or shop["source"]).id},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return re.search(r"/leads/imports/([^/]+)/$", response["Location"]).group(1)


def map_columns(client, token: str, mapping: dict) -> None:
    response = client.post(reverse("leads_imports:preview", args=[token]), mapping)
    assert response.status_code == 302
    assert response["Location"] == reverse("leads_imports:confirm", args=[token])


def suggested(response) -> dict:
    form = response.context["form"]
    return {name: form[name].value() for name in ("name", "phone", "model", "email")}


def test_a_sales_manager_imports_the_valid_rows_of_a_gb18030_list(
    client, shop, django_capture_on_commit_callbacks
):
    client.force_login(shop["manager"])
    page = client.get(reverse("leads_imports:upload"))
    assert page.status_code == 200
    assert "Auto Expo" in page.content.decode() and "Other fair" not in page.content.decode()

    token = upload(client, shop)
    preview = client.get(reverse("leads_imports:preview", args=[token]))
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "GB18030" in body and "张三" in body and "车展名单.csv" in body
    assert suggested(preview) == {"name": "0", "phone": "1", "model": "2", "email": ""}
    assert database_state()[0] == []

    map_columns(client, token, {"name": 0, "phone": 1, "model": 2})
    checked = client.get(reverse("leads_imports:confirm", args=[token]))
    assert checked.status_code == 200
    assert (checked.context["valid_count"], checked.context["invalid_count"]) == (2, 1)
    [(line, field, value, message, _check)] = checked.context["problems"]
    assert (line, str(field), value) == (3, "Mobile phone", "12")  # the header is row 1, 李四 row 3
    assert "Import the 2 valid rows" in checked.content.decode()
    assert database_state()[0] == []  # nothing written before the user confirms

    errors = client.get(reverse("leads_imports:errors_csv", args=[token]))
    assert errors["Content-Type"].startswith("text/csv")
    assert "李四" in errors.content.decode("utf-8-sig")

    with django_capture_on_commit_callbacks(execute=True):
        imported = client.post(reverse("leads_imports:confirm", args=[token]))
    assert imported.status_code == 302 and imported["Location"] == reverse("leads_imports:done", args=[token])
    with network_wide(reason="test check"):
        leads = list(Lead.objects.select_related("customer", "source").order_by("id"))
    assert [(lead.customer.name, lead.source_id, lead.models_of_interest) for lead in leads] == [
        ("张三", shop["source"].id, ["S7"]),
        ("王五", shop["source"].id, ["S5"]),
    ]
    done = client.get(reverse("leads_imports:done", args=[token]))
    assert (done.context["created_count"], done.context["attached_count"], done.context["skipped_count"]) == (
        2,
        0,
        1,
    )
    assert f"/leads/{leads[0].id}/" in done.content.decode()
    report = client.get(reverse("leads_imports:results_csv", args=[token])).content.decode("utf-8-sig")
    assert "王五" in report and "'+8613812345678" in report

    # Confirming again (a double click, the back button) imports nothing twice.
    again = client.post(reverse("leads_imports:confirm", args=[token]))
    assert again.status_code == 302
    assert len(database_state()[0]) == 2


@pytest.mark.parametrize("role", ["seller", "regional"])
def test_salespeople_and_regional_managers_get_404_and_change_nothing(client, shop, role):
    manager = client.__class__()
    manager.force_login(shop["manager"])
    token = upload(manager, shop)
    map_columns(manager, token, {"name": 0, "phone": 1})
    before = database_state()
    client.force_login(shop[role])
    assert client.get(reverse("leads_imports:upload")).status_code == 404
    posted = client.post(
        reverse("leads_imports:upload"),
        {"file": csv_file(), "dealer": shop["dealer"].id, "source": shop["source"].id},
    )
    assert posted.status_code == 404
    for name in ("preview", "confirm", "done", "errors_csv", "results_csv"):
        assert client.get(reverse(f"leads_imports:{name}", args=[token])).status_code == 404
    assert client.post(reverse("leads_imports:confirm", args=[token])).status_code == 404
    assert database_state() == before


def test_another_dealers_source_is_refused(client, shop):
    client.force_login(shop["manager"])
    before = database_state()
    response = client.post(
        reverse("leads_imports:upload"),
        {"file": csv_file(), "dealer": shop["dealer"].id, "source": shop["foreign_source"].id},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["source"]
    # Nor can a manager pick a dealer they do not manage.
    response = client.post(
        reverse("leads_imports:upload"),
        {"file": csv_file(), "dealer": shop["other"].id, "source": shop["source"].id},
    )
    assert response.status_code == 200 and response.context["form"].errors["dealer"]
    assert database_state() == before


def test_another_users_token_is_404(client, shop):
    owner = client.__class__()
    owner.force_login(shop["manager"])
    token = upload(owner, shop)
    map_columns(owner, token, {"name": 0, "phone": 1})
    before = database_state()
    colleague = staff(Role.SALES_MANAGER, dealer=shop["dealer"], username="colleague")
    client.force_login(colleague)
    for name in ("preview", "confirm", "errors_csv"):
        assert client.get(reverse(f"leads_imports:{name}", args=[token])).status_code == 404
    assert client.post(reverse("leads_imports:confirm", args=[token])).status_code == 404
    assert client.get(reverse("leads_imports:preview", args=["made-up-token"])).status_code == 404
    assert database_state() == before


def test_a_column_maps_to_one_field_only_and_name_and_phone_are_required(client, shop):
    client.force_login(shop["manager"])
    token = upload(client, shop)
    response = client.post(reverse("leads_imports:preview", args=[token]), {"name": 0, "phone": 0})
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    response = client.post(reverse("leads_imports:preview", args=[token]), {"name": 0})
    assert response.context["form"].errors["phone"]


def test_unreadable_files_show_the_readers_message_in_the_form(client, shop):
    client.force_login(shop["manager"])
    response = client.post(
        reverse("leads_imports:upload"),
        {
            "file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
            "dealer": shop["dealer"].id,
            "source": shop["source"].id,
        },
    )
    assert response.status_code == 200
    assert ".xlsx" in " ".join(response.context["form"].errors["file"])


def test_a_failure_mid_import_stores_nothing_and_says_so(client, shop, django_capture_on_commit_callbacks):
    client.force_login(shop["manager"])
    token = upload(client, shop)
    map_columns(client, token, {"name": 0, "phone": 1})
    before = database_state()
    real, calls = imports.lead_capture, []

    def fail_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ApplicationError("The customer record is locked.")
        return real(**kwargs)

    with mock.patch.object(imports, "lead_capture", side_effect=fail_second):
        response = client.post(reverse("leads_imports:confirm", args=[token]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported." in body and "The customer record is locked." in body
    assert database_state() == before
    # The user can try again at once.
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("leads_imports:confirm", args=[token])).status_code == 302
    assert len(database_state()[0]) == 2


def page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_counts_do_not_grow_with_rows(client, shop, django_capture_on_commit_callbacks):
    client.force_login(shop["manager"])
    counts = []
    for size in (3, 120):
        text = "姓名,手机\n" + "".join(f"客户{i},1390000{i:04d}\n" for i in range(size)) + "坏行,12\n"
        token = upload(client, shop, text=text)
        preview = page_queries(client, reverse("leads_imports:preview", args=[token]))
        map_columns(client, token, {"name": 0, "phone": 1})
        confirm = page_queries(client, reverse("leads_imports:confirm", args=[token]))
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse("leads_imports:confirm", args=[token])).status_code == 302
        done = page_queries(client, reverse("leads_imports:done", args=[token]))
        counts.append((page_queries(client, reverse("leads_imports:upload")), preview, confirm, done))
    assert counts[0] == counts[1]
    assert max(counts[1]) <= 12
