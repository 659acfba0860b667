import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "first_name": "민지",
    "last_name": "김",
    "email": "minji@example.com",
    "password1": "a-long-enough-passphrase",
    "password2": "a-long-enough-passphrase",
}


def test_signup_creates_the_customer_and_logs_in(client):
    response = client.post(reverse("accounts:signup"), SIGNUP)

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:my-product")
    user = User.objects.get(email="minji@example.com")
    assert user.check_password("a-long-enough-passphrase")
    assert user.password.startswith("argon2")
    assert client.get(reverse("subscriptions:my-product")).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param(
            "first_name",
            "M1",
            "First name must have at least 2 characters. Numbers and special characters are not allowed.",
            id="first-name-digit",
        ),
        pytest.param(
            "last_name",
            "",
            "This field is required.",
            id="last-name-empty",
        ),
        pytest.param(
            "last_name",
            "K!",
            "Last name must have at least 1 characters. Numbers and special characters are not allowed.",
            id="last-name-symbol",
        ),
        pytest.param("email", "not-an-email", "Enter a valid email", id="email-invalid"),
        pytest.param("password2", "different-passphrase", "The two passwords do not match.", id="mismatch"),
        pytest.param("password1", "short", "This password is too short.", id="password-too-short"),
    ],
)
def test_signup_refuses_bad_input_at_the_field_and_creates_nothing(client, field, value, message):
    response = client.post(reverse("accounts:signup"), SIGNUP | {field: value})

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not User.objects.exists()


def test_signup_refuses_a_taken_email_whatever_its_case(client):
    UserFactory(email="minji@example.com")

    response = client.post(reverse("accounts:signup"), SIGNUP | {"email": "MinJi@Example.com"})

    assert response.context["form"].errors["email"] == ["An account with this email already exists."]
    assert User.objects.count() == 1


def test_login_with_email_and_password(client, customer):
    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": USER_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("subscriptions:my-product")


def test_failed_logins_are_throttled_after_five_attempts(client, customer):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": customer.email, "password": "wrong"})

    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": USER_PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_profile_update_shows_the_success_message(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"),
        {"first_name": "さくら", "last_name": "山田", "email": customer.email, "language": "ja"},
        follow=True,
    )

    assert "Your profile has been successfully updated." in response.content.decode()
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.language) == ("さくら", "山田", "ja")


def test_profile_refuses_invalid_name_and_changes_nothing(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"), {"first_name": "S", "last_name": "山田", "email": customer.email}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["first_name"]
    customer.refresh_from_db()
    assert customer.first_name == "Minji"


def test_password_change_ends_every_session_of_the_user(customer):
    # given: the customer is logged in on two devices
    laptop, phone = Client(), Client()
    for device in (laptop, phone):
        device.post(reverse("accounts:login"), {"username": customer.email, "password": USER_PASSWORD})
        assert device.get(reverse("subscriptions:my-product")).status_code == 200

    # when: the password is changed on the laptop
    response = laptop.post(
        reverse("accounts:password-change"),
        {
            "old_password": USER_PASSWORD,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
        follow=True,
    )

    # then: both sessions are gone, with the message, and the new password works
    assert "Changing your password will log you out immediately. Use the new password to log back in." in (
        response.content.decode()
    )
    for device in (laptop, phone):
        response = device.get(reverse("subscriptions:my-product"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    relogin = Client().post(
        reverse("accounts:login"), {"username": customer.email, "password": "a-brand-new-passphrase"}
    )
    assert relogin.status_code == 302


def test_password_change_refuses_a_wrong_current_password(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:password-change"),
        {
            "old_password": "wrong",
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )

    assert response.context["form"].errors["old_password"] == ["Your current password is incorrect."]
    customer.refresh_from_db()
    assert customer.check_password(USER_PASSWORD)


@pytest.mark.parametrize(
    "url_name",
    ["subscriptions:my-product", "accounts:profile", "accounts:password-change"],
)
def test_anonymous_users_are_sent_to_the_login_page(client, url_name):
    url = reverse(url_name)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        pytest.param("minji@example.com", True, id="plain"),
        pytest.param("min.ji+works@example.co.kr", True, id="dots-plus-subdomain"),
        pytest.param("minji@예시.한국", True, id="idn-domain"),
        pytest.param("minji@", False, id="no-domain"),
        pytest.param("minji.example.com", False, id="no-at"),
        pytest.param("min ji@example.com", False, id="space"),
        pytest.param("minji@example", False, id="no-tld"),
    ],
)
def test_signup_email_rules(client, email, accepted):
    response = client.post(reverse("accounts:signup"), SIGNUP | {"email": email})

    assert User.objects.exists() is accepted
    assert (response.status_code == 302) is accepted


@pytest.mark.parametrize(
    ("password", "message"),
    [
        pytest.param("short1!", "This password is too short.", id="too-short"),
        pytest.param("password123", "This password is too common.", id="common"),
        pytest.param("83749201948372", "This password is entirely numeric.", id="numeric"),
        pytest.param("minji@example.com", "The password is too similar to the", id="like-the-email"),
    ],
)
def test_signup_password_rules(client, password, message):
    response = client.post(reverse("accounts:signup"), SIGNUP | {"password1": password, "password2": password})

    assert any(message in error for error in response.context["form"].errors["password1"])
    assert not User.objects.exists()


# --- names as people write them (issue 12) ----------------------------------------------------------------------


def _field_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=lambda name: html.index(f'name="{name}"'))


@pytest.mark.parametrize(
    ("language", "order"),
    [
        pytest.param("en", ["first_name", "last_name"], id="en"),
        pytest.param("ja", ["last_name", "first_name"], id="ja"),
        pytest.param("ko", ["last_name", "first_name"], id="ko"),
    ],
)
def test_the_sign_up_and_profile_forms_ask_for_the_family_name_first_in_japanese_and_korean(
    client, customer, language, order
):
    signup = client.get(reverse("accounts:signup"), headers={"accept-language": language}).content.decode()
    client.force_login(customer)
    profile = client.get(reverse("accounts:profile"), headers={"accept-language": language}).content.decode()

    assert _field_order(signup, ["first_name", "last_name"]) == order
    assert _field_order(profile, ["first_name", "last_name"]) == order
    assert 'autocomplete="family-name"' in signup


# --- unique names in the header (SPEC 9) ------------------------------------------------------------------------


def test_the_login_page_header_does_not_repeat_the_log_in_button_as_a_link(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert f'href="{reverse("accounts:login")}">Log in</a>' not in html
    assert f'href="{reverse("accounts:signup")}">Sign up</a>' in html


def test_the_sign_up_page_header_does_not_repeat_the_sign_up_button_as_a_link(client):
    html = client.get(reverse("accounts:signup")).content.decode()

    assert f'href="{reverse("accounts:signup")}">Sign up</a>' not in html
    assert f'href="{reverse("accounts:login")}">Log in</a>' in html


def test_pages_carry_our_favicon(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert '<link rel="icon" href="/static/images/favicon.svg" type="image/svg+xml">' in html


# --- the customer's language: mails and billing documents (SPEC 12) -------------------------------------------


@pytest.mark.parametrize(
    ("accept_language", "stored"),
    [
        pytest.param("ja", "ja", id="japanese"),
        pytest.param("ko-KR,ko;q=0.9", "ko", id="korean-with-region"),
        pytest.param("fr", "en", id="not-offered-default"),
    ],
)
def test_sign_up_stores_the_ui_language_as_the_customers_language(client, accept_language, stored):
    client.post(reverse("accounts:signup"), SIGNUP, headers={"accept-language": accept_language})

    assert User.objects.get(email=SIGNUP["email"]).language == stored


def test_the_profile_shows_and_changes_the_language_of_mails_and_documents(customer_client, customer):
    page = customer_client.get(reverse("accounts:profile")).content.decode()

    customer_client.post(
        reverse("accounts:profile"),
        {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "language": "ko",
        },
    )

    assert re.search(r'<label\s+for="id_language"[^>]*>\s*Language of e-mails and documents\s*</label>', page)
    assert '<option value="en" selected>English</option> <option value="ja">日本語</option>' in page
    customer.refresh_from_db()
    assert customer.language == "ko"


def test_the_profile_refuses_a_language_that_is_not_offered(customer_client, customer):
    response = customer_client.post(
        reverse("accounts:profile"),
        {
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
            "language": "xx",
        },
    )

    assert "Select a valid choice. xx is not one of the available choices." in response.content.decode()
    customer.refresh_from_db()
    assert customer.language == "en"


# --- sign-up throttled per client address (SPEC 8, issue 21) ---------------------------------------------------


def _sign_up(email: str, address: str):
    return Client().post(reverse("accounts:signup"), SIGNUP | {"email": email}, REMOTE_ADDR=address)


def test_sign_ups_from_one_address_are_refused_past_the_limit_with_a_clear_message(settings):
    settings.SIGNUP_RATE_PER_CLIENT = "10/h"
    UserFactory(email="taken@example.com")

    statuses = [_sign_up(f"new{attempt}@example.com", "198.51.100.7").status_code for attempt in range(10)]
    refused = _sign_up("taken@example.com", "198.51.100.7")

    assert statuses == [302] * 10
    assert refused.status_code == 429
    html = refused.content.decode()
    assert re.search(r"Too many sign-ups from your network\. Try again in ([1-9]|[1-5][0-9]|60) minutes\.", html)
    # The refusal tells nothing about the address typed, and keeps what was typed but the passwords.
    assert "An account with this email already exists." not in html
    assert refused.context["form"].initial == {"first_name": "민지", "last_name": "김", "email": "taken@example.com"}
    assert User.objects.count() == 11


def test_a_lookup_of_taken_addresses_is_cut_short_by_the_limit(settings):
    settings.SIGNUP_RATE_PER_CLIENT = "3/h"
    for number in range(5):
        UserFactory(email=f"customer{number}@example.com")

    answers = [
        "An account with this email already exists."
        in _sign_up(f"customer{number}@example.com", "203.0.113.9").content.decode()
        for number in range(5)
    ]

    assert answers == [True, True, True, False, False]


def test_the_sign_up_limit_counts_each_client_address(settings):
    settings.SIGNUP_RATE_PER_CLIENT = "1/h"

    first = _sign_up("first@example.com", "198.51.100.7")
    again = _sign_up("second@example.com", "198.51.100.7")
    elsewhere = _sign_up("third@example.com", "198.51.100.8")

    assert [first.status_code, again.status_code, elsewhere.status_code] == [302, 429, 302]
    assert sorted(User.objects.values_list("email", flat=True)) == ["first@example.com", "third@example.com"]


def test_the_sign_up_refusal_is_in_the_language_of_the_page(settings):
    settings.SIGNUP_RATE_PER_CLIENT = "1/h"
    _sign_up("first@example.com", "198.51.100.7")

    refused = Client().post(
        reverse("accounts:signup"),
        SIGNUP | {"email": "second@example.com"},
        REMOTE_ADDR="198.51.100.7",
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert refused.status_code == 429
    assert re.search(
        r"お使いのネットワークからの新規登録が多すぎます。\d+分後に再度お試しください。", refused.content.decode()
    )
