"""What every public endpoint with a source key shares (lead intake, appointment booking): the key, made here
and shown once, stored only as its sha256; and the fixed one-minute windows in the shared cache (Redis) that
limit each source as a whole and each caller of it."""

import hashlib
import secrets
import time

from django.conf import settings
from django.core.cache import cache

from crm.core.exceptions import PayloadTooLarge

MAX_KEY_LENGTH = 200
WINDOW_SECONDS = 60


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_new() -> tuple[str, str]:
    """A new key and its hash: store the hash, show the key once."""
    key = secrets.token_urlsafe(32)
    return key, key_hash(key)


def key_plausible(key: str | None) -> bool:
    """Whether a presented key is worth looking up (present, not absurdly long)."""
    return bool(key) and len(key) <= MAX_KEY_LENGTH


def client_ip(request) -> str:
    """The caller's address, as the limits count it. Behind AXES_PROXY_COUNT proxies (as for sign-in and the
    API's throttles), the address the outermost of them saw: X-Forwarded-For's entry that many from the
    right; the entries left of it are the caller's to forge. Without proxies, REMOTE_ADDR."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def body_size_check(request, limit: int) -> None:
    """PayloadTooLarge (413) when the caller declares a body over `limit` bytes, before it is read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(extra={"max_bytes": limit})


def limit_passed(*, name: str, source_id: int, client_ip: str, per_caller: int, per_source: int) -> int | None:
    """Counts this call in the current window; the seconds until the window ends if the caller or the source
    has now passed its limit, else None."""
    now = time.time()
    bucket = int(now // WINDOW_SECONDS)
    retry_after = max(1, int(WINDOW_SECONDS - now % WINDOW_SECONDS))
    limits = (
        (f"{name}:{source_id}:ip:{client_ip}:{bucket}", per_caller),
        (f"{name}:{source_id}:all:{bucket}", per_source),
    )
    for key, limit in limits:
        cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
            count = 1
        if count > limit:
            return retry_after
    return None
