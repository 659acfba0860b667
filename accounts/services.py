"""Console account changes (SPEC 8). Views call these; nothing else writes users."""

from django.db import transaction

from .models import User


@transaction.atomic
def user_sign_up(*, email: str, password: str, first_name: str, last_name: str, language: str) -> User:
    return User.objects.create_user(
        email=email, password=password, first_name=first_name, last_name=last_name, language=language
    )


@transaction.atomic
def user_update_profile(*, user: User, first_name: str, last_name: str, email: str) -> User:
    user.first_name, user.last_name, user.email = first_name, last_name, email.lower()
    user.save(update_fields=["first_name", "last_name", "email"])
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
