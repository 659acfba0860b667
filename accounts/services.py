"""Console account changes (SPEC 8). Views call these; nothing else writes users."""

from django.conf import settings
from django.db import transaction

from .models import User


def sign_up_language(ui_language: str | None) -> str:
    """The language a new customer is written to in (``User.language``): the UI language they signed up in, as
    one of the console's languages (`ja-JP` -> `ja`), else the default."""
    offered = dict(settings.LANGUAGES)
    code = (ui_language or "").lower()
    for candidate in (code, code.split("-")[0]):
        if candidate in offered:
            return candidate
    return settings.LANGUAGE_CODE


@transaction.atomic
def user_sign_up(*, email: str, password: str, first_name: str, last_name: str, language: str) -> User:
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, language=language
    )


@transaction.atomic
def user_update_profile(*, user: User, first_name: str, last_name: str, email: str, language: str) -> User:
    """Name, e-mail and the language of the customer's mails and billing documents (SPEC 8, 12)."""
    user.first_name, user.last_name, user.email = first_name, last_name, email.lower()
    user.language = language
    user.save(update_fields=["first_name", "last_name", "email", "language"])
    return user


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    """Set a new password; every session of the user ends at its next request (SPEC 8).

    Each session carries a hash of the password it logged in with (django.contrib.auth's session
    verification), so a changed password invalidates all of them at once, on every device. The view
    logs the current session out explicitly and does not call update_session_auth_hash.
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user
