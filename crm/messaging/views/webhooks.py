"""Endpoints the outside world calls: the SMS gateway's delivery receipts and inbound replies and the
telephony provider's call records (each signed with its shared secret), and the unsubscribe link in
marketing emails (signed per message)."""

import hashlib
import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from crm.messaging.selectors.recipients import message_for_recipient
from crm.messaging.services.calls import RECORD_STATUSES, call_record_receive
from crm.messaging.services.links import unsubscribe_key
from crm.messaging.services.replies import receipt_record, reply_record, unsubscribe_record


def _signed_json(request: HttpRequest, secret: str | None = None) -> tuple[dict | None, JsonResponse | None]:
    secret = settings.SMS_WEBHOOK_SECRET if secret is None else secret
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
        return None, JsonResponse({"message": "bad signature", "code": "bad_signature"}, status=403)
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
    except ValueError as error:
        return None, JsonResponse({"message": f"invalid JSON: {error}", "code": "invalid_json"}, status=400)
    return payload, None


@csrf_exempt
@require_POST
def sms_receipt(request: HttpRequest) -> JsonResponse:
    payload, error = _signed_json(request)
    if error:
        return error
    status = str(payload.get("status", ""))
    if status not in {"delivered", "failed", "undelivered", "rejected", "expired"}:
        return JsonResponse({"message": f"unknown status {status!r}", "code": "invalid_status"}, status=400)
    matched = receipt_record(
        provider_message_id=str(payload.get("id", ""))[:120],
        idempotency_key=str(payload.get("client_ref", ""))[:160],
        status=status,
        error=str(payload.get("error", "")),
        recipient=str(payload.get("to", ""))[:64],
    )
    # 200 even when unmatched: a gateway retries non-2xx answers forever.
    return JsonResponse({"matched": matched})


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> JsonResponse:
    payload, error = _signed_json(request)
    if error:
        return error
    sender, body = str(payload.get("from", "")).strip(), str(payload.get("body", ""))
    if not sender:
        return JsonResponse({"message": "'from' is required", "code": "invalid_sender"}, status=400)
    reply = reply_record(sender=sender[:64], body=body, provider_message_id=str(payload.get("id", ""))[:120])
    return JsonResponse({"id": reply.id, "opt_out": reply.is_opt_out})


def _moment(value):
    """A provider's ISO 8601 time, or None when missing or unreadable (the call's request time stands in)."""
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


@csrf_exempt
@require_POST
def call_record(request: HttpRequest) -> JsonResponse:
    """The telephony provider's record of a finished call. A replay of a record already applied answers
    200 and changes nothing; an unknown call answers 200 too (a provider retries non-2xx forever)."""
    if not settings.TELEPHONY_WEBHOOK_SECRET:  # an empty key would let anyone sign: not configured, refused
        return JsonResponse({"message": "call records are not accepted", "code": "bad_signature"}, status=403)
    payload, error = _signed_json(request, settings.TELEPHONY_WEBHOOK_SECRET)
    if error:
        return error
    status = str(payload.get("status", ""))
    if status not in RECORD_STATUSES:
        return JsonResponse({"message": f"unknown status {status!r}", "code": "invalid_status"}, status=400)
    try:
        duration = int(payload.get("duration_seconds") or 0)
    except (TypeError, ValueError):
        return JsonResponse(
            {"message": "duration_seconds must be a whole number", "code": "invalid_duration"}, status=400
        )
    call, applied = call_record_receive(
        provider_call_id=str(payload.get("id", ""))[:120],
        client_ref=str(payload.get("client_ref", ""))[:160],
        status=status,
        caller=str(payload.get("from", ""))[:64],
        callee=str(payload.get("to", ""))[:64],
        duration_seconds=duration,
        started_at=_moment(payload.get("started_at")),
        ended_at=_moment(payload.get("ended_at")),
    )
    return JsonResponse({"matched": call is not None, "applied": applied})


def _page_language(request: HttpRequest, message) -> str:
    """The language the page asks for (?lang=), else the one the message was written in, else the browser's."""
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    if message is not None and message.language:
        return "zh-hans" if message.language.startswith("zh") else "en"
    return translation.get_language_from_request(request)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button (mail scanners follow links); POST unsubscribes. Mail clients'
    one-click unsubscribe (RFC 8058) POSTs "List-Unsubscribe=One-Click" to the same address. The page is
    the customer's, in their language, with nothing of the staff pages around it."""
    key = unsubscribe_key(token)
    message = message_for_recipient(idempotency_key=key) if key is not None else None
    language = _page_language(request, message)
    context = {
        "language": language,
        "sender_name": message.dealer.name if message is not None and message.dealer_id else "",
    }
    with translation.override(language):
        if message is None:
            response = render(request, "messaging/unsubscribe.html", context | {"invalid": True}, status=404)
        elif request.method == "POST":
            if unsubscribe_record(idempotency_key=key) is None:
                response = render(
                    request, "messaging/unsubscribe.html", context | {"invalid": True}, status=404
                )
            else:
                response = render(request, "messaging/unsubscribe.html", context | {"done": True})
        else:
            response = render(request, "messaging/unsubscribe.html", context | {"token": token})
    response["Content-Language"] = language
    return response
