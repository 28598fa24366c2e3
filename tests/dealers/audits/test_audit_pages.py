"""Audit, checklist and mystery-shop pages as the OEM uses them: write a checklist, publish it, audit a dealer
item by item with a photo, complete; record a mystery shop that the dealer never logged and open a finding."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.core.scope import network_wide
from dealers.models import Audit, AuditChecklist, Finding, MysteryShop

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_checklist_written_as_lines_is_checked_line_by_line(network):
    admin = client_for(network["oem_admin"])
    response = admin.post(
        reverse("dealers:checklist_new"),
        {"title": "Showroom", "items": "Showroom | Walk-ins logged | 3 | critical\nno separator here\nA | B | 500"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Line 2: give a category and a text" in body and "Line 3: a weight from 1 to 100" in body
    response = admin.post(
        reverse("dealers:checklist_new"),
        {"title": "Showroom", "items": "Showroom | Walk-ins logged | 3 | critical\nShowroom | Cars clean | evidence",
         "publish": "1"},
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        checklist = AuditChecklist.objects.get()
        items = list(checklist.items.values_list("text", "weight", "is_critical", "is_evidence_required"))
    assert checklist.status == "published"
    assert items == [("Walk-ins logged", 3, True, False), ("Cars clean", 1, False, True)]


def test_an_audit_is_recorded_item_by_item_and_completed(network):
    client_for(network["oem_admin"]).post(
        reverse("dealers:checklist_new"),
        {"title": "Showroom", "items": "Showroom | Walk-ins logged | 3 | critical\nShowroom | Cars clean | evidence",
         "publish": "1"},
    )
    regional = client_for(network["regional"])
    response = regional.post(
        reverse("dealers:audit_start"), {"dealer": network["home"].id, "visited_on": date.today().isoformat()}
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        audit = Audit.objects.get()
        item_ids = list(audit.results.order_by("item__position").values_list("item_id", flat=True))
    detail = reverse("dealers:audit_detail", args=[audit.id])
    assert b"Walk-ins logged" in regional.get(detail).content
    record = reverse("dealers:audit_record", args=[audit.id])
    first, second = item_ids
    assert regional.post(record, {"item": first, f"item-{first}-item": first, f"item-{first}-result": "fail",
                                  f"item-{first}-note": "2 of 6 logged"}).status_code == 302
    regional.post(reverse("dealers:audit_complete", args=[audit.id]))  # refused: an item has no result
    with network_wide(reason="test check"):
        assert Audit.objects.get().status == "in_progress"
    assert regional.post(record, {"item": second, f"item-{second}-item": second, f"item-{second}-result": "pass",
                                  f"item-{second}-files": SimpleUploadedFile("car.png", PNG)}).status_code == 302
    assert regional.post(reverse("dealers:audit_complete", args=[audit.id])).status_code == 302
    with network_wide(reason="test check"):
        audit = Audit.objects.get()
        assert (audit.status, audit.score) == ("completed", 25)
        assert Finding.objects.get().severity == "critical"
    # The dealer's manager reads the completed audit; it cannot record anything in it.
    manager = client_for(network["manager"])
    assert manager.get(detail).status_code == 200
    assert manager.post(record, {"item": first, f"item-{first}-item": first, f"item-{first}-result": "pass"}).status_code == 404


def test_a_mystery_shop_the_dealer_never_logged_opens_a_finding_from_its_page(network):
    regional = client_for(network["regional"])
    when = timezone.localtime() - timedelta(days=2)
    response = regional.post(
        reverse("dealers:shop_new"),
        {"dealer": network["home"].id, "kind": "visit", "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
         "shopper_phone": "139 2222 3333", "scenario": "Asks for an EV7 quote.", "observed": "Greeted quickly",
         "missed": "No test drive offered"},
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        shop = MysteryShop.objects.get()
    assert (shop.shopper_phone, shop.is_logged) == ("+8613922223333", False)
    page = regional.get(reverse("dealers:shop_detail", args=[shop.id]))
    assert b"Open a finding" in page.content
    response = regional.post(
        reverse("dealers:shop_finding", args=[shop.id]), {"due_on": (date.today() + timedelta(days=7)).isoformat()}
    )
    assert response.status_code == 302
    with network_wide(reason="test check"):
        finding = Finding.objects.get()
    assert finding.mystery_shop_id == shop.id
    # The dealer sees the finding (not the shop).
    manager = client_for(network["manager"])
    assert manager.get(reverse("dealers:finding_detail", args=[finding.id])).status_code == 200
    assert manager.get(reverse("dealers:shop_detail", args=[shop.id])).status_code == 404


def test_a_wrong_phone_is_explained_beside_the_field(network):
    response = client_for(network["regional"]).post(
        reverse("dealers:shop_new"),
        {"dealer": network["home"].id, "kind": "call", "occurred_at": "2026-11-02T10:00", "shopper_phone": "12",
         "scenario": "x"},
    )
    assert response.status_code == 200 and "is not a" in response.content.decode()
    with network_wide(reason="test check"):
        assert not MysteryShop.objects.exists()
