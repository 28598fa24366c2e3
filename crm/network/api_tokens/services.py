"""Writes of API tokens: make one, revoke one, note its use.

Guarantees: the plain key leaves `api_token_create` once, as its return value, and is never stored (only
its SHA-256; 256 random bits need no salt); a token acts as its maker, so its scope is the maker's (the
one access rule and row-level security apply as for the browser); a revoked or expired token stops
working at its next request.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.core.exceptions import NotFound, PermissionDenied
from crm.network.access import access_for
from crm.network.exceptions import ApiTokenLifeInvalid
from crm.network.models import ApiToken
from crm.network.permissions import can_manage_api_tokens

KEY_PREFIX = "crm_"
PREFIX_SHOWN = 12  # "crm_" and 8 characters: enough to tell one's keys apart, far too few to guess the rest
# A token's last use is written at most this often: one UPDATE per call would double the API's writes.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str, expires_in_days: int) -> tuple[ApiToken, str]:
    """A token for `user`, named `name`, valid for `expires_in_days` (1…API_TOKEN_MAX_DAYS). Returns the
    row and the plain key, which is shown once and never again. PermissionDenied for a role that may not
    make tokens (crm.network.permissions.can_manage_api_tokens)."""
    if not can_manage_api_tokens(access_for(user)):
        raise PermissionDenied()
    if not 1 <= expires_in_days <= settings.API_TOKEN_MAX_DAYS:
        raise ApiTokenLifeInvalid()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=" ".join(name.split())[:100],
        prefix=key[:PREFIX_SHOWN],
        key_hash=api_token_hash(key),
        expires_at=timezone.now() + timedelta(days=expires_in_days),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, by, token_id: int) -> ApiToken:
    """Revoke one of `by`'s own tokens (revoking twice keeps the first time). NotFound for anyone else's."""
    token = ApiToken.objects.select_for_update().filter(id=token_id, user=by).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_mark_used(*, token: ApiToken) -> None:
    """Note that `token` was just used (at most once a minute; one conditional UPDATE, no read)."""
    now = timezone.now()
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION), id=token.id).update(
        last_used_at=now
    )
