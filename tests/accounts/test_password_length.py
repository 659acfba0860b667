"""Every password field refuses more than PASSWORD_MAX_LENGTH characters at the field, before hashing (issue 11)."""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.validators import PASSWORD_MAX_LENGTH
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory
from workspaces.models import AdminLoginFailure

pytestmark = pytest.mark.django_db

TOO_LONG = "a1" * 500_000  # a megabyte
MESSAGE = f"A password can have at most {PASSWORD_MAX_LENGTH} characters."


def test_console_login_refuses_a_megabyte_password_at_the_field(client, customer):
    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": TOO_LONG})

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [MESSAGE]
    assert "_auth_user_id" not in client.session


def test_signup_refuses_a_password_over_the_maximum(client):
    password = "Zq9!" * 32 + "x"  # 129 characters
    response = client.post(
        reverse("accounts:signup"),
        {"first_name": "Sakura", "last_name": "Yamada", "email": "new@example.com", "password1": password},
    )

    assert response.context["form"].errors["password1"] == [MESSAGE]
    assert User.objects.filter(email="new@example.com").exists() is False


def test_signup_accepts_a_password_of_exactly_the_maximum(client):
    password = ("Zq9!" * 32)[:PASSWORD_MAX_LENGTH]
    response = client.post(
        reverse("accounts:signup"),
        {
            "first_name": "Sakura",
            "last_name": "Yamada",
            "email": "new@example.com",
            "password1": password,
            "password2": password,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").check_password(password) is True


def test_password_change_refuses_an_overlong_current_and_new_password(customer_client, customer):
    too_long = "a1" * 100_000  # three megabytes would be refused as a whole by DATA_UPLOAD_MAX_MEMORY_SIZE
    response = customer_client.post(
        reverse("accounts:password-change"),
        {"old_password": too_long, "new_password1": too_long, "new_password2": too_long},
    )

    errors = response.context["form"].errors
    assert (errors["old_password"], errors["new_password1"], errors["new_password2"]) == (
        [MESSAGE],
        [MESSAGE],
        [MESSAGE],
    )
    customer.refresh_from_db()
    assert customer.check_password(USER_PASSWORD) is True


def test_the_field_tells_the_browser_its_maximum(client):
    response = client.get(reverse("accounts:login"))

    assert f'maxlength="{PASSWORD_MAX_LENGTH}"' in response.content.decode()


def test_works_login_refuses_a_megabyte_password_and_counts_no_failure():
    trial = TrialSubscriptionFactory()

    response = Client().post(reverse("workspaces:login"), {"account_id": trial.admin_account_id, "password": TOO_LONG})

    assert response.context["form"].errors["password"] == [MESSAGE]
    assert AdminLoginFailure.objects.count() == 0


def test_django_admin_login_refuses_a_megabyte_password(client, admin_user):
    response = client.post(reverse("admin:login"), {"username": admin_user.email, "password": TOO_LONG})

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_validator_covers_passwords_set_through_djangos_own_forms(customer):
    with pytest.raises(ValidationError) as refused:
        password_validation.validate_password("Zq9!" * 40, customer)

    assert refused.value.messages == [MESSAGE]
    assert password_validation.password_validators_help_texts()[-1] == MESSAGE


def test_the_reset_form_refuses_an_overlong_new_password(client, customer):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid, token = urlsafe_base64_encode(force_bytes(customer.pk)), default_token_generator.make_token(customer)
    form_url = client.get(reverse("accounts:password-reset-confirm", args=[uid, token]))["Location"]

    response = client.post(form_url, {"new_password1": "a1" * 100, "new_password2": "a1" * 100})

    assert response.context["form"].errors["new_password1"] == [MESSAGE]
    customer.refresh_from_db()
    assert customer.check_password(USER_PASSWORD) is True
