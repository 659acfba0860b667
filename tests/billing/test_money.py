"""Amounts as operators read them (SPEC 11): `₩3,960`."""

import pytest

from billing.money import format_won


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        pytest.param(0, "₩0", id="zero"),
        pytest.param(3_960, "₩3,960", id="thousands"),
        pytest.param(1_234_567, "₩1,234,567", id="millions"),
        pytest.param(-55_000, "-₩55,000", id="negative"),
        pytest.param(None, "-", id="none"),
    ],
)
def test_amounts_read_with_the_won_sign_and_thousands_separators(amount, shown):
    assert format_won(amount) == shown


@pytest.mark.parametrize(
    "amount", [pytest.param(1.5, id="float"), pytest.param(True, id="bool"), pytest.param("1", id="str")]
)
def test_only_whole_krw_are_formatted(amount):
    with pytest.raises(TypeError):
        format_won(amount)
