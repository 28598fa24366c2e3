"""Showrooms work on weak links: every role's landing page, served as production serves it (gunicorn, the
Dockerfile's static build, compressed fingerprinted files), weighs at most 150 KB on an empty cache and 20 KB
when the browser comes back with a warm one. Bytes are what crossed the wire (Chromium's encoded lengths)."""

import pytest
from django.db import connections

from crm.network.models import Role
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import CustomerFactory, DealerFactory, RegionFactory, staff
from tests.messaging.peers import free_port, wait_for_port
from tests.production import HOST, gunicorn_command, production_env, session_cookie, start, stop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMPTY_CACHE_LIMIT = 150 * 1024
WARM_CACHE_LIMIT = 20 * 1024


def transferred(context, page, url: str) -> tuple[int, list[tuple[str, int]]]:
    """Bytes received while `url` loads to network idle, and the largest responses."""
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    urls, sizes = {}, {}
    session.on("Network.responseReceived", lambda event: urls.__setitem__(event["requestId"], event["response"]["url"]))
    session.on("Network.loadingFinished", lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]))
    page.goto(url, wait_until="networkidle")
    session.detach()
    largest = sorted(((urls.get(key, key), size) for key, size in sizes.items()), key=lambda item: -item[1])[:5]
    return sum(sizes.values()), largest


def test_every_landing_page_is_light_on_an_empty_cache_and_lighter_on_a_warm_one(tmp_path, production_static):
    region = RegionFactory()
    dealer = DealerFactory(region=region)
    for _ in range(30):
        CustomerFactory(dealer=dealer)
    users = {
        Role.SALESPERSON: staff(Role.SALESPERSON, dealer=dealer),
        Role.SALES_MANAGER: staff(Role.SALES_MANAGER, dealer=dealer),
        Role.SERVICE_ADVISOR: staff(Role.SERVICE_ADVISOR, dealer=dealer),
        Role.DEALER_ADMIN: staff(Role.DEALER_ADMIN, dealer=dealer),
        Role.CALL_CENTRE_AGENT: staff(Role.CALL_CENTRE_AGENT),
        Role.REGIONAL_MANAGER: staff(Role.REGIONAL_MANAGER, region=region),
        Role.OEM_ADMIN: staff(Role.OEM_ADMIN),
    }
    env = production_env(tmp_path, static_root=production_static)
    port = free_port()
    web = start(gunicorn_command(port), env)
    base = f"http://127.0.0.1:{port}"
    weights = {}
    try:
        wait_for_port("127.0.0.1", port, timeout=60, process=web)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for role, user in users.items():
                # Behind the TLS proxy production expects (no redirect to https), signed in, nothing cached yet.
                context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": HOST})
                context.add_cookies([{**session_cookie(user), "url": base}])
                page = context.new_page()
                page.goto(f"{base}/")
                landing = page.url
                assert "/login/" not in landing, f"{role} is signed in"
                context.close()
                context = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": HOST})
                context.add_cookies([{**session_cookie(user), "url": base}])
                page = context.new_page()
                cold, cold_largest = transferred(context, page, landing)
                warm, warm_largest = transferred(context, page, landing)
                weights[role] = (landing, cold, warm, cold_largest, warm_largest)
                context.close()
            browser.close()
    finally:
        stop(web)
        connections.close_all()  # those opened while Playwright's loop ran, or the database cannot be dropped
    report = "\n".join(
        f"{role}: {url} empty cache {cold / 1024:.1f} KB, warm {warm / 1024:.1f} KB; largest {largest}"
        for role, (url, cold, warm, largest, _warm_largest) in weights.items()
    )
    print(report)
    for role, (url, cold, warm, _largest, warm_largest) in weights.items():
        assert cold <= EMPTY_CACHE_LIMIT, f"{role} {url}: {cold} bytes on an empty cache\n{report}"
        assert warm <= WARM_CACHE_LIMIT, f"{role} {url}: {warm} bytes on a warm cache: {warm_largest}"
