"""The cards of My Product as HTML, each kept in the shared cache (issue 17).

A card's HTML depends on its subscription row, its workspace, its pending reservations, rate segments and recent
invoices, the plan catalog's top tier, the customer's language and today's KST date (days left, the timeline, the
buttons). Every write to the subscription or to the rows it shows moves ``Subscription.version`` on in the same
transaction, and every write to the workspace ``Workspace.version``; so the key below changes whenever the card
would, and a cached card is never stale (docs/decisions.md, "My Product cards in the cache").

The CSRF token of the card's forms is the request's: the cache holds a placeholder, replaced on the way out.
The cache is an optimisation, never a dependency (issue 11): when it fails, every card is rendered.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date

from django.core.cache import cache
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from works_console.cache import CACHE_ERRORS

from . import selectors

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "subscriptions/partials/subscription_card.html"
# Move on when what the card computes changes in Python (selectors, rules): old entries are then never read. A
# change of the card's template changes the keys by itself (its source is part of them).
CARD_CODE_VERSION = 1
# The key holds the date, so an entry is dead after its day; an hour bounds what no version can see (a plan
# renamed in the catalog, new translations deployed) and lets the cache drop entries nobody reads.
CARD_CACHE_SECONDS = 60 * 60
# Stands in the cached HTML for the request's CSRF token (a masked token is per request, never to be shared).
CSRF_PLACEHOLDER = "csrf-token-of-the-request"


@dataclass(frozen=True, slots=True)
class RenderedCard:
    subscription_id: int
    html: SafeString


def card_cache_key(
    listed: selectors.ListedSubscription, *, today: date, language: str, top_tier: int | None, template_source: str
) -> str:
    """Everything the card's HTML is made of, as a key: the subscription's and its workspace's versions, its plan
    (id and names), the top offered tier (the Upgrade button), today's KST date, the page's language, and the
    card's code and template."""
    parts = (*listed.key_facts, top_tier, today.isoformat(), language, CARD_CODE_VERSION, template_source)
    return "my-product-card:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _cached(keys: list[str]) -> dict[str, str]:
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS as error:
        logger.warning("My Product cards rendered without the cache, which is unavailable: %s", error)
        return {}


def _keep(rendered: dict[str, str]) -> None:
    try:
        cache.set_many(rendered, timeout=CARD_CACHE_SECONDS)
    except CACHE_ERRORS as error:
        logger.warning("My Product cards not kept, the cache is unavailable: %s", error)


def my_product_cards_html(request: HttpRequest, rows: selectors.MyProductRows, *, today: date) -> list[RenderedCard]:
    """The cards of ``rows.listed`` in order: from the cache, or built (the facts of all the missing ones read in
    three queries) and kept."""
    template = get_template(CARD_TEMPLATE)
    common = {"today": today, "language": get_language(), "top_tier": rows.top_tier}
    common["template_source"] = hashlib.sha256(template.template.source.encode()).hexdigest()
    keys = [card_cache_key(listed, **common) for listed in rows.listed]
    found = _cached(keys)
    missing = [(listed.subscription, key) for listed, key in zip(rows.listed, keys, strict=True) if key not in found]
    if missing:
        selectors.prefetch_card_facts([subscription for subscription, _key in missing])
        built = {
            key: template.render(
                {
                    "card": selectors.subscription_card(subscription, today=today, top_tier=rows.top_tier),
                    "csrf_token": CSRF_PLACEHOLDER,
                }
            )
            for subscription, key in missing
        }
        _keep(built)
        found |= built
    token = get_token(request)
    return [
        # Our template's output, escaped when it was rendered; only the placeholder is replaced.
        RenderedCard(listed.pk, mark_safe(found[key].replace(CSRF_PLACEHOLDER, token)))  # noqa: S308
        for listed, key in zip(rows.listed, keys, strict=True)
    ]
