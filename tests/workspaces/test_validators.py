"""SPEC 5.1 application rules: group name, domain name, admin ID, admin password. No database."""

import functools
import re
import string

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workspaces.validators import (
    RESERVED_FRAGMENTS,
    RESERVED_GROUP_NAMES,
    admin_account_id,
    normalize_account_id,
    normalize_domain_name,
    validate_admin_id,
    validate_admin_password,
    validate_domain_name,
    validate_group_name,
    validate_password_confirmation,
)

LOWERCASE = string.ascii_lowercase
DIGITS = string.digits
ALPHANUMERIC = LOWERCASE + DIGITS
SYMBOLS = ("_", ".", " ", "!", "@", "#", "/", "é", "한", "٣", "\t")
# Written out here rather than imported, so a wrong constant in the module cannot make the tests agree with it.
SPEC_RESERVED_NAMES = {"admin", "line"}
SPEC_RESERVED_FRAGMENTS = ("naverworks", "worksmobile", "lineworks")

FAST = settings(max_examples=200, deadline=None)


def error_code(validator, *args) -> str:
    with pytest.raises(ValidationError) as exc:
        validator(*args)
    return exc.value.code


def is_reserved_group_name(name: str) -> bool:
    return name in SPEC_RESERVED_NAMES or any(fragment in name for fragment in SPEC_RESERVED_FRAGMENTS)


def test_reserved_constants_are_the_spec_lists():
    assert RESERVED_GROUP_NAMES == SPEC_RESERVED_NAMES
    assert RESERVED_FRAGMENTS == SPEC_RESERVED_FRAGMENTS


# --- Group name -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("ab", id="shortest-2"),
        pytest.param("a" * 22, id="longest-22"),
        pytest.param("a1", id="letter-digit"),
        pytest.param("12", id="digits-only"),
        pytest.param("my-company", id="one-hyphen"),
        pytest.param("a-b-c-d", id="several-single-hyphens"),
        pytest.param("a-1", id="hyphen-between-letter-and-digit"),
        pytest.param("admins", id="admin-prefix-is-not-admin"),
        pytest.param("my-admin", id="contains-admin-is-not-admin"),
        pytest.param("lines", id="line-prefix-is-not-line"),
        pytest.param("naver-works", id="hyphenated-fragment-is-not-the-fragment"),
        pytest.param("naver", id="part-of-fragment"),
        pytest.param("works", id="works-alone"),
    ],
)
def test_group_name_accepted(value):
    validate_group_name(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("", "length", id="empty"),
        pytest.param("a", "length", id="one-char"),
        pytest.param("a" * 23, "length", id="23-chars"),
        pytest.param("A" * 23, "length", id="length-before-uppercase"),
        pytest.param("-", "length", id="lone-hyphen-is-too-short"),
        pytest.param("my_company", "characters", id="underscore"),
        pytest.param("my.company", "characters", id="dot"),
        pytest.param("my company", "characters", id="space"),
        pytest.param(" ab", "characters", id="leading-space-not-stripped"),
        pytest.param("caf\u00e9", "characters", id="accented-letter"),
        pytest.param("한국어", "characters", id="hangul"),
        pytest.param("ab\u0663", "characters", id="arabic-indic-digit"),
        pytest.param("My_Company", "characters", id="symbol-before-uppercase"),
        pytest.param("My-Company", "uppercase", id="uppercase-not-lowercased"),
        pytest.param("ABC", "uppercase", id="all-uppercase"),
        pytest.param("Admin", "uppercase", id="uppercase-before-reserved"),
        pytest.param("-abc", "hyphen_edge", id="hyphen-first"),
        pytest.param("abc-", "hyphen_edge", id="hyphen-last"),
        pytest.param("--", "hyphen_edge", id="only-hyphens"),
        pytest.param("-a--b", "hyphen_edge", id="edge-before-double"),
        pytest.param("my--company", "hyphen_double", id="double-hyphen"),
        pytest.param("a---b", "hyphen_double", id="triple-hyphen"),
        pytest.param("admin", "reserved", id="admin"),
        pytest.param("line", "reserved", id="line"),
        pytest.param("naverworks", "reserved", id="naverworks"),
        pytest.param("worksmobile", "reserved", id="worksmobile"),
        pytest.param("lineworks", "reserved", id="lineworks"),
        pytest.param("my-naverworks-team", "reserved", id="contains-naverworks"),
        pytest.param("worksmobile1", "reserved", id="starts-with-worksmobile"),
        pytest.param("team-lineworks", "reserved", id="ends-with-lineworks"),
    ],
)
def test_group_name_refused(value, code):
    assert error_code(validate_group_name, value) == code


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("a", "A group name must have 2 to 22 characters (it has 1).", id="length"),
        pytest.param("My-Team", "A group name must be in lowercase: uppercase letters are not allowed.", id="upper"),
        pytest.param("line", "“line” is a reserved name. Choose another group name.", id="reserved-name"),
        pytest.param("my-lineworks", "A group name cannot contain “lineworks”.", id="reserved-fragment"),
    ],
)
def test_group_name_message_names_the_problem(value, message):
    with pytest.raises(ValidationError) as exc:
        validate_group_name(value)
    assert exc.value.messages == [message]


@st.composite
def valid_group_names(draw) -> str:
    """Names of 2-22 characters, alphanumeric at both ends, never two hyphens in a row."""
    length = draw(st.integers(min_value=2, max_value=22))
    characters = [draw(st.sampled_from(ALPHANUMERIC))]
    for _ in range(length - 2):
        allowed = ALPHANUMERIC if characters[-1] == "-" else ALPHANUMERIC + "-"
        characters.append(draw(st.sampled_from(allowed)))
    characters.append(draw(st.sampled_from(ALPHANUMERIC)))
    return "".join(characters)


group_names = valid_group_names().filter(lambda name: not is_reserved_group_name(name))


def replace_at(value: str, index: int, replacement: str) -> str:
    return value[:index] + replacement + value[index + 1 :]


@FAST
@given(name=group_names)
def test_every_valid_group_name_is_accepted(name):
    validate_group_name(name)


@FAST
@given(name=group_names, data=st.data())
def test_group_name_with_an_uppercase_letter_is_refused(name, data):
    index = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    mutated = replace_at(name, index, data.draw(st.sampled_from(string.ascii_uppercase)))
    assert error_code(validate_group_name, mutated) == "uppercase"


@FAST
@given(name=group_names, data=st.data())
def test_group_name_with_a_symbol_is_refused(name, data):
    index = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    mutated = replace_at(name, index, data.draw(st.sampled_from(SYMBOLS)))
    assert error_code(validate_group_name, mutated) == "characters"


@FAST
@given(name=group_names.filter(lambda name: len(name) >= 4), data=st.data())
def test_group_name_with_a_doubled_hyphen_is_refused(name, data):
    index = data.draw(st.integers(min_value=1, max_value=len(name) - 3))
    mutated = name[:index] + "--" + name[index + 2 :]
    assert error_code(validate_group_name, mutated) == "hyphen_double"


@FAST
@given(name=group_names, at_start=st.booleans())
def test_group_name_with_a_hyphen_first_or_last_is_refused(name, at_start):
    index = 0 if at_start else len(name) - 1
    assert error_code(validate_group_name, replace_at(name, index, "-")) == "hyphen_edge"


@FAST
@given(name=group_names, padding=st.text(alphabet=ALPHANUMERIC, min_size=1, max_size=30))
def test_group_name_made_too_long_is_refused(name, padding):
    assert error_code(validate_group_name, name + padding * 23) == "length"


@FAST
@given(name=group_names, keep=st.integers(min_value=0, max_value=1))
def test_group_name_made_too_short_is_refused(name, keep):
    assert error_code(validate_group_name, name[:keep]) == "length"


@FAST
@given(name=group_names, fragment=st.sampled_from(SPEC_RESERVED_FRAGMENTS), data=st.data())
def test_group_name_with_a_reserved_fragment_is_refused(name, fragment, data):
    room = 22 - len(fragment)
    base = name[:room] if len(name) > room else name
    assume(not base.endswith("-"))
    index = data.draw(st.integers(min_value=0, max_value=len(base)))
    mutated = base[:index] + fragment + base[index:]
    assert error_code(validate_group_name, mutated) == "reserved"


# --- Domain name ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        pytest.param("example.com", "example.com", id="plain"),
        pytest.param("Example.COM", "example.com", id="uppercase-lowercased"),
        pytest.param("example.com.", "example.com", id="trailing-dot"),
        pytest.param("  example.com  ", "example.com", id="surrounding-whitespace"),
        pytest.param("한국.kr", "xn--3e0b707e.kr", id="idn-hangul"),
        pytest.param("bücher.example", "xn--bcher-kva.example", id="idn-umlaut"),
        pytest.param("BÜCHER.Example.", "xn--bcher-kva.example", id="idn-uppercase-trailing-dot"),
        pytest.param("xn--bcher-kva.example", "xn--bcher-kva.example", id="already-punycode"),
        pytest.param("XN--BCHER-KVA.example", "xn--bcher-kva.example", id="uppercase-punycode"),
        pytest.param("example。한국", "example.xn--3e0b707e", id="ideographic-full-stop-and-idn-tld"),
        pytest.param("ｅｘａｍｐｌｅ.com", "example.com", id="fullwidth-folds-to-ascii"),
        pytest.param("straße.de", "strasse.de", id="idna2003-maps-sharp-s"),
        pytest.param("example.com..", "example.com.", id="only-one-trailing-dot-stripped"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalize_domain_name(value, stored):
    assert normalize_domain_name(value) == stored


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("xn--a.com", id="undecodable-punycode"),
        pytest.param("xn--abc-.com", id="punycode-not-round-tripping"),
        pytest.param("xn--.com", id="empty-punycode"),
        pytest.param("\u0627a.com", id="bidi-violation"),
        pytest.param("a\u200eb.com", id="prohibited-character"),
    ],
)
def test_normalize_domain_name_refuses_unencodable(value):
    assert error_code(normalize_domain_name, value) == "invalid_domain"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("example.com", id="plain"),
        pytest.param("a.co", id="shortest-labels"),
        pytest.param("sub.example.co.kr", id="four-labels"),
        pytest.param("my-company.com", id="hyphen-inside"),
        pytest.param("123.com", id="numeric-label-not-tld"),
        pytest.param("Example.COM.", id="uppercase-and-trailing-dot"),
        pytest.param("한국.kr", id="idn"),
        pytest.param("bücher.example", id="idn-umlaut"),
        pytest.param("example.xn--3e0b707e", id="punycode-tld"),
        pytest.param("a" * 63 + ".com", id="label-63"),
        pytest.param(".".join(["a" * 63] * 3 + ["a" * 61]), id="total-253"),
        pytest.param("admin.com", id="reserved-group-names-do-not-apply"),
        pytest.param("line.me", id="line-label-allowed"),
    ],
)
def test_domain_name_accepted(value):
    validate_domain_name(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("", "domain_labels", id="empty"),
        pytest.param("localhost", "domain_labels", id="single-label"),
        pytest.param("com.", "domain_labels", id="single-label-trailing-dot"),
        pytest.param(".".join(["a" * 63] * 3 + ["a" * 62]), "domain_length", id="total-254"),
        pytest.param("a" * 64 + ".com", "label_length", id="label-64"),
        pytest.param("a..com", "label_length", id="empty-label"),
        pytest.param(".example.com", "label_length", id="leading-dot"),
        pytest.param("example.com..", "label_length", id="two-trailing-dots"),
        pytest.param("my_company.com", "label_characters", id="underscore"),
        pytest.param("my company.com", "label_characters", id="space"),
        pytest.param("example.com/path", "label_characters", id="slash"),
        pytest.param("user@example.com", "label_characters", id="at-sign"),
        pytest.param("-example.com", "label_hyphen_edge", id="label-starts-with-hyphen"),
        pytest.param("example-.com", "label_hyphen_edge", id="label-ends-with-hyphen"),
        pytest.param("example.-com", "label_hyphen_edge", id="tld-starts-with-hyphen"),
        pytest.param("example.c", "tld_length", id="tld-one-char"),
        pytest.param("example.1", "tld_numeric", id="one-digit-tld-reports-numeric"),
        pytest.param("example.123", "tld_numeric", id="numeric-tld"),
        pytest.param("192.168.0.1", "tld_numeric", id="ipv4-address"),
        pytest.param("naverworks.com", "reserved", id="naverworks"),
        pytest.param("my-worksmobile.co.kr", "reserved", id="contains-worksmobile"),
        pytest.param("LineWorks.jp", "reserved", id="uppercase-lineworks"),
        pytest.param("example.naverworks", "reserved", id="reserved-tld"),
        pytest.param("xn--a.com", "invalid_domain", id="broken-punycode"),
    ],
)
def test_domain_name_refused(value, code):
    assert error_code(validate_domain_name, value) == code


domain_labels = st.text(alphabet=ALPHANUMERIC + "-", min_size=1, max_size=20).filter(
    lambda label: not label.startswith("-") and not label.endswith("-") and not label.startswith("xn--")
)
top_level_domains = st.text(alphabet=LOWERCASE, min_size=2, max_size=6)


@FAST
@given(labels=st.lists(domain_labels, min_size=1, max_size=4), tld=top_level_domains)
def test_valid_ascii_domain_is_accepted_and_stored_unchanged_whatever_its_case(labels, tld):
    name = ".".join([*labels, tld])
    assume(not any(fragment in name for fragment in SPEC_RESERVED_FRAGMENTS))
    validate_domain_name(name.upper() + ".")
    assert normalize_domain_name(name.upper() + ".") == name
    assert normalize_domain_name(name) == name


# --- Admin ID -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("ab", id="shortest-2"),
        pytest.param("a" * 40, id="longest-40"),
        pytest.param("admin", id="admin"),
        pytest.param("john.doe", id="dot"),
        pytest.param("john-doe", id="hyphen"),
        pytest.param("john_doe", id="underscore"),
        pytest.param("user01", id="digits"),
        pytest.param("._-", id="symbols-only"),
    ],
)
def test_admin_id_accepted(value):
    validate_admin_id(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("", "length", id="empty"),
        pytest.param("a", "length", id="one-char"),
        pytest.param("a" * 41, "length", id="41-chars"),
        pytest.param("john doe", "characters", id="space"),
        pytest.param("john@doe", "characters", id="at-sign"),
        pytest.param("john+doe", "characters", id="plus"),
        pytest.param("jöhn", "characters", id="accented-letter"),
        pytest.param("John_Doe!", "characters", id="symbol-before-uppercase"),
        pytest.param("John", "uppercase", id="uppercase-not-lowercased"),
        pytest.param("ADMIN", "uppercase", id="all-uppercase"),
    ],
)
def test_admin_id_refused(value, code):
    assert error_code(validate_admin_id, value) == code


@FAST
@given(admin_id=st.text(alphabet=ALPHANUMERIC + ".-_", min_size=2, max_size=40))
def test_every_valid_admin_id_is_accepted(admin_id):
    validate_admin_id(admin_id)


def test_admin_account_id_joins_id_and_name():
    assert admin_account_id("admin", "my-company") == "admin@my-company"
    assert admin_account_id("john.doe", "xn--3e0b707e.kr") == "john.doe@xn--3e0b707e.kr"


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        pytest.param("admin@bravo-co", "admin@bravo-co", id="as-stored"),
        pytest.param("  Admin@Bravo-Co ", "admin@bravo-co", id="case-and-spaces"),
        pytest.param("admin@ｂｒavo-co", "admin@bravo-co", id="full-width-name"),
        pytest.param("ａｄｍｉｎ@bravo-co", "admin@bravo-co", id="full-width-id"),
        pytest.param("admin＠bravo-co", "admin@bravo-co", id="full-width-at"),
        pytest.param("admin@bravo-co.", "admin@bravo-co", id="trailing-dot"),
        pytest.param("admin@bravo-co。", "admin@bravo-co", id="trailing-ideographic-dot"),
        pytest.param("admin@bravo\u200b-co", "admin@bravo-co", id="zero-width-space-in-name"),
        pytest.param("ad\u200dmin@bravo-co", "admin@bravo-co", id="zero-width-joiner-in-id"),
        pytest.param("\ufeffadmin@bravo-co\u2060", "admin@bravo-co", id="bom-and-word-joiner"),
        pytest.param("admin@bravo\x00-co", "admin@bravo-co", id="nul"),
        pytest.param("admin@한국。kr", "admin@xn--3e0b707e.kr", id="unicode-domain"),
        pytest.param("admin@xn--3e0b707e.kr", "admin@xn--3e0b707e.kr", id="punycode-domain"),
        pytest.param("@@@", "@@@", id="no-id"),
        pytest.param("no-at-sign", "no-at-sign", id="no-name"),
        pytest.param("admin@xn--zz", "admin@xn--zz", id="broken-punycode-kept-as-typed"),
    ],
)
def test_normalize_account_id(typed, normalized):
    assert normalize_account_id(typed) == normalized


@given(st.text(max_size=80))
def test_normalize_account_id_is_idempotent_and_bounded(typed):
    normalized = normalize_account_id(typed)

    assert normalize_account_id(normalized) == normalized
    assert len(normalized) <= 300
    assert "\x00" not in normalized


# --- Admin password -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("a1b2c3d4", id="shortest-8"),
        pytest.param("a1b2c3d4e5" * 4, id="longest-40"),
        pytest.param("aab11ccd", id="pairs-allowed"),
        pytest.param("abd135wy", id="steps-of-two"),
        pytest.param("ab12ba21", id="two-in-sequence-allowed"),
        pytest.param("yza901qq", id="no-wrap-around"),
        pytest.param("xa9b8z7c", id="alternating-classes"),
        pytest.param("9a8b7c6d", id="digit-letter-mix-not-sequential"),
        pytest.param("1ab1ab1a", id="letters-and-digits-interleaved"),
    ],
)
def test_admin_password_accepted(value):
    validate_admin_password(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("", "length", id="empty"),
        pytest.param("a1b2c3d", "length", id="7-chars"),
        pytest.param("a1b2c3d4e5" * 4 + "f", "length", id="41-chars"),
        pytest.param("ABC", "length", id="length-before-uppercase"),
        pytest.param("a1b2c3d4!", "characters", id="symbol"),
        pytest.param("a1b2 c3d4", "characters", id="space"),
        pytest.param("a1b2c3dé", "characters", id="accented-letter"),
        pytest.param("a1b2c3d\u0663", "characters", id="arabic-indic-digit"),
        pytest.param("A1b2c3d4!", "characters", id="symbol-before-uppercase"),
        pytest.param("A1b2c3d4", "uppercase", id="uppercase"),
        pytest.param("A1B2C3D4", "uppercase", id="all-uppercase"),
        pytest.param("qwertyui", "letter_and_digit", id="all-letters"),
        pytest.param("13579246", "letter_and_digit", id="all-digits"),
        pytest.param("aaa", "length", id="short-repeat-reports-length"),
        pytest.param("xaaa1y2z", "repeated", id="aaa-inside"),
        pytest.param("x111a2z4", "repeated", id="111-inside"),
        pytest.param("x1b2c3zzzz", "repeated", id="four-in-a-row"),
        pytest.param("aaabc1q9", "repeated", id="repeated-before-sequential"),
        pytest.param("qabc1z9x", "sequential", id="abc-inside"),
        pytest.param("qcba1z9x", "sequential", id="cba-inside"),
        pytest.param("q1237z9x", "sequential", id="123-inside"),
        pytest.param("q3217z9x", "sequential", id="321-inside"),
        pytest.param("q1z9xxyz", "sequential", id="xyz-at-end"),
        pytest.param("789q1z4x", "sequential", id="789-at-start"),
        pytest.param("q1z9x987", "sequential", id="987-at-end"),
        pytest.param("q1z9xzyx", "sequential", id="zyx-descending"),
    ],
)
def test_admin_password_refused(value, code):
    assert error_code(validate_admin_password, value) == code


def test_admin_password_message_does_not_echo_the_password():
    with pytest.raises(ValidationError) as exc:
        validate_admin_password("qabc1z9x")
    assert exc.value.messages == [
        "The password cannot contain 3 sequential letters or digits (such as “abc”, “cba”, “123” or “321”)."
    ]


def has_repeated_run(value: str) -> bool:
    return re.search(r"(.)\1\1", value) is not None


def breaks_sequence_rule(previous: str, before: str, candidate: str) -> bool:
    triple = {previous, before, candidate}
    if not (triple <= set(LOWERCASE) or triple <= set(DIGITS)):
        return False
    step = ord(before) - ord(previous)
    return step in (1, -1) and ord(candidate) - ord(before) == step


@functools.cache
def next_password_character(pool: str, previous: str, before: str) -> st.SearchStrategy[str]:
    """Characters of ``pool`` that make no run of 3 (repeated or sequential) after ``previous`` and ``before``."""
    allowed = [c for c in pool if not (c == before == previous) and not breaks_sequence_rule(previous, before, c)]
    return st.sampled_from(allowed)


@st.composite
def valid_passwords(draw, max_size: int = 40) -> str:
    """Passwords of 8-max_size lowercase letters and digits with a forced letter and digit, no run of 3."""
    length = draw(st.integers(min_value=8, max_value=max_size))
    digit_at, letter_at = draw(st.lists(st.integers(0, length - 1), min_size=2, max_size=2, unique=True))
    characters = ["", ""]  # two blanks so the first real characters have a (harmless) history
    for index in range(length):
        pool = DIGITS if index == digit_at else LOWERCASE if index == letter_at else ALPHANUMERIC
        characters.append(draw(next_password_character(pool, characters[-2], characters[-1])))
    return "".join(characters)


@FAST
@given(password=valid_passwords())
def test_every_valid_password_is_accepted(password):
    validate_admin_password(password)


@FAST
@given(password=valid_passwords(), keep=st.integers(min_value=0, max_value=7))
def test_password_made_too_short_is_refused(password, keep):
    assert error_code(validate_admin_password, password[:keep]) == "length"


@FAST
@given(password=valid_passwords())
def test_password_made_too_long_is_refused(password):
    assert error_code(validate_admin_password, password * 6) == "length"


@FAST
@given(password=valid_passwords(), symbol=st.sampled_from(SYMBOLS), data=st.data())
def test_password_with_a_symbol_is_refused(password, symbol, data):
    index = data.draw(st.integers(min_value=0, max_value=len(password) - 1))
    assert error_code(validate_admin_password, replace_at(password, index, symbol)) == "characters"


@FAST
@given(password=valid_passwords(), data=st.data())
def test_password_with_an_uppercase_letter_is_refused(password, data):
    letter_positions = [index for index, character in enumerate(password) if character in LOWERCASE]
    index = data.draw(st.sampled_from(letter_positions))
    mutated = replace_at(password, index, password[index].upper())
    assert error_code(validate_admin_password, mutated) == "uppercase"


@FAST
@given(password=valid_passwords(), replacement=st.sampled_from(LOWERCASE + DIGITS))
def test_password_of_one_class_only_is_refused(password, replacement):
    keep = LOWERCASE if replacement in LOWERCASE else DIGITS
    mutated = "".join(character if character in keep else replacement for character in password)
    assert error_code(validate_admin_password, mutated) == "letter_and_digit"


@FAST
@given(password=valid_passwords(max_size=38), data=st.data())
def test_password_with_a_character_three_times_in_a_row_is_refused(password, data):
    index = data.draw(st.integers(min_value=0, max_value=len(password) - 1))
    mutated = password[: index + 1] + password[index] * 2 + password[index + 1 :]
    assert error_code(validate_admin_password, mutated) == "repeated"


sequences = st.one_of(
    st.integers(min_value=0, max_value=23).map(lambda start: LOWERCASE[start : start + 3]),
    st.integers(min_value=0, max_value=7).map(lambda start: DIGITS[start : start + 3]),
).flatmap(lambda run: st.sampled_from([run, run[::-1]]))


@FAST
@given(password=valid_passwords(max_size=37), sequence=sequences, data=st.data())
def test_password_with_three_sequential_characters_is_refused(password, sequence, data):
    index = data.draw(st.integers(min_value=0, max_value=len(password)))
    mutated = password[:index] + sequence + password[index:]
    assume(not has_repeated_run(mutated))
    assert error_code(validate_admin_password, mutated) == "sequential"


def test_password_confirmation_matching_is_accepted():
    validate_password_confirmation("a1b2c3d4", "a1b2c3d4")


@pytest.mark.parametrize(
    "confirmation",
    [
        pytest.param("", id="empty"),
        pytest.param("a1b2c3d5", id="one-char-off"),
        pytest.param("A1B2C3D4", id="case-differs"),
        pytest.param("a1b2c3d4 ", id="trailing-space"),
    ],
)
def test_password_confirmation_mismatch_is_refused(confirmation):
    with pytest.raises(ValidationError) as exc:
        validate_password_confirmation("a1b2c3d4", confirmation)
    assert exc.value.code == "password_mismatch"
    assert exc.value.messages == ["The two passwords do not match."]
