import re
from io import StringIO

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.test import APIClient

from crm.core import api

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
    # Its start-up script is a file of its own (the Content-Security-Policy runs no inline script).
    script = APIClient().get("/api/docs/?script")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert '<script src="/api/docs/?script' in html
    references = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', html)
    assert references, html
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html, flags=re.IGNORECASE)
    for reference in references:
        assert reference.startswith("/"), reference
        if reference.startswith("/static/"):
            assert finders.find(reference.removeprefix("/static/")), f"missing static file {reference}"


# --- Every route, every serializer, every filterset -----------------------------------------------------


def _api_url_patterns(resolver=None, prefix: str = "") -> list[str]:
    """Every URL pattern the project serves under /api/ (public intake included), as written."""
    patterns = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            patterns += _api_url_patterns(entry, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            patterns.append(route)
    return patterns


def _with_ids(route: str, world: dict) -> str:
    if "<int:pk>" not in route:
        return "/" + route
    pool = next(ids for name, ids in world["ids"].items() if route.startswith(f"api/v1/{name}/"))
    return "/" + route.replace("<int:pk>", str(pool[0]))


@pytest.mark.parametrize("role", ["salesperson", "regional_manager", None])
def test_options_on_every_api_route_answers_json_below_500(api_world, role):
    client = APIClient()
    if role:
        client.force_authenticate(api_world["users"][role])
    routes = _api_url_patterns()
    assert len(routes) >= 20
    for route in routes:
        url = _with_ids(route, api_world)
        response = client.options(url)
        assert response.status_code < 500, (url, response.content)
        if not route.startswith(("api/schema/", "api/docs/", "api/redoc/")):
            assert response["Content-Type"].startswith("application/json"), (url, response["Content-Type"])


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here/", "/api/v1/leads/-5/", "/api/v1/customers/abc/timeline/", "/api/x"]
)
def test_an_unknown_api_url_is_a_json_404_in_the_error_shape(url):
    response = APIClient().get(url)
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found", "extra": {}}


def test_an_unknown_page_is_still_an_html_404():
    response = APIClient().get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


PROJECT_PACKAGES = {"crm", "leads", "service", "loyalty", "dealers"}


def _project_serializers() -> list[type]:
    seen, pending = [], [serializers.BaseSerializer]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__.split(".")[0] in PROJECT_PACKAGES:
                seen.append(subclass)
    return seen


def test_every_api_date_and_time_field_is_the_cores_plausible_utc_one():
    # DRF's own fields would accept year 1 or a +16:00 offset and answer in the server's zone, where a
    # record from before 1901 carries Asia/Shanghai's local mean time (+08:05:43).
    import crm.urls  # noqa: F401  (imports every API module)

    classes = _project_serializers()
    assert len(classes) > 20
    offenders = []
    for serializer_class in classes:
        if issubclass(serializer_class, serializers.ModelSerializer) and not hasattr(
            serializer_class, "Meta"
        ):
            continue  # an abstract base, such as crm.core.api.ModelSerializer
        try:
            fields = serializer_class().fields
        except TypeError:  # serializers that need arguments to exist are built by their users
            continue
        for name, field in fields.items():
            if type(field) in (serializers.DateTimeField, serializers.DateField):
                offenders.append(f"{serializer_class.__module__}.{serializer_class.__name__}.{name}")
    assert offenders == [], "use crm.core.api.DateTimeField / DateField (or crm.core.api.ModelSerializer)"


def test_every_api_filterset_checks_dates_in_the_shared_base():
    checked = []
    for route in _api_url_patterns():
        view = get_resolver().resolve("/" + route.replace("<int:pk>", "1")).func
        filterset_class = getattr(getattr(view, "view_class", None), "filterset_class", None)
        if filterset_class is not None:
            assert issubclass(filterset_class, api.FilterSet), filterset_class
            checked.append(filterset_class)
    assert len(checked) >= 3


def test_every_list_documents_a_bad_query_and_every_operation_the_answers_drf_gives_before_the_view(tmp_path):
    paths = _generate_schema(tmp_path)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if any(parameter["name"] == "cursor" for parameter in operation.get("parameters", [])):
                assert "400" in operation["responses"], (method, path)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "415" in operation["responses"], (method, path)


@pytest.mark.parametrize("escaped", ["a\\u0000b", "broken \\ud83d half"])
def test_text_that_cannot_be_stored_is_a_400_before_any_code_sees_it(escaped):
    from rest_framework.test import APIClient

    from crm.network.models import Role
    from tests.factories import DealerFactory, staff, web_lead

    dealer = DealerFactory()
    seller = staff(Role.SALESPERSON, dealer=dealer)
    lead = web_lead(dealer, owner=seller)
    api = APIClient()
    api.force_authenticate(seller)
    # As a client sends them: JSON escapes a NUL character and an unpaired surrogate.
    body = '{"model": "A6", "list_price": "10", "add_ons": [{"name": "' + escaped + '"}]}'
    response = api.post(f"/api/v1/leads/{lead.id}/orders/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
