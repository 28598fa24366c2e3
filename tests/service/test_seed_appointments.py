"""The demo appointment books: loaded once through the services on top of the workshop demo, with a board that
shows every state an appointment can be in."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.core.scope import network_wide
from service.models import Appointment, AppointmentSource, ServiceBay

pytestmark = pytest.mark.django_db


def test_the_demo_appointment_books_load_once_with_every_state():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo_service", stdout=StringIO())
    out = StringIO()
    call_command("seed_demo_service_appointments", stdout=out)
    assert "X-Appointment-Source-Key" in out.getvalue()
    with network_wide(reason="test check"):
        statuses = set(Appointment.objects.filter(dealer__code="SH001").values_list("status", flat=True))
        assert {"booked", "checked_in", "no_show", "cancelled"} <= statuses
        assert Appointment.objects.filter(status="checked_in", repair_order__isnull=False).exists()
        assert Appointment.objects.filter(channel="online", language="en", source__code="demo-web-booking").count() == 1
        assert ServiceBay.objects.filter(dealer__code="SH001").count() == 4
        count = Appointment.objects.count()
    again = StringIO()
    call_command("seed_demo_service_appointments", stdout=again)
    assert "already loaded" in again.getvalue()
    with network_wide(reason="test check"):
        assert Appointment.objects.count() == count and AppointmentSource.objects.count() == 1


def test_an_oem_admin_creates_a_source_and_its_key_works_once_printed():
    from crm.core.scope import network_wide as everything
    from service.appointments import services

    out = StringIO()
    call_command("appointment_source_create", "oem-app", "OEM app", stdout=out)
    key = out.getvalue().split(": ", 1)[1].split()[0]
    with everything(reason="test check"):
        source = AppointmentSource.objects.get(code="oem-app")
    assert source.dealer_id is None and source.key_hash != key
    assert services.source_authenticate(key=key) == source
    with pytest.raises(CommandError, match="exists already"):
        call_command("appointment_source_create", "oem-app", "Again", stdout=StringIO())
