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
