"""Staff in tests sign in as in production (SPEC 13): a password, then a code of their TOTP device.

`verify_session` gives a test client's session the second factor of an enrolled device: tests/conftest.py calls
it for every staff login of the test client (`force_login`, `login`, pytest-django's `admin_client`), so the
back office's tests run against the real check. `sign_in_to_admin` does it in Chromium, through the pages.
"""

import importlib
import time

from django.apps import apps
from django.contrib.auth.models import Group
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from backoffice.second_factor import AUTHENTICATOR_NAME
from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD


def enrolled_device(user) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled now if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=True)


def code_for(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now for ``key`` (RFC 6238, 30 s, 6 digits), or ``steps_ahead`` steps
    later (the server accepts one step of drift; a code once used is not accepted again)."""
    totp = TOTP(key, step=30, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def verify_session(client, user) -> None:
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
    session.save()


def ensure_roles() -> None:
    """The groups `Support` and `Billing` as the migration backoffice/0002_operator_roles makes them: a
    transactional test (the browser's live server) flushes them, and a reused test database keeps the flush."""
    if Group.objects.filter(name__in=["Support", "Billing"]).count() < 2:
        importlib.import_module("backoffice.migrations.0002_operator_roles").create_roles(apps, None)


def operator(*roles: str, **fields):
    """A staff user in the given groups (`Support`, `Billing`), or a superuser when no role is named."""
    if roles:
        ensure_roles()
    user = UserFactory(password=USER_PASSWORD, is_staff=True, is_superuser=not roles, **fields)
    user.groups.add(*Group.objects.filter(name__in=roles))
    return user


def sign_in_to_admin(page: Page, user, *, password: str = USER_PASSWORD) -> None:
    """The password, then the code of the user's authenticator (enrolled in the database first)."""
    device = enrolled_device(user)
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Authentication code", exact=True).fill(code_for(device.bin_key))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
