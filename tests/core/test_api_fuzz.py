"""Property-based calls to every API operation, generated from the OpenAPI schema the project serves
(schemathesis on hypothesis), as a salesperson, a sales manager, a regional manager and the OEM admin.

Each operation gets well-formed and malformed calls (valid and invalid values, missing fields, odd types,
forged cursors, far-off dates and offsets); path ids are mostly taken from a small world (so actions meet
real leads, orders and customers in several states, including an ungraded lead and a lead dated 1897),
sometimes left as generated (so unknown ids are tried too). Every answer must be below 500, with a status
code, content type, headers and body the schema documents for that operation.

Bounded and reproducible: a fixed number of calls per operation and mode (`API_FUZZ_EXAMPLES`, default
below), derandomized generation, no shrinking, no example database. About a minute on a 2-core machine.
"""

import collections
import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import api_token

pytestmark = [pytest.mark.django_db, pytest.mark.api_fuzz]

EXAMPLES_PER_OPERATION = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Values at and beyond the edges of what PostgreSQL and Python hold, and malformed ones: generators rarely
# build them, so one call in EDGE_EVERY puts one into a date or date-time parameter of the operation.
EDGE_VALUES = {
    "date-time": [
        "2026-01-01T00:00:00+16:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "1899-12-31T23:59:59Z",
        "2026-02-30T10:00:00Z",
    ],
    "date": ["0001-01-01", "9999-12-31", "1899-12-31", "2026-02-30"],
}
EDGE_EVERY = 3
# One call in this many keeps the generated id (unknown ids, 404) or source key (401) instead of the world's.
KEEP_GENERATED_EVERY = 8


class InProcessApp:
    """The project's WSGI application, called in the test's own transaction. Like Django's test client,
    it keeps the request signals from closing the connection the test's transaction lives on."""

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        # The schema is about the content; compression on the wire (GZipMiddleware) is not its business,
        # and schemathesis reads the body as it comes.
        environ["HTTP_ACCEPT_ENCODING"] = "identity"
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = list(response)
            response.close()
            return body
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def _ids_for(path: str, world: dict) -> list[int] | None:
    return next((ids for name, ids in world["ids"].items() if f"/{name}/" in path), None)


def _date_fields(raw: dict, path: str, method: str) -> list[tuple[str, str, str]]:
    """(where, name, format) of the operation's date and date-time query parameters and body fields."""
    operation = raw["paths"][path][method.lower()]
    fields = [
        ("query", parameter["name"], parameter["schema"].get("format"))
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    ]
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = raw["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    fields += [("body", name, field.get("format")) for name, field in body.get("properties", {}).items()]
    return [(where, name, kind) for where, name, kind in fields if kind in EDGE_VALUES]


def _fuzz_operation(operation, *, mode, world, token, calls, failures) -> None:
    ids = _ids_for(operation.path, world)
    date_fields = _date_fields(operation.schema.raw_schema, operation.path, operation.method)
    is_intake = operation.path.startswith("/api/intake/")

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.integers(0, 10_000))
    def call(case, pick):
        keep_generated = pick % KEEP_GENERATED_EVERY == 0
        if ids and "id" in (case.path_parameters or {}) and not keep_generated:
            case.path_parameters["id"] = ids[pick % len(ids)]
        if date_fields and pick % EDGE_EVERY == 1:
            where, name, kind = date_fields[pick % len(date_fields)]
            value = EDGE_VALUES[kind][pick // EDGE_EVERY % len(EDGE_VALUES[kind])]
            if where == "query":
                case.query = {**(case.query or {}), name: value}
            elif isinstance(case.body, dict):
                case.body = {**case.body, name: value}
        if is_intake:
            headers = {} if keep_generated else {"X-Lead-Source-Key": world["intake_key"]}
        else:
            headers = {"Authorization": f"Bearer {token}"}
        calls[operation.label] += 1
        response = case.call(headers=headers)
        try:
            case.validate_response(response, headers=headers, checks=CHECKS)
        except BaseExceptionGroup as group:
            for failure in group.exceptions:
                failures.append(
                    f"{operation.label} ({mode.value}): {str(failure).strip()}\n    {case.as_curl_command(headers=headers)}"
                )

    call()


@pytest.mark.parametrize("role", ["salesperson", "sales_manager", "regional_manager", "oem_admin"])
def test_every_generated_call_answers_below_500_and_as_the_schema_says(role, api_world):
    world = api_world
    app = InProcessApp()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app)
    token = api_token(world["users"][role])
    calls: collections.Counter = collections.Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 29
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            _fuzz_operation(operation, mode=mode, world=world, token=token, calls=calls, failures=failures)
    print(f"\n{role}: {sum(calls.values())} calls over {len(calls)} operations, {len(failures)} failures")
    assert set(calls) == {operation.label for operation in operations}
    assert not failures, "\n\n".join(failures[:20])
