"""DNS lookups for domain ownership verification (SPEC 7.2), through configurable resolvers.

Settings (works_console/settings.py, each from the environment variable of its name, docs/operations.md):
- WORKS_DNS_RESOLVERS: list of resolver IP addresses; empty means the system's resolvers (/etc/resolv.conf).
- WORKS_DNS_PORT: the port those resolvers listen on (53).
- WORKS_DNS_TIMEOUT: seconds for the whole lookup, retries included (5).

Any object with dnspython's ``resolve(qname, rdtype)`` can stand in for the resolver (tests pass a local one).
"""

import logging
from typing import Protocol

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class Resolver(Protocol):
    def resolve(self, qname: str, rdtype: str): ...


def configured_resolver() -> dns.resolver.Resolver:
    nameservers = list(settings.WORKS_DNS_RESOLVERS)
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = nameservers
    resolver.port = settings.WORKS_DNS_PORT
    resolver.lifetime = settings.WORKS_DNS_TIMEOUT
    return resolver


def _record_text(rdata) -> str:
    # One TXT record may be split into several character-strings of at most 255 bytes: they form one value.
    return b"".join(rdata.strings).decode("utf-8", errors="replace")


def txt_values(domain: str, *, resolver: Resolver | None = None) -> list[str]:
    """The TXT record values published at `domain` (ASCII form). Raises ValidationError with a clear message
    when the lookup itself fails; an existing name without TXT records gives an empty list."""
    resolver = resolver or configured_resolver()
    try:
        answer = resolver.resolve(domain, "TXT")
    except dns.resolver.NXDOMAIN as error:
        raise ValidationError(
            _("The domain %(domain)s does not exist in DNS."), code="nxdomain", params={"domain": domain}
        ) from error
    except dns.resolver.NoAnswer:
        return []
    except dns.exception.DNSException as error:
        logger.warning("TXT lookup of %s failed: %s", domain, error)
        if isinstance(error, dns.resolver.NoNameservers | dns.exception.Timeout):
            message, code = (
                _("The DNS servers did not answer for %(domain)s. Try again in a few minutes."),
                "dns_unavailable",
            )
        else:
            message, code = _("The DNS lookup for %(domain)s failed. Try again in a few minutes."), "dns_error"
        raise ValidationError(message, code=code, params={"domain": domain}) from error
    return [_record_text(rdata) for rdata in answer]
