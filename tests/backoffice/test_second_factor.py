"""Every staff sign-in has a second factor (SPEC 13): enrolment right after the password (QR code, `Secret key`,
`Authentication code`, `Activate`), ten recovery codes, `Verify` at the next sign-in, failed codes throttled like
the logins. These tests sign in through the pages with a raw test client (no helper verifies the session)."""

import re
from base64 import b32decode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from backoffice.models import SecondFactorFailure
from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD
from tests.operators import code_for, enrolled_device

pytestmark = pytest.mark.django_db

SECOND_FACTOR = "/admin/second-factor/"


def password_only(user) -> Client:
    """A client past the password step of Django admin's login, as a browser would be."""
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": user.email, "password": USER_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(SECOND_FACTOR)
    return client


def staff(**fields):
    return UserFactory(password=USER_PASSWORD, is_staff=True, is_superuser=True, **fields)


def secret_of(html: str) -> bytes:
    key = re.search(r"data-secret-key>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    return b32decode(key + "=" * (-len(key) % 8))


def test_a_password_alone_opens_no_back_office_page():
    client = password_only(staff())

    for url in ["/admin/", "/admin/subscriptions/subscription/", "/admin/lifecycle-preview/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(SECOND_FACTOR), url
    assert client.get("/metrics").status_code == 403


def test_enrolment_shows_a_qr_code_and_the_secret_key_and_activates_with_a_first_code():
    operator = staff()
    client = password_only(operator)

    page = client.get(SECOND_FACTOR)
    html = page.content.decode()
    key = secret_of(html)
    activated = client.post(SECOND_FACTOR, {"code": code_for(key), "next": "/admin/"})

    assert '<svg width="' in html and 'class="second-factor-qr"' in html
    assert "Secret key" in html and 'value="Activate"' in html
    assert 'autocomplete="one-time-code"' in html and ">Authentication code</label>" in html
    device = TOTPDevice.objects.get(user=operator)
    assert device.confirmed and device.bin_key == key and (device.step, device.digits) == (30, 6)
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", activated.content.decode())
    assert len(codes) == len(set(codes)) == 10
    assert sorted(StaticToken.objects.filter(device__user=operator).values_list("token", flat=True)) == sorted(codes)
    assert client.get("/admin/").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_a_wrong_code_is_refused_and_activates_nothing():
    operator = staff()
    client = password_only(operator)
    key = secret_of(client.get(SECOND_FACTOR).content.decode())
    wrong = f"{(int(code_for(key)) + 1) % 1_000_000:06d}"

    response = client.post(SECOND_FACTOR, {"code": wrong})

    assert "This code is not valid. Enter the current code from your app." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=operator, confirmed=True).exists()
    assert not StaticToken.objects.exists()
    assert SecondFactorFailure.objects.filter(user=operator).count() == 1
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(SECOND_FACTOR)


def test_later_sign_ins_verify_a_code_and_a_recovery_code_works_once():
    operator = staff()
    device = enrolled_device(operator)
    recovery = StaticToken.random_token()
    operator.staticdevice_set.create(name="Recovery codes", confirmed=True).token_set.create(token=recovery)

    first = password_only(operator)
    page = first.get(SECOND_FACTOR).content.decode()
    verified = first.post(SECOND_FACTOR, {"code": code_for(device.bin_key), "next": "/admin/"})
    second = password_only(operator)
    by_recovery = second.post(SECOND_FACTOR, {"code": recovery.upper(), "next": "/admin/"})
    third = password_only(operator)
    again = third.post(SECOND_FACTOR, {"code": recovery})

    assert 'value="Verify"' in page and "Secret key" not in page and "second-factor-qr" not in page
    assert (verified.status_code, verified["Location"]) == (302, "/admin/")
    assert (by_recovery.status_code, by_recovery["Location"]) == (302, "/admin/")
    assert "This code is not valid." in again.content.decode()
    assert third.get("/admin/").status_code == 302


def test_a_code_is_not_accepted_twice():
    operator = staff()
    device = enrolled_device(operator)
    code = code_for(device.bin_key)

    assert password_only(operator).post(SECOND_FACTOR, {"code": code}).status_code == 302
    assert "This code is not valid." in password_only(operator).post(SECOND_FACTOR, {"code": code}).content.decode()


def test_failed_codes_are_throttled_like_logins():
    operator = staff()
    device = enrolled_device(operator)
    client = password_only(operator)
    limit = settings.LOGIN_FAILURE_LIMITS["account_and_address"]

    for _ in range(limit):
        client.post(SECOND_FACTOR, {"code": "000000"})
    refused = client.post(SECOND_FACTOR, {"code": code_for(device.bin_key)})

    assert refused.status_code == 429
    assert re.search(r"Too many wrong codes\. Try again in \d+ minutes\.", refused.content.decode())
    assert client.get("/admin/").status_code == 302  # still not signed in
    assert SecondFactorFailure.objects.filter(user=operator).count() == limit


def test_createsuperuser_enrols_at_the_first_sign_in():
    get_user_model().objects.create_superuser(
        email="root@example.com", password=USER_PASSWORD, first_name="Root", last_name="User"
    )
    client = Client()

    client.post(reverse("admin:login"), {"username": "root@example.com", "password": USER_PASSWORD})
    html = client.get(SECOND_FACTOR).content.decode()

    assert "Secret key" in html and 'value="Activate"' in html


def test_a_customer_is_never_offered_a_second_factor_step(customer_client):
    response = customer_client.get(SECOND_FACTOR)

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not TOTPDevice.objects.exists()
