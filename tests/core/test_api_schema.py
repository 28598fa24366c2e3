import re
from io import StringIO

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _generate_schema(tmp_path) -> dict:
    """What `manage.py spectacular --validate --fail-on-warn` does: any warning or error fails."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=StringIO())
    return yaml.safe_load(target.read_text())


def _api_routes(resolver=None, prefix: str = "") -> list[str]:
    """Every route the project serves under /api/v1/, as OpenAPI paths ("{id}" for an int pk)."""
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _api_routes(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/v1/"):
            routes.append("/" + re.sub(r"<int:pk>", "{id}", route))
    return routes


def test_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    schema = _generate_schema(tmp_path)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Dealer CRM API"


def test_every_api_endpoint_and_method_is_in_the_schema(tmp_path):
    paths = _generate_schema(tmp_path)["paths"]
    routes = _api_routes()
    assert routes and set(routes) <= set(paths)
    assert set(paths["/api/v1/customers/"]) == {"get", "post"}
    assert set(paths["/api/v1/customers/{id}/"]) == {"get", "put", "patch"}
    assert set(paths["/api/v1/customers/{id}/timeline/"]) == {"get"}
    assert set(paths["/api/v1/vehicles/{id}/"]) == {"get", "patch"}
    patch = paths["/api/v1/customers/{id}/"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    list_parameters = {p["name"] for p in paths["/api/v1/customers/"]["get"]["parameters"]}
    assert list_parameters == {"cursor", "page_size", "q", "city", "kind", "updated_since", "ordering"}


def test_schema_endpoint_serves_the_openapi_document():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/customers/" in response.json()["paths"]


def test_swagger_ui_loads_only_local_static_files():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SwaggerUIBundle" in html
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert references, html
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html, flags=re.IGNORECASE)
    for reference in references:
        assert reference.startswith("/"), reference
        if reference.startswith("/static/"):
            assert finders.find(reference.removeprefix("/static/")), f"missing static file {reference}"
