"""Application rules for a new workspace (SPEC 5.1, reused by the admin pages of SPEC 7.2).

Every validator raises ``ValidationError`` with one translatable message and a stable ``code`` naming the
first broken rule, so forms, the htmx availability check and services can all show the same text.
No validator touches the database: uniqueness ("free") is checked elsewhere and enforced by PostgreSQL.
"""

import contextlib
import encodings.idna
import string
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# SPEC 5.1: exact names refused as group names.
RESERVED_GROUP_NAMES = {"admin", "line"}
# SPEC 5.1: no group name (and, by our decision, no domain name) may contain these.
RESERVED_FRAGMENTS = ("naverworks", "worksmobile", "lineworks")

GROUP_NAME_MIN_LENGTH = 2
GROUP_NAME_MAX_LENGTH = 22
ADMIN_ID_MIN_LENGTH = 2
ADMIN_ID_MAX_LENGTH = 40
ADMIN_PASSWORD_MIN_LENGTH = 8
ADMIN_PASSWORD_MAX_LENGTH = 40
DOMAIN_NAME_MAX_LENGTH = 253
# Longest account ID accepted before a validator even looks at it: `id@domain` is at most 40 + 1 + 253.
ACCOUNT_ID_MAX_LENGTH = 300
DOMAIN_LABEL_MAX_LENGTH = 63
TLD_MIN_LENGTH = 2

# Sets are spelled out (not str.isalnum()/isdigit()) so that "é", "한" or "٣" never pass as letters or digits.
_LOWERCASE = frozenset(string.ascii_lowercase)
_UPPERCASE = frozenset(string.ascii_uppercase)
_DIGITS = frozenset(string.digits)
_GROUP_NAME_CHARS = _LOWERCASE | _DIGITS | {"-"}
_ADMIN_ID_CHARS = _LOWERCASE | _DIGITS | {".", "-", "_"}
_ADMIN_PASSWORD_CHARS = _LOWERCASE | _DIGITS
_DOMAIN_LABEL_CHARS = _LOWERCASE | _DIGITS | {"-"}
# Label separators recognised by IDNA (RFC 3490 section 3.1): full stop, ideographic, fullwidth, halfwidth.
_IDNA_DOTS = ("\u3002", "\uff0e", "\uff61")
_ACE_PREFIX = "xn--"


def _validate_length(value: str, minimum: int, maximum: int, message: str) -> None:
    if not minimum <= len(value) <= maximum:
        raise ValidationError(message, code="length", params={"min": minimum, "max": maximum, "length": len(value)})


def validate_group_name(value: str) -> None:
    """Refuse a group name that breaks SPEC 5.1.

    2-22 characters of lowercase ASCII letters, digits and ``-``; uppercase is refused (never silently
    lowercased); ``-`` never first, last or doubled; ``admin``, ``line`` and any name containing
    ``naverworks``, ``worksmobile`` or ``lineworks`` are reserved.

    Rules are checked in the order length, characters, uppercase, hyphen_edge, hyphen_double, reserved:
    a symbol is reported before uppercase because the characters message already says "lowercase", and
    the reserved check comes last because it only matters for a name that is otherwise valid.
    """
    message = _("A group name must have %(min)d to %(max)d characters (it has %(length)d).")
    _validate_length(value, GROUP_NAME_MIN_LENGTH, GROUP_NAME_MAX_LENGTH, message)
    if not set(value) <= _GROUP_NAME_CHARS | _UPPERCASE:
        raise ValidationError(
            _("A group name may contain only lowercase letters (a-z), digits (0-9) and hyphens (-)."),
            code="characters",
        )
    if not _UPPERCASE.isdisjoint(value):
        raise ValidationError(
            _("A group name must be in lowercase: uppercase letters are not allowed."), code="uppercase"
        )
    if value.startswith("-") or value.endswith("-"):
        raise ValidationError(_("A group name cannot start or end with a hyphen (-)."), code="hyphen_edge")
    if "--" in value:
        raise ValidationError(_("A group name cannot contain two hyphens in a row (--)."), code="hyphen_double")
    if value in RESERVED_GROUP_NAMES:
        raise ValidationError(
            _("“%(name)s” is a reserved name. Choose another group name."), code="reserved", params={"name": value}
        )
    _validate_no_reserved_fragment(value, message=_("A group name cannot contain “%(fragment)s”."))


def _validate_no_reserved_fragment(value: str, *, message: str) -> None:
    for fragment in RESERVED_FRAGMENTS:
        if fragment in value:
            raise ValidationError(message, code="reserved", params={"fragment": fragment})


def _invalid_domain() -> ValidationError:
    return ValidationError(
        _("Enter a valid domain name: it cannot be converted to its ASCII (xn--) form."), code="invalid_domain"
    )


def _label_to_ascii(label: str) -> str:
    """Convert one label to its ASCII form, like ``encodings.idna.ToASCII`` but without its length check.

    The length check is left to ``validate_domain_name`` so that an empty or overlong label gets its own
    message. Raises ``UnicodeError`` when the label cannot be converted.
    """
    if label.isascii():
        if label.startswith(_ACE_PREFIX):
            # An ASCII label that claims to be punycode must decode and round-trip, or it is not IDNA at all.
            encodings.idna.ToUnicode(label)
        return label
    prepared = encodings.idna.nameprep(label)
    if prepared.isascii():  # e.g. fullwidth "ｅｘａｍｐｌｅ" folds to plain "example"
        return prepared
    if prepared.startswith(_ACE_PREFIX):
        raise UnicodeError("label starts with the ACE prefix")
    return _ACE_PREFIX + prepared.encode("punycode").decode("ascii")


def normalize_domain_name(value: str) -> str:
    """Return the form a domain name is stored in (SPEC 5.1: "IDNA accepted and stored in its ASCII form").

    Strips surrounding whitespace, lowercases, drops one trailing dot (the DNS root) and converts every
    internationalised label to punycode (``한국.kr`` -> ``xn--3e0b707e.kr``). The structure of the name is
    not judged here; ``validate_domain_name`` does that. Raises ``ValidationError(code="invalid_domain")``
    when a label cannot be converted (prohibited character, broken ``xn--`` label).

    The conversion uses Python's built-in ``idna`` codec, which implements IDNA 2003 (nameprep): ``ß``
    becomes ``ss`` where IDNA 2008 would keep it. The third-party ``idna`` package (IDNA 2008 / UTS 46) is
    not a dependency of this project.
    """
    name = value.strip().lower()
    for dot in _IDNA_DOTS:
        name = name.replace(dot, ".")
    name = name.removesuffix(".")
    try:
        return ".".join(_label_to_ascii(label) for label in name.split("."))
    except UnicodeError as error:
        raise _invalid_domain() from error


# Unicode categories dropped from an account ID: format characters, which render as nothing (zero-width space and
# joiners, the byte order mark, the soft hyphen), and control characters (NUL among them).
_INVISIBLE_CATEGORIES = ("Cf", "Cc")


def normalize_account_id(account_id: str) -> str:
    """The one form of an account ID (``login_id@name``) that the login looks an account up by and the failed-login
    limits count by (SPEC 7.1, accounts/throttling.py), so that every spelling reaching an account counts as it.

    NFKC folds full-width and other compatibility forms (``admin@ｂｒavo-co``), invisible and control characters
    are dropped, case is folded, and the name after the last ``@`` is normalized as a domain name: ideographic
    full stops, one trailing dot, IDNA to punycode (``normalize_domain_name``). A string that cannot be an account
    ID comes back cleaned the same way: it names no account, and its failures still count.
    """
    folded = unicodedata.normalize("NFKC", account_id or "")
    visible = "".join(char for char in folded if unicodedata.category(char) not in _INVISIBLE_CATEGORIES)
    cleaned = visible.strip().lower()
    login_id, at, name = cleaned.rpartition("@")
    if at and login_id and name:
        with contextlib.suppress(ValidationError):  # not a domain: left as cleaned, it names no workspace
            cleaned = f"{login_id}@{normalize_domain_name(name)}"
    return cleaned[:ACCOUNT_ID_MAX_LENGTH]


def unicode_name(name: str) -> str:
    """The form people write a stored name in (issue 12): punycode labels back in Unicode.

    ``xn--r8jz45g.jp`` -> ``例え.jp``; an account ID keeps its ID (``admin@xn--r8jz45g.jp`` -> ``admin@例え.jp``).
    Group names and plain ASCII domains come back unchanged, and so does a label that does not decode. DNS
    still needs the stored ASCII form, so the TXT record instructions show both.
    """
    local, at, domain = name.rpartition("@")
    if _ACE_PREFIX not in domain:
        return name
    labels = []
    for label in domain.split("."):
        try:
            labels.append(encodings.idna.ToUnicode(label) if label.startswith(_ACE_PREFIX) else label)
        except UnicodeError:
            labels.append(label)
    return f"{local}{at}{'.'.join(labels)}"


def validate_domain_name(value: str) -> None:
    """Refuse a domain name that breaks SPEC 5.1 ("a valid domain name"), judged on its normalized ASCII form.

    At most 253 characters; at least two labels; each label 1-63 characters of ``a-z``, ``0-9`` and ``-``,
    not starting or ending with ``-``; a top-level domain of at least 2 characters, not all digits (this also
    refuses IPv4 addresses). Names containing ``naverworks``, ``worksmobile`` or ``lineworks`` are refused
    like group names, so that no workspace account ID can look like the vendor's own.
    """
    name = normalize_domain_name(value)
    labels = name.split(".")
    if len(labels) < 2:
        raise ValidationError(_("Enter a full domain name, such as example.com."), code="domain_labels")
    if len(name) > DOMAIN_NAME_MAX_LENGTH:
        raise ValidationError(
            _("A domain name can have at most %(max)d characters in its ASCII form (it has %(length)d)."),
            code="domain_length",
            params={"max": DOMAIN_NAME_MAX_LENGTH, "length": len(name)},
        )
    for label in labels:
        if not 1 <= len(label) <= DOMAIN_LABEL_MAX_LENGTH:
            raise ValidationError(
                _("Each part of a domain name between dots must have 1 to %(max)d characters."),
                code="label_length",
                params={"max": DOMAIN_LABEL_MAX_LENGTH},
            )
        if not set(label) <= _DOMAIN_LABEL_CHARS:
            raise ValidationError(
                _("A domain name may contain only letters, digits, hyphens (-) and dots (.)."),
                code="label_characters",
            )
        if label.startswith("-") or label.endswith("-"):
            raise ValidationError(
                _("No part of a domain name between dots can start or end with a hyphen (-)."),
                code="label_hyphen_edge",
            )
    top_level_domain = labels[-1]
    # All-digits first, so an IPv4 address such as 192.168.0.1 is told it is not a domain name at all.
    if top_level_domain.isdigit():
        raise ValidationError(
            _("The last part of a domain name (such as .com or .kr) cannot be only digits."), code="tld_numeric"
        )
    if len(top_level_domain) < TLD_MIN_LENGTH:
        raise ValidationError(
            _("The last part of a domain name (such as .com or .kr) must have at least %(min)d characters."),
            code="tld_length",
            params={"min": TLD_MIN_LENGTH},
        )
    _validate_no_reserved_fragment(name, message=_("A domain name cannot contain “%(fragment)s”."))


def too_long(message: str, maximum: int) -> ValidationError:
    """The error of a text over ``maximum`` characters (``message`` names the %(max)d)."""
    return ValidationError(message, code="max_length", params={"max": maximum})


def field_errors(checks: dict) -> dict[str, ValidationError]:
    """Run ``{field: (validator, value)}`` and return the errors by field (none when every value passes)."""
    errors = {}
    for field, (validator, value) in checks.items():
        try:
            validator(value)
        except ValidationError as error:
            errors[field] = error
    return errors


def clean_workspace_name(kind: str, value: str) -> str:
    """The group or domain name as stored, once every SPEC 5.1 rule holds: a group name as typed (uppercase is
    refused, never lowered), a domain name in its lowercase IDNA ASCII form.

    The one check of a workspace name: the wizard's form, the "Check availability" button, the application
    service and the workspace creation all call it. Raises ValidationError (code ``account_type`` for a kind
    that is neither ``group`` nor ``domain``).
    """
    if kind == "group":
        validate_group_name(value)
        return value
    if kind == "domain":
        validate_domain_name(value)
        return normalize_domain_name(value)
    raise ValidationError(_("Choose a group name or a domain name."), code="account_type")


def validate_admin_id(value: str) -> None:
    """Refuse an admin ID that breaks SPEC 5.1: 2-40 characters of lowercase letters, digits, ``.``, ``-``, ``_``.

    Checked in the order length, characters, uppercase; uppercase gets its own message and is never
    silently lowercased.
    """
    message = _("An ID must have %(min)d to %(max)d characters (it has %(length)d).")
    _validate_length(value, ADMIN_ID_MIN_LENGTH, ADMIN_ID_MAX_LENGTH, message)
    if not set(value) <= _ADMIN_ID_CHARS | _UPPERCASE:
        raise ValidationError(
            _(
                "An ID may contain only lowercase letters (a-z), digits (0-9), dots (.), hyphens (-) "
                "and underscores (_)."
            ),
            code="characters",
        )
    if not _UPPERCASE.isdisjoint(value):
        raise ValidationError(_("An ID must be in lowercase: uppercase letters are not allowed."), code="uppercase")


def _has_repeated_run(value: str) -> bool:
    """True if one character appears 3 or more times in a row (``aaa``, ``111``)."""
    return any(first == second == third for first, second, third in zip(value, value[1:], value[2:], strict=False))


def _is_sequential(first: str, second: str, third: str) -> bool:
    """True for 3 letters or 3 digits whose code points go up or down by one (``abc``, ``cba``, ``123``, ``321``).

    There is no wrap-around: ``yza`` and ``901`` are not sequences.
    """
    same_class = {first, second, third} <= _LOWERCASE or {first, second, third} <= _DIGITS
    step = ord(second) - ord(first)
    return same_class and step in (1, -1) and ord(third) - ord(second) == step


def _has_sequential_run(value: str) -> bool:
    return any(_is_sequential(*triple) for triple in zip(value, value[1:], value[2:], strict=False))


def validate_admin_password(value: str) -> None:
    """Refuse an admin password that breaks SPEC 5.1 (also the initial member password of SPEC 7.2).

    8-40 characters; only lowercase letters and digits, at least one of each; no character 3 or more times
    in a row; no 3 sequential letters or digits, ascending or descending. The first broken rule is reported,
    in the order length, characters, uppercase, letter_and_digit, repeated, sequential. Messages never echo
    the password or a part of it.
    """
    message = _("The password must have %(min)d to %(max)d characters (it has %(length)d).")
    _validate_length(value, ADMIN_PASSWORD_MIN_LENGTH, ADMIN_PASSWORD_MAX_LENGTH, message)
    if not set(value) <= _ADMIN_PASSWORD_CHARS | _UPPERCASE:
        raise ValidationError(
            _("The password may contain only lowercase letters (a-z) and digits (0-9)."), code="characters"
        )
    if not _UPPERCASE.isdisjoint(value):
        raise ValidationError(
            _("The password must be in lowercase: uppercase letters are not allowed."), code="uppercase"
        )
    if _LOWERCASE.isdisjoint(value) or _DIGITS.isdisjoint(value):
        raise ValidationError(
            _("The password must contain at least one letter and at least one digit."), code="letter_and_digit"
        )
    if _has_repeated_run(value):
        raise ValidationError(
            _("The password cannot contain the same character 3 or more times in a row (such as “aaa” or “111”)."),
            code="repeated",
        )
    if _has_sequential_run(value):
        raise ValidationError(
            _("The password cannot contain 3 sequential letters or digits (such as “abc”, “cba”, “123” or “321”)."),
            code="sequential",
        )


def validate_password_confirmation(password: str, confirmation: str) -> None:
    """Refuse a confirmation that differs from the password (SPEC 5.1 "Confirm admin password must match")."""
    if password != confirmation:
        raise ValidationError(_("The two passwords do not match."), code="password_mismatch")


def admin_account_id(admin_id: str, name: str) -> str:
    """Return the account ID shown to the customer and used to log in: ``ID@group`` or ``ID@domain`` (SPEC 5.1, 7.1).

    ``name`` is the group name or the normalized (ASCII) domain name.
    """
    return f"{admin_id}@{name}"
