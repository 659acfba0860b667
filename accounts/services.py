"""Console account changes (SPEC 8). Views call these; nothing else writes users."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from works_console.mail import render_mail

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


def password_reset_mail_send(*, email: str, domain: str, use_https: bool, language: str) -> int:
    """Mail a one-time link to set a new password (SPEC 8) to the active account of ``email``, if there is one, and
    return the number of mails sent: 0 for an address without an account, which is told nothing.

    Sent by a Celery task after the response (accounts.tasks), so the page answers every address alike and in the
    same time, and a mail server that fails makes the task try again instead of showing an error. The mail is in
    the customer's stored language; ``language`` (the page's) stands in for a customer who has none.
    """
    sent = 0
    for user in User.objects.filter(email__iexact=email, is_active=True):
        if not user.has_usable_password():
            continue
        context = {
            "protocol": "https" if use_https else "http",
            "domain": domain,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
        render_mail("password_reset", context, customer=user, default_language=language).send()
        sent += 1
    return sent
