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
