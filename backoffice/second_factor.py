"""The second factor of every staff sign-in (SPEC 13), with django-otp.

- A TOTP device (RFC 6238: 30 s steps, 6 digits, SHA-1, as every authenticator app reads it). A staff account
  without one is led to enrol right after its password: a device is created unconfirmed, shown as a QR code and
  its `Secret key`, and confirmed by a first code from the app.
- Ten one-time recovery codes (django-otp's static device), made when the TOTP device is confirmed and shown
  once; each works once in place of a code.
- Failed codes are throttled like the logins (accounts/throttling.py): the same limits per account and address,
  per account and per address, counted in rows of ours (``SecondFactorFailure``). django-otp's own per-device
  back-off is switched off in the settings, so there is one rule.

A session is verified by ``django_otp.login`` (the device's id in the session); ``OTPMiddleware`` reads it back
as ``request.user.is_verified()``, which the admin site and ``/metrics`` require of staff.
"""

from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.throttling import LoginFailures, failures_within_window

from .models import SecondFactorFailure

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


def is_operator(user) -> bool:
    """Staff signed in with their second factor: who may open the back office (SPEC 13)."""
    verified = getattr(user, "is_verified", None)  # installed by django_otp's OTPMiddleware
    return bool(user.is_authenticated and user.is_active and user.is_staff and verified and verified())


def needs_second_factor(user) -> bool:
    """Staff signed in with a password only: the next step is the second factor."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and not is_operator(user))


def authenticator_of(user: AbstractBaseUser) -> TOTPDevice | None:
    """The user's confirmed TOTP device (None: enrol first)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_device(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed TOTP device waiting for its first code: the same secret on every visit until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def secret_key(device: TOTPDevice) -> str:
    """The key as people type it into an authenticator app: base32, in groups of four."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[start : start + 4] for start in range(0, len(key), 4))


def qr_code_svg(device: TOTPDevice, *, title: str) -> SafeString:
    """The device's `otpauth://` URI as an inline SVG QR code (no image request, no inline style: CSP stays strict).

    segno writes the markup from the URI alone (attributes, no text of ours but the escaped title)."""
    code = segno.make(device.config_url, error="m")
    svg = code.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="second-factor-qr")
    return mark_safe(svg)  # noqa: S308 - segno's own SVG markup of a URI we made


@dataclass(frozen=True)
class Attempt:
    """Who is typing a code, and from where, when."""

    user: AbstractBaseUser
    ip_address: str
    now: datetime


def code_failures(attempt: Attempt) -> LoginFailures:
    return failures_within_window(
        SecondFactorFailure.objects.all(),
        account=Q(user_id=attempt.user.pk),
        address=Q(ip_address=attempt.ip_address),
        at="failed_at",
        now=attempt.now,
    )


def _record_failure(attempt: Attempt) -> None:
    SecondFactorFailure.objects.filter(failed_at__lt=attempt.now - settings.LOGIN_FAILURE_WINDOW).delete()
    SecondFactorFailure.objects.create(user_id=attempt.user.pk, ip_address=attempt.ip_address, failed_at=attempt.now)


def _wrong_code() -> ValidationError:
    message = _("This code is not valid. Enter the current code from your app.")
    return ValidationError({"code": message}, code="invalid")


def _normalized(code: str) -> str:
    return "".join(code.split()).lower()


def second_factor_activate(*, device: TOTPDevice, code: str, attempt: Attempt) -> list[str]:
    """Confirm the enrolment ``device`` with its first code; returns the ten new recovery codes (shown once).

    A wrong code is counted (the throttle) and changes nothing else."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=attempt.user, confirmed=False)
        if device.verify_token(_normalized(code)):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # Any other authenticator (an earlier enrolment) gives way to the one just confirmed.
            TOTPDevice.objects.filter(user=attempt.user).exclude(pk=device.pk).delete()
            return recovery_codes_replace(attempt.user)
    _record_failure(attempt)
    raise _wrong_code()


def recovery_codes_replace(user: AbstractBaseUser) -> list[str]:
    """Ten new one-time recovery codes for ``user``; the earlier ones stop working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_CODES_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def second_factor_verify(*, code: str, attempt: Attempt) -> Device:
    """The device that accepts ``code``: the authenticator's current code, or an unused recovery code (used up).

    A wrong code is counted (the throttle) and raises ValidationError."""
    code = _normalized(code)
    with transaction.atomic():
        if code.isdigit():
            devices = TOTPDevice.objects.filter(user=attempt.user, confirmed=True)
        else:
            devices = StaticDevice.objects.filter(user=attempt.user, confirmed=True)
        for device in devices.select_for_update().order_by("pk"):
            if device.verify_token(code):
                return device
    _record_failure(attempt)
    raise _wrong_code()
