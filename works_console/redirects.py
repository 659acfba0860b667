"""Where a `next` parameter may send the browser: a path on this site, nothing else (issue 11).

`django.shortcuts.redirect(value)` would first try `value` as a view name (`reverse("abc")`), and a bare word
that is neither a view nor a URL then raises NoReverseMatch: a 500. A `next` is taken only as a path.
"""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_path(request: HttpRequest, value: str | None) -> str | None:
    """`value` when it is a path on this site (`/...`, not `//host`, no control characters), else None."""
    if not value or not value.startswith("/") or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return value
