"""Shared API plumbing: one error shape, keyset pagination, optimistic concurrency via If-Match, and the
date and time fields and filters every API uses, so no request can carry a time PostgreSQL or Python
cannot hold and no response carries a historical local-mean-time offset."""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import ISO_8601, parsers, serializers
from rest_framework import exceptions as drf_exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import CursorPagination
from rest_framework.request import clone_request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from crm.core.exceptions import ApplicationError

# --- Plausible dates and times ---------------------------------------------------------------------------

# Nothing a dealer CRM records happened before 1900 or after 2099: a birthday, a visit, an order, a filter
# bound. Outside this window a value is a typo or a probe (year 1, year 9999), and near the ends of what
# Python and PostgreSQL hold it breaks them (an offset pushes year 1 into year 0). Business rules narrow it
# further in the services (a visit not in the future, a contact not before the lead arrived).
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2099, 12, 31)
EARLIEST_TIME = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
LATEST_TIME = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)
# Real time zones lie between UTC-12:00 and UTC+14:00; PostgreSQL refuses offsets from 16 hours on.
MAX_UTC_OFFSET = datetime.timedelta(hours=14)

OUT_OF_RANGE_DATE = _("Enter a date between 1900-01-01 and 2099-12-31.")
OUT_OF_RANGE_TIME = _("Enter a time between 1900 and 2099.")
BAD_OFFSET = _("The time zone offset must lie between -14:00 and +14:00.")


def implausible_because(value) -> str | None:
    """Why a parsed date, time or range of them is not one this system can hold; None when it can."""
    if isinstance(value, slice):
        return implausible_because(value.start) or implausible_because(value.stop)
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            return str(BAD_OFFSET)
        # Aware values compare as instants (no conversion, so no overflow near year 1 or 9999).
        aware = value if offset is not None else value.replace(tzinfo=datetime.UTC)
        if not EARLIEST_TIME <= aware < LATEST_TIME:
            return str(OUT_OF_RANGE_TIME)
        return None
    if isinstance(value, datetime.date) and not EARLIEST_DATE <= value <= LATEST_DATE:
        return str(OUT_OF_RANGE_DATE)
    return None


class DateTimeField(serializers.DateTimeField):
    """DRF's date-time, refusing offsets no time zone has and times outside 1900-2099 (400, beside the
    field), and rendering in UTC ("…Z"): a time zone's local mean time (Asia/Shanghai before 1901 was
    +08:05:43) is no valid RFC 3339 offset, and clients convert to their own zone anyway. Naive input is
    read in the server's time zone, as DRF does."""

    default_error_messages = {"implausible": "{reason}"}

    def enforce_timezone(self, value):
        reason = implausible_because(value)
        if reason:
            self.fail("implausible", reason=reason)
        return super().enforce_timezone(value)

    def to_representation(self, value):
        if not isinstance(value, datetime.datetime) or timezone.is_naive(value):
            return super().to_representation(value)
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        value = value.astimezone(datetime.UTC)
        if output_format is None:
            return value
        if output_format.lower() == ISO_8601:
            return value.isoformat().removesuffix("+00:00") + "Z"
        return value.strftime(output_format)


class DateField(serializers.DateField):
    """DRF's date, refusing dates outside 1900-2099 (400, beside the field)."""

    default_error_messages = {"implausible": "{reason}"}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        reason = implausible_because(parsed)
        if reason:
            self.fail("implausible", reason=reason)
        return parsed


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A read choice whose model stores "not set" as a blank string (an ungraded lead): answered as null,
    so the value is always one of the schema's enum or null, never an empty string the enum forbids."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class ModelSerializer(serializers.ModelSerializer):
    """The base of every API model serializer: its model dates and times use the fields above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.DateField: DateField,
    }


# --- Filters -----------------------------------------------------------------------------------------------


class _PlausibleTimesForm(forms.Form):
    """Checks every cleaned filter value that is a date, a time or a range of them, whatever filter class
    produced it, and hands times on in UTC so PostgreSQL never sees an offset it refuses."""

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            reason = implausible_because(value)
            if reason:
                self.add_error(name, reason)
            elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
                cleaned[name] = value.astimezone(datetime.UTC)
        return cleaned


class FilterSet(django_filters.FilterSet):
    """The base of every API filterset: date and time parameters are checked here, once, for all
    filters; a bad value is a 400 naming the parameter."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (_PlausibleTimesForm, form_class), {})


# --- Pagination --------------------------------------------------------------------------------------------


class IdCursorPagination(CursorPagination):
    """Keyset pagination on the primary key: page 10,000 costs what page 1 costs, and no COUNT(*) runs.
    A cursor that is not one we issued is a 400 naming `cursor`."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _("Invalid cursor: use the next or previous link of a page.")

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except drf_exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or self._position_is_valid(cursor.position)
        if not valid:
            raise drf_exceptions.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}, code="invalid_cursor"
            )
        return cursor

    def _position_is_valid(self, position: str) -> bool:
        # The position goes into a WHERE clause: it must be a value of the ordering field, and a time
        # PostgreSQL accepts (a forged cursor could carry any text).
        field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            return False
        return implausible_because(value) is None


class ErrorSerializer(serializers.Serializer):
    """The one error shape every API answer uses (documentation only: the exception handler writes it)."""

    message = serializers.CharField()
    code = serializers.CharField()
    extra = serializers.DictField()


# A list's filters or cursor can be wrong: every list documents this answer.
QUERY_ERRORS = {
    400: OpenApiResponse(
        ErrorSerializer, description=_("A query parameter is invalid (named in extra.fields)")
    )
}


def document_generic_errors(result, generator, request, public):
    """drf-spectacular post-processing: answers DRF gives before any view code runs, documented once here
    instead of on each view, in the error shape: 401 wherever a signed-in caller is needed (no token, or a
    wrong one), 415 wherever a body is read (a media type, or a form encoding, DRF cannot parse)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("security"):
                operation["responses"].setdefault(
                    "401", {"description": str(_("Not signed in: send a valid token or session")), "content": error}
                )
            if "requestBody" in operation:
                operation["responses"].setdefault(
                    "415", {"description": str(_("Unsupported or unreadable body encoding")), "content": error}
                )
    return result


def exception_handler(exc, context):
    """Render every error as {"message", "code", "extra"}."""
    # Imported here: rest_framework.views reads DEFAULT_METADATA_CLASS (this module) when it loads.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ApplicationError):
        extra = exc.extra
        if exc.field and "fields" not in extra:
            # An error about one input names it as a validation error does, so a client can show it there.
            extra = {**extra, "fields": {exc.field: [str(exc.message)]}}
        return Response({"message": str(exc.message), "code": exc.code, "extra": extra}, status=exc.status)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = _field_errors(detail)
        names = [name for name in fields if name != "non_field_errors"]
        message = (
            _("Invalid input: %(names)s.") % {"names": ", ".join(names)} if names else _("Invalid input.")
        )
        message, extra = str(message), {"fields": fields}
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


class Metadata(SimpleMetadata):
    """OPTIONS on every API view. DRF's own describes each writable method by instantiating the view's
    serializer, and fails (500) for an action that takes no input (no serializer) or when the object is
    ours to hide (our NotFound is not DRF's Http404): both just describe no fields."""

    def determine_actions(self, request, view):
        actions = {}
        for method in sorted({"PUT", "POST"} & set(view.allowed_methods)):
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                if method == "PUT" and hasattr(view, "get_object"):
                    view.get_object()
                if view.get_serializer_class() is not None:
                    actions[method] = self.get_serializer_info(view.get_serializer())
            except (drf_exceptions.APIException, DjangoPermissionDenied, Http404, ApplicationError):
                pass
            finally:
                view.request = request
        return actions


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


# --- Request bodies ----------------------------------------------------------------------------------------

# PostgreSQL stores no NUL character, and UTF-8 cannot carry an unpaired surrogate: text holding either could
# reach the database only to fail there, so the parsers refuse it whole, before any code sees it.
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def _refuse_unstorable_text(value) -> None:
    if isinstance(value, str):
        if _UNSTORABLE_TEXT.search(value):
            raise drf_exceptions.ParseError(
                _("The text holds a NUL character or an unpaired surrogate, which cannot be stored.")
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_unstorable_text(key)
            _refuse_unstorable_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_unstorable_text(item)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_text(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_text(dict(data.lists()))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_unstorable_text(dict(parsed.data.lists()))
        return parsed
