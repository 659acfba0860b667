"""URL converters for the opaque public ids (SPEC 9).

A public id is `secrets.token_urlsafe(12)`: 16 characters of the URL-safe base64 alphabet. The converter
matches that alphabet only, so a path with any other byte (a NUL, `%FF`, a dot) is a 404 from the resolver
and never reaches the database, where PostgreSQL refuses a NUL in a string with an error (a 500).
"""

import re

# The alphabet of secrets.token_urlsafe; the length bound is the model fields' max_length (24).
PUBLIC_ID_PATTERN = r"[A-Za-z0-9_-]{1,24}"
_PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)


def is_public_id(value: str) -> bool:
    """True when `value` could be a public id (the same rule as the URL converter, for query parameters)."""
    return _PUBLIC_ID.fullmatch(value) is not None


class PublicIdConverter:
    regex = PUBLIC_ID_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
