"""Writes of two-factor sign-in: turning it on, checking a code, new recovery codes, turning it off, an
admin's reset.

Guarantees:
- A secret becomes a device only after the app proved it reads it (a right code at enrolment).
- A time code is accepted once: the device remembers the last accepted time step and refuses that step
  and earlier ones (a replayed code fails).
- A recovery code is accepted once: it is marked used by one conditional UPDATE, so two requests racing
  with the same code cannot both pass.
- Wrong codes are counted on the device row, locked while counting; at TWO_FACTOR_FAILURE_LIMIT in a row
  codes are refused for TWO_FACTOR_LOCK_MINUTES. The count is committed even though the caller is told
  "wrong" by an exception.
- Plain recovery codes leave a service only as its return value, to be shown once; only hashes are kept.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.core.exceptions import NotFound
from crm.network.access import access_for
from crm.network.exceptions import (
    TwoFactorAlreadyOn,
    TwoFactorCodeWrong,
    TwoFactorLocked,
    TwoFactorNotOn,
    TwoFactorRequired,
)
from crm.network.models import RecoveryCode, TwoFactorDevice
from crm.network.permissions import can_reset_two_factor, two_factor_required

# The demo's authenticator key (seed_demo gives it to the demo users whose role requires a second factor;
# `manage.py demo_logins` prints it and the current codes). Demo data only, printed on purpose.
DEMO_SECRET = "DEMOCRMDEMOCRMDEMOCRMDEMOCRMDEMO"  # noqa: S105
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper
RECOVERY_CODE_LENGTH = 10  # ~49 random bits


@dataclass(frozen=True)
class Verified:
    """A code was right. `by_recovery_code`: a recovery code was used, `recovery_codes_left` remain."""

    by_recovery_code: bool = False
    recovery_codes_left: int = 0


def secret_new() -> str:
    """A fresh TOTP secret (160 bits, base32), for the enrolment page to show before it becomes a device."""
    return pyotp.random_base32()


def recovery_code_hash(code: str) -> str:
    return hashlib.sha256(_recovery_code_normalize(code).encode()).hexdigest()


def _recovery_code_normalize(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _is_time_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def _time_step_matching(secret: str, code: str, *, after: int) -> int | None:
    """The time step (now, or one either side for a clock a little off) whose code is `code`, if it is later
    than `after` (the last accepted step)."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(timezone.now())
    for step in (now - 1, now, now + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_codes_replace(user) -> list[str]:
    codes = [
        "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=recovery_code_hash(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


@transaction.atomic
def two_factor_enable(*, user, secret: str, code: str) -> list[str]:
    """Turn two-factor sign-in on with `secret` (shown on the enrolment page), once `code` proves the
    authenticator app reads it. Returns the recovery codes, plain, to be shown once.

    TwoFactorAlreadyOn when the user has a device; TwoFactorCodeWrong when the code does not match."""
    if TwoFactorDevice.objects.filter(user=user).exists():
        raise TwoFactorAlreadyOn()
    code = "".join(code.split())
    step = _time_step_matching(secret, code, after=0) if _is_time_code(code) else None
    if step is None:
        raise TwoFactorCodeWrong()
    TwoFactorDevice.objects.create(user=user, secret=secret, last_counter=step, last_used_at=timezone.now())
    return _recovery_codes_replace(user)


def two_factor_verify(*, user, code: str) -> Verified:
    """Check the second step of a sign-in (or a confirmation): a time code from the app or an unused
    recovery code. TwoFactorLocked while locked out; TwoFactorCodeWrong (the failure is counted and
    committed first) when neither matches; TwoFactorNotOn when the user has no device."""
    now = timezone.now()
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            raise TwoFactorNotOn()
        if device.locked_until and device.locked_until > now:
            raise TwoFactorLocked()
        code = "".join(code.split())
        verified = None
        if _is_time_code(code):
            step = _time_step_matching(device.secret, code, after=device.last_counter)
            if step is not None:
                device.last_counter = step
                verified = Verified()
        elif code:
            used = RecoveryCode.objects.filter(
                user=user, code_hash=recovery_code_hash(code), used_at__isnull=True
            ).update(used_at=now)
            if used:
                left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                verified = Verified(by_recovery_code=True, recovery_codes_left=left)
        if verified is not None:
            device.failure_count, device.locked_until, device.last_used_at = 0, None, now
            device.save(update_fields=["last_counter", "failure_count", "locked_until", "last_used_at"])
            return verified
        # The row is locked: counting here cannot lose a concurrent wrong guess.
        device.failure_count += 1
        locked = device.failure_count >= settings.TWO_FACTOR_FAILURE_LIMIT
        if locked:
            device.failure_count = 0
            device.locked_until = now + timedelta(minutes=settings.TWO_FACTOR_LOCK_MINUTES)
        device.save(update_fields=["failure_count", "locked_until"])
    raise TwoFactorLocked() if locked else TwoFactorCodeWrong()


def two_factor_recovery_codes_renew(*, user, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a right code. Returns them, plain, once."""
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        return _recovery_codes_replace(user)


def two_factor_disable(*, user, code: str) -> None:
    """Turn two-factor sign-in off, after a right code; refused (TwoFactorRequired) for a role that needs it."""
    if two_factor_required(access_for(user)):
        raise TwoFactorRequired()
    two_factor_verify(user=user, code=code)
    with transaction.atomic():
        TwoFactorDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()


@transaction.atomic
def two_factor_reset(*, by, user) -> None:
    """An admin switches off `user`'s second factor (a lost phone, no recovery code left): their next
    sign-in asks them to enrol again if their role requires it. NotFound when `by` may not (missing and
    forbidden look alike); TwoFactorNotOn when there is nothing to reset."""
    if not can_reset_two_factor(access_for(by), access_for(user)):
        raise NotFound()
    deleted, _ = TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    if not deleted:
        raise TwoFactorNotOn()


@transaction.atomic
def two_factor_demo_device_set(*, user, secret: str) -> TwoFactorDevice:
    """The demo's devices (seed_demo): a known secret, printed by `manage.py demo_logins`, so that whoever
    runs `make run` can sign in as an OEM or dealer admin. Never called outside the demo."""
    device, _created = TwoFactorDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "last_counter": 0, "failure_count": 0, "locked_until": None}
    )
    return device
