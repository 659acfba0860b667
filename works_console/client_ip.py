"""The client's address (SPEC 8): the one every limit counts by, django-axes, django-ratelimit and our own.

Without a trusted proxy it is the peer of the connection (`REMOTE_ADDR`), and `X-Forwarded-For` is ignored:
anyone can write that header. Behind proxies, each proxy appends the address it received the request from, so
the client is the entry that the outermost of our proxies appended: with N proxies, the N-th from the right.
Entries further left were written by the client and are never believed. django-ipware picks that entry; its
`proxy_count` counts the proxies whose addresses appear in the header, which is every proxy but the one that
connects to us (its address is `REMOTE_ADDR`), hence the N - 1 below.

Two settings, from the environment (docs/operations.md):
- `TRUSTED_PROXY_COUNT`: how many proxies stand in front of the console;
- `TRUSTED_PROXIES`: their addresses or networks, the outermost first, the one that connects to us last. Safer
  than a count: a request whose peer is not the last of them (someone reaching the app server directly) and
  whose header does not end with the others has its `X-Forwarded-For` ignored.
A request that did not pass all the proxies (a header too short) is counted by its peer.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ipware import get_client_ip

# What a request without any usable address is counted as (a WSGI server on a Unix socket leaves REMOTE_ADDR
# empty): one shared bucket, so such requests are limited together rather than not at all.
UNKNOWN_ADDRESS = "0.0.0.0"  # noqa: S104 (an address to count by, not one to bind to)


@cache
def _trusted_proxies(count: int, proxies: tuple[str, ...]) -> tuple[int, tuple]:
    """(count, networks), checked once: a misconfiguration fails loudly instead of trusting every header."""
    try:
        networks = tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from error
    if count < 0 or (networks and count not in (0, len(networks))):
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_COUNT={count} with {len(networks)} TRUSTED_PROXIES: give one of them, or agree"
        )
    return len(networks) or count, networks


def _is_within(address: str, network) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def client_ip(request: HttpRequest) -> str:
    """The client's address as the trusted proxies report it (module docstring); never empty."""
    peer = request.META.get("REMOTE_ADDR") or ""
    count, networks = _trusted_proxies(settings.TRUSTED_PROXY_COUNT, tuple(settings.TRUSTED_PROXIES))
    if count == 0 or (networks and not _is_within(peer, networks[-1])):
        return peer or UNKNOWN_ADDRESS
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=count - 1,
        proxy_trusted_ips=[str(network) for network in networks[:-1]] or None,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return address or peer or UNKNOWN_ADDRESS
