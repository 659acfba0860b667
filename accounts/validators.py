"""Name rules for console accounts (SPEC 8): letters of any script, no digits, no symbols."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _is_letters_only(value: str) -> bool:
    # str.isalpha() is Unicode-aware: Hangul, kana and kanji are letters; digits, symbols and spaces are not.
    # Marks (category M*) are allowed too, so decomposed accents and Hangul jamo sequences pass.
    import unicodedata

    return bool(value) and all(ch.isalpha() or unicodedata.category(ch).startswith("M") for ch in value)


def validate_first_name(value: str) -> None:
    if len(value) < 2 or not _is_letters_only(value):
        raise ValidationError(
            _("First name must have at least 2 characters. Numbers and special characters are not allowed."),
            code="invalid_first_name",
        )


def validate_last_name(value: str) -> None:
    if len(value) < 1 or not _is_letters_only(value):
        raise ValidationError(
            _("Last name must have at least 1 characters. Numbers and special characters are not allowed."),
            code="invalid_last_name",
        )


# The longest password any form accepts (console, NAVER WORKS Admin, Django admin): far above what anyone types
# (NAVER WORKS Admin's own rule stops at 40), and short enough that no one makes Argon2 hash a megabyte.
PASSWORD_MAX_LENGTH = 128
PASSWORD_TOO_LONG = _("A password can have at most %(limit_value)d characters.")


class MaximumLengthValidator:
    """AUTH_PASSWORD_VALIDATORS entry: the same maximum for passwords set through Django's own forms
    (Django admin, password reset), which do not use `accounts.forms.PasswordField`."""

    def __init__(self, max_length: int = PASSWORD_MAX_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(PASSWORD_TOO_LONG, code="password_too_long", params={"limit_value": self.max_length})

    def get_help_text(self) -> str:
        return PASSWORD_TOO_LONG % {"limit_value": self.max_length}
