"""Nothing a user can send produces a server error: the pages that read query parameters, given what people
(and scanners) really send — NUL characters, absurd dates, junk ids, huge strings — answer 200, 400 or 404."""

import pytest

from crm.network.models import Role
from tests.factories import DealerFactory, staff, web_lead

pytestmark = pytest.mark.django_db

HOSTILE_URLS = [
    "/customers/?q=%00",
    "/customers/?q=%00abc",
    "/customers/?q=%27%22%5C%25_",
    "/customers/?q=" + "a" * 3000,
    "/customers/?q=%ED%A0%80",
    "/leads/?owner=%00",
    "/leads/?owner=999999",
    "/leads/?page=-1",
    "/leads/?page=abc",
    "/leads/?grade=ZZ",
    "/leads/?source=abc",
    "/leads/?acceptance=nonsense",
    "/leads/visits/lookup/?phone=%00123456789",
    "/leads/visits/new/?dealer=99999",
    "/leads/team/?dealer=abc",
    "/leads/dashboard/?arrived_from=%00",
    "/leads/dashboard/?arrived_from=xyz",
    "/leads/dashboard/?arrived_to=2026-13-45",
    "/leads/dashboard/?arrived_from=0001-01-01&arrived_to=9999-12-31",
    "/leads/dashboard/?source=abc",
    "/leads/dashboard/?salesperson=abc&dealer=zz",
    "/leads/dashboard/?period=custom",
    "/leads/dashboard/export/?format=pdf",
    "/leads/call-centre/dealers/?city=%00",
    "/leads/call-centre/lookup/?phone=%00139",
    "/messaging/campaigns/?status=zz&page=-3",
    "/api/v1/customers/?search=%00",
    "/api/v1/leads/?arrived_since=%00",
]


@pytest.mark.parametrize(
    "role", [Role.SALESPERSON, Role.SALES_MANAGER, Role.CALL_CENTRE_AGENT, Role.OEM_ADMIN]
)
def test_hostile_query_parameters_never_make_a_server_error(client, role):
    dealer = DealerFactory()
    user = staff(role, dealer=dealer if role in (Role.SALESPERSON, Role.SALES_MANAGER) else None)
    web_lead(dealer, phone="+8613900001234")
    client.force_login(user)
    failures = []
    for url in HOSTILE_URLS:
        try:
            status = client.get(url).status_code
        except Exception as error:  # noqa: BLE001 - every failure is collected and reported at once
            failures.append((url, type(error).__name__, str(error)[:120]))
            continue
        if status >= 500:
            failures.append((url, status))
    assert failures == []
