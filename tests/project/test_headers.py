"""Security headers (issue 11): a Content-Security-Policy with no inline script, and a Permissions-Policy."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.billing.factories import ActiveSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# An executable inline <script> (no src, not a JSON data block), an on* handler attribute, a style attribute.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b", re.IGNORECASE)


def _pages(customer_client: Client, customer) -> dict[str, str]:
    subscription = ActiveSubscriptionFactory(customer=customer)
    urls = {
        "my-product": reverse("subscriptions:my-product"),
        "apply": reverse("subscriptions:apply"),
        "cancel": reverse("subscriptions:cancel", args=[subscription.public_id]),
        "renewal": reverse("subscriptions:renewal", args=[subscription.public_id]),
        "invoices": reverse("billing:invoices"),
        "profile": reverse("accounts:profile"),
        "password": reverse("accounts:password-change"),
    }
    customer_client.post(
        reverse("workspaces:login"), {"account_id": subscription.admin_account_id, "password": ADMIN_PASSWORD}
    )
    urls["works-company"] = reverse("workspaces:company-setup")
    return urls


def test_every_response_carries_the_csp_and_the_permissions_policy(customer_client, customer, admin_client):
    responses = [customer_client.get(url) for url in _pages(customer_client, customer).values()]
    anonymous = Client()
    responses += [anonymous.get(reverse(name)) for name in ("accounts:login", "workspaces:login", "healthz")]
    responses += [admin_client.get(reverse("admin:index"))]

    assert {response.status_code for response in responses} == {200}
    assert {response["Content-Security-Policy"] for response in responses} == {CSP}
    policies = {response["Permissions-Policy"] for response in responses}
    assert len(policies) == 1
    assert "camera=(), " in policies.pop()


def test_no_page_has_inline_script_handlers_or_styles(customer_client, customer):
    pages = {url: customer_client for url in _pages(customer_client, customer).values()}
    pages |= {reverse(name): Client() for name in ("accounts:login", "accounts:signup", "workspaces:login")}
    offending = {}
    for url, client in pages.items():
        html = client.get(url).content.decode()
        found = [
            p.pattern for p in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, STYLE_ATTRIBUTE, INLINE_STYLE) if p.search(html)
        ]
        if found:
            offending[url] = found

    assert offending == {}


def test_no_template_of_ours_has_inline_script_handlers_or_styles():
    offending = {
        str(path.relative_to(ROOT)): pattern.pattern
        for path in (ROOT / "templates").rglob("*.html")
        if "emails" not in path.parts  # e-mails are not served, and mail clients want their styles inline
        for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, STYLE_ATTRIBUTE, INLINE_STYLE)
        if pattern.search(path.read_text())
    }

    assert offending == {}
