"""The product's own error pages, in the reader's language: never Django's debug pages."""

import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_raising")]


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    ("language", "text"), [("en", "Something went wrong on our side."), ("zh-hans", "服务器出错了")]
)
def test_a_server_error_shows_the_products_page_in_the_readers_language(anonymous, language, text):
    response = anonymous.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    page = response.content.decode()
    assert text in page and "Traceback" not in page and "RuntimeError" not in page
    assert "favicon" in page


@override_settings(DEBUG=False)
def test_a_server_error_under_the_api_answers_json(anonymous):
    response = anonymous.get("/api/boom/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_the_favicon_is_served_where_browsers_look(anonymous):
    response = anonymous.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")
