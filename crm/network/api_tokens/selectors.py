"""Reads of API tokens: a user's own list, and the token a key belongs to."""

from django.db.models import QuerySet
from django.utils import timezone

from crm.network.api_tokens.services import KEY_PREFIX, api_token_hash
from crm.network.models import ApiToken


def api_tokens_for_user(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (nobody sees another's, whatever their role)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_for_key(*, key: str) -> ApiToken | None:
    """The live token (not revoked, not expired, its user active) whose key is `key`, with its user."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)
        .first()
    )
