"""Shared API plumbing: one error shape, keyset pagination, and optimistic concurrency via If-Match."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
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
        message, extra = "Invalid input.", {"fields": detail}
    elif isinstance(detail, dict) and "detail" in detail:
        message, extra = str(detail["detail"]), {}
    else:
        message, extra = str(detail), {}
    code = getattr(exc, "default_code", "error")
    if isinstance(getattr(exc, "detail", None), drf_exceptions.ErrorDetail):
        code = exc.detail.code or code
    response.data = {"message": message, "code": code, "extra": extra}
    return response
