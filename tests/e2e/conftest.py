import os

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test itself are
# still synchronous, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Debian's Chromium unless CHROMIUM points elsewhere (Playwright cannot download its own browser here).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # Connections opened while Playwright's loop ran live in its context: close them here, or the test
        # database cannot be dropped at the end of the session.
        connections.close_all()
    connections.close_all()


@pytest.fixture(autouse=True)
def _password_only_sign_in(settings):
    """The browser tests of other features sign their users in through the form with a password only (their
    dealer and OEM admins have no authenticator app). Two-factor sign-in has its own browser test
    (test_security.py), which turns the requirement back on; the other suites test it without a browser."""
    settings.TWO_FACTOR_REQUIRED_ROLES = []
