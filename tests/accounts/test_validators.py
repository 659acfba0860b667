import pytest
from django.core.exceptions import ValidationError

from accounts.validators import validate_first_name, validate_last_name

FIRST_NAME_MESSAGE = "First name must have at least 2 characters. Numbers and special characters are not allowed."
LAST_NAME_MESSAGE = "Last name must have at least 1 characters. Numbers and special characters are not allowed."


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Jo", id="latin-two-letters"),
        pytest.param("민지", id="hangul"),
        pytest.param("さくら", id="hiragana"),
        pytest.param("サクラ", id="katakana"),
        pytest.param("太郎", id="kanji"),
        pytest.param("Zoë", id="latin-diaeresis"),
        pytest.param("Zoe\u0308", id="combining-mark"),
        pytest.param("Аня", id="cyrillic"),
    ],
)
def test_first_name_accepts_letters_of_any_script(value):
    validate_first_name(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("J", id="one-letter"),
        pytest.param("민", id="one-hangul"),
        pytest.param("", id="empty"),
        pytest.param("Jo3", id="digit"),
        pytest.param("３郎", id="fullwidth-digit"),
        pytest.param("Jo-Ann", id="hyphen"),
        pytest.param("Jo Ann", id="space"),
        pytest.param("Jo!", id="symbol"),
        pytest.param("Jo_", id="underscore"),
        pytest.param("😀😀", id="emoji"),
    ],
)
def test_first_name_refuses_short_or_non_letters(value):
    with pytest.raises(ValidationError) as error:
        validate_first_name(value)
    assert error.value.messages == [FIRST_NAME_MESSAGE]


@pytest.mark.parametrize(
    "value",
    [pytest.param("K", id="one-latin"), pytest.param("김", id="one-hangul"), pytest.param("山", id="one-kanji")],
)
def test_last_name_accepts_a_single_letter(value):
    validate_last_name(value)


@pytest.mark.parametrize(
    "value",
    [pytest.param("", id="empty"), pytest.param("1", id="digit"), pytest.param("K.", id="dot")],
)
def test_last_name_refuses_empty_or_non_letters(value):
    with pytest.raises(ValidationError) as error:
        validate_last_name(value)
    assert error.value.messages == [LAST_NAME_MESSAGE]
