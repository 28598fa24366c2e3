"""In a real browser: the Content-Security-Policy reports no violation on the key pages (the policy is
enforced, so a violation is a script, a style or a handler that did not run), and a dealer admin's first
sign-in goes through the two-factor enrolment with the QR code page before reaching anything else."""

import re

import pyotp
import pytest
from django.utils import timezone

from crm.network.models import Role, TwoFactorDevice
from tests.factories import PASSWORD, CustomerFactory, DealerFactory, RegionFactory, staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def watch_for_violations(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    page.on("pageerror", lambda error: violations.append(f"page error: {error}"))
    return violations


def sign_in_with_password(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click('form[action$="/login/"] button[type=submit]')
    page.wait_for_load_state("networkidle")


def test_key_pages_report_no_content_security_policy_violation(live_server, browser):
    region = RegionFactory()
    dealer = DealerFactory(region=region)
    for _ in range(5):
        CustomerFactory(dealer=dealer)
    pages = {
        staff(Role.SALESPERSON, dealer=dealer): ["/", "/customers/"],
        staff(Role.SALES_MANAGER, dealer=dealer): ["/", "/leads/dashboard/"],
        staff(Role.REGIONAL_MANAGER, region=region): ["/"],
        staff(Role.OEM_ADMIN): ["/", "/account/api-tokens/", "/account/two-factor/", "/api/docs/"],
    }
    seen = {}
    for user, paths in pages.items():
        page = browser.new_page()
        violations = watch_for_violations(page)
        sign_in_with_password(page, live_server.url, user)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}", wait_until="networkidle")
            assert response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            seen[f"{user.username} {page.url}"] = list(violations)
        page.close()
    assert not any(seen.values()), seen

    # The listener hears a violation when there is one: a script written into the page is refused.
    page = browser.new_page()
    violations = watch_for_violations(page)
    page.goto(f"{live_server.url}/login/", wait_until="networkidle")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }")
    page.wait_for_timeout(200)
    assert violations and page.evaluate("() => window.x") is None
    page.close()


def test_a_dealer_admins_first_sign_in_enrols_an_authenticator_app_then_asks_for_its_code(live_server, browser, settings):
    settings.TWO_FACTOR_REQUIRED_ROLES = [Role.DEALER_ADMIN]
    admin = staff(Role.DEALER_ADMIN, dealer=DealerFactory())
    page = browser.new_page(viewport={"width": 820, "height": 1180})
    violations = watch_for_violations(page)
    sign_in_with_password(page, live_server.url, admin)
    assert page.url.endswith("/account/two-factor/")
    assert page.locator(".two-factor-qr svg").is_visible()
    secret = page.locator("[data-secret]").inner_text().strip()
    page.goto(f"{live_server.url}/customers/")
    assert "/login/" in page.url, "nothing else is reachable before enrolment"
    page.go_back()
    page.goto(f"{live_server.url}/account/two-factor/")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_selector("[data-recovery-codes]")
    codes = re.findall(r"[a-z0-9]{5}-[a-z0-9]{5}", page.locator("[data-recovery-codes]").inner_text())
    assert len(codes) == 10
    page.click("text=I have saved them, continue")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url and "/account/two-factor/" not in page.url
    assert TwoFactorDevice.objects.filter(user=admin).exists()

    # The next sign-in asks for the code after the password (the next time step: each code is used once).
    page.context.clear_cookies()
    sign_in_with_password(page, live_server.url, admin)
    assert page.url.endswith("/login/code/")
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.generate_otp(totp.timecode(timezone.now()) + 1))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url
    assert not violations, violations
    page.close()
