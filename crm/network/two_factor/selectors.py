"""Reads of two-factor sign-in: what a sign-in asks after the password, a user's status, and the picture
an authenticator app scans."""

from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from django.conf import settings

from crm.network.access import access_for
from crm.network.models import RecoveryCode, TwoFactorDevice
from crm.network.permissions import two_factor_required

VERIFY = "verify"
ENROL = "enrol"


def sign_in_step(*, user) -> str | None:
    """After a right password: VERIFY (ask for a code) when the user has a device, ENROL when their role
    requires one and they have none, None when the password is enough."""
    if TwoFactorDevice.objects.filter(user=user).exists():
        return VERIFY
    if two_factor_required(access_for(user)):
        return ENROL
    return None


@dataclass(frozen=True)
class TwoFactorStatus:
    is_on: bool
    is_required: bool
    since: datetime | None
    recovery_codes_left: int


def two_factor_status(*, user) -> TwoFactorStatus:
    device = TwoFactorDevice.objects.filter(user=user).only("created_at").first()
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() if device else 0
    return TwoFactorStatus(
        is_on=device is not None,
        is_required=two_factor_required(access_for(user)),
        since=device.created_at if device else None,
        recovery_codes_left=left,
    )


def provisioning_uri(*, user, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (from the QR code, or typed as the secret)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=settings.TWO_FACTOR_ISSUER)


def qr_code_svg(*, text: str) -> str:
    """`text` as an inline SVG QR code: no image file, no script, nothing fetched (the CSP allows it)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")
