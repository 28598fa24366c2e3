"""The Content-Security-Policy runs scripts from our static files only: every page carries the header, and
no page (nor any template) holds an inline script, an on* handler attribute or an hx-on attribute, which
the policy would block (or, for hx-on, which HTMX would have to eval)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from crm.network.models import Role
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# <script type="application/json"> (json_script, DRF's browsable API) is data: never run, so allowed.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
HANDLER = re.compile(r"^(on[a-z]+|hx-on.*|data-hx-on.*)$")


class InlineCode(HTMLParser):
    """Collects what the policy would refuse: inline scripts without a nonce, and handler attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        is_data = (attributes.get("type") or "").lower() in DATA_SCRIPT_TYPES
        if tag == "script" and "src" not in attributes and "nonce" not in attributes and not is_data:
            self.found.append(f"inline <script {attributes}>")
        self.found.extend(f"<{tag} {name}=…>" for name in attributes if HANDLER.match(name))
        href = (attributes.get("href") or "").strip().lower()
        if href.startswith("javascript:"):
            self.found.append(f"<{tag} href=javascript:…>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_locked_down(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    script_sources = re.search(r"script-src ([^;]*)", policy)
    assert script_sources, f"{where}: no script-src in {policy!r}"
    assert "unsafe-inline" not in script_sources.group(1) and "unsafe-eval" not in script_sources.group(1)
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert not inline_code(response.content.decode()), f"{where}: {inline_code(response.content.decode())}"


@pytest.fixture
def users():
    region = RegionFactory()
    dealer = DealerFactory(region=region)
    CustomerFactory(dealer=dealer)
    return {
        Role.SALESPERSON: staff(Role.SALESPERSON, dealer=dealer),
        Role.SALES_MANAGER: staff(Role.SALES_MANAGER, dealer=dealer),
        Role.SERVICE_ADVISOR: staff(Role.SERVICE_ADVISOR, dealer=dealer),
        Role.DEALER_ADMIN: staff(Role.DEALER_ADMIN, dealer=dealer),
        Role.CALL_CENTRE_AGENT: staff(Role.CALL_CENTRE_AGENT),
        Role.REGIONAL_MANAGER: staff(Role.REGIONAL_MANAGER, region=region),
        Role.OEM_ADMIN: staff(Role.OEM_ADMIN),
    }


def test_every_landing_page_carries_the_policy_and_no_inline_code(client, users):
    for role, user in users.items():
        client.force_login(user)
        response = client.get(reverse("home"), follow=True)
        assert response.status_code == 200, role
        assert_locked_down(response, f"{role} {response.request['PATH_INFO']}")
        for name in ("two_factor_enrol", "api_tokens"):
            page = client.get(reverse(name))
            if page.status_code == 200:
                assert_locked_down(page, f"{role} {name}")


def test_the_sign_in_pages_and_the_api_documentation_carry_the_policy_and_no_inline_code(client, users):
    assert_locked_down(client.get(reverse("login")), "sign-in")
    client.force_login(users[Role.OEM_ADMIN])
    for name in ("api-docs", "api-redoc"):
        assert_locked_down(client.get(reverse(name)), name)
    script = client.get(reverse("api-docs") + "?script")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")


def test_no_template_holds_an_inline_script_or_a_handler_attribute():
    offenders = []
    for template in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html"), *ROOT.glob("crm/*/templates/**/*.html")]:
        text = template.read_text()
        for found in inline_code(re.sub(r"{%.*?%}|{{.*?}}", "x", text, flags=re.DOTALL)):
            offenders.append(f"{template.relative_to(ROOT)}: {found}")
        if re.search(r"hx-trigger=\"[^\"]*\[", text):
            offenders.append(f"{template.relative_to(ROOT)}: an hx-trigger filter (HTMX evaluates it as code)")
    assert not offenders, "\n".join(offenders)
