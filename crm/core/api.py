"""Shared API plumbing: one error shape, keyset pagination, and optimistic concurrency via If-Match."""

import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm.core.exceptions import ApplicationError


class IdCursorPagination(CursorPagination):
    """Keyset pagination on the primary key: page 10,000 costs what page 1 costs, and no COUNT(*) runs."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ErrorSerializer(serializers.Serializer):
    """The one error shape every API answer uses (documentation only: the exception handler writes it)."""

    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField()


def exception_handler(exc, context):
    """Render every error as {"message", "code", "extra"}."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"message": str(exc.message), "code": exc.code, "extra": exc.extra}, status=exc.status
        )
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, drf_exceptions.ValidationError):
        message, extra = str(_("Invalid input.")), {"fields": _field_errors(detail)}
    elif isinstance(detail, dict) and "detail" in detail:
        message, extra = str(detail["detail"]), {}
    else:
        message, extra = str(detail), {}
    code = getattr(exc, "default_code", "error")
    if isinstance(getattr(exc, "detail", None), drf_exceptions.ErrorDetail):
        code = exc.detail.code or code
    response.data = {"message": message, "code": code, "extra": extra}
    return response


def _field_errors(detail):
    """Field errors keyed by field; errors not about one field (a bare list) go under non_field_errors."""
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


# --- Optimistic concurrency -----------------------------------------------------------------------------


class PreconditionFailed(ApplicationError):
    code = "precondition_failed"
    status = 412
    default_message = _("The record changed since you read it (its version no longer matches). Reload it.")


class PreconditionRequired(ApplicationError):
    code = "precondition_required"
    status = 428
    default_message = _(
        "If-Match required: send the ETag (version) you read, or the version in the request body."
    )


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')


def etag_for(version: int) -> str:
    """The ETag of a versioned record: its version, quoted as HTTP wants it."""
    return f'"{int(version)}"'


def expected_version(request, *, body_version: int | None = None) -> int:
    """The version the caller says it read: the If-Match header (quoted or not, weak or strong), else
    `version` from the body. Neither → PreconditionRequired (428); a header that names no version (such as
    `*`, which would skip the check, or a list) → PreconditionFailed (412)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        if body_version is None:
            raise PreconditionRequired()
        return int(body_version)
    match = _ETAG.match(header)
    if match is None:
        raise PreconditionFailed(_("If-Match must carry exactly one ETag: the version you read."))
    return int(match.group(1))
