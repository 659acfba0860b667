"""Bad input never gives a 500 (SPEC 10): every page of the console, fed garbage, answers below 500."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from subscriptions.models import Subscription
from tests.billing.factories import ActiveSubscriptionFactory
from tests.subscriptions.factories import InvoiceFactory
from tests.workspaces.factories import ADMIN_PASSWORD

pytestmark = pytest.mark.django_db

GARBAGE = {
    "plan": "9999",
    "contract_type": "weekly",
    "licences": "-3",
    "start_on": "2026-02-30",
    "on": "yesterday",
    "cancellation_date": "31/12/2026",
    "phrase": "x" * 5000,
    "option": "forever",
    "group_name": "\x00bad",
    "domain_name": "-" * 300,
    "account_id": "@@@",
    "password": "",
    "login_id": "A" * 100,
    "name": "",
    "new_name": "..",
    "company_phone": "not a phone",
    "region": "Mars",
    "platform": "?",
    "wizard_goto_step": "nowhere",
    "apply_wizard-current_step": "nowhere",
    "upgrade_wizard-current_step": "nowhere",
    "page": "-1",
}


def _console_urls(customer) -> list[str]:
    subscription = ActiveSubscriptionFactory(customer=customer)
    invoice = InvoiceFactory(subscription=subscription, customer=customer)
    args_for = {"public_id": subscription.public_id}
    urls = []

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                walk(pattern.url_patterns, f"{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and "logout" not in pattern.name:
                kwargs = {
                    key: 999_999 if isinstance(converter, IntConverter) else args_for.get(key, invoice.public_id)
                    for key, converter in pattern.pattern.converters.items()
                }
                urls.append(reverse(f"{namespace}{pattern.name}", kwargs=kwargs))

    walk(get_resolver().url_patterns)
    return urls


def test_no_page_answers_500_to_garbage(customer, customer_client):
    urls = _console_urls(customer)
    assert len(urls) > 30
    # The same browser is also logged in to NAVER WORKS Admin, so its pages get the garbage too.
    admin_account = Subscription.objects.get(customer=customer).admin_account_id
    login = customer_client.post(
        reverse("workspaces:login"), {"account_id": admin_account, "password": ADMIN_PASSWORD}
    )
    assert login.status_code == 302

    failures, statuses = [], set()
    for url in urls:
        for response in (
            customer_client.get(url, GARBAGE),
            customer_client.post(url, GARBAGE),
            customer_client.post(url, GARBAGE, HTTP_HX_REQUEST="true"),
        ):
            statuses.add(response.status_code)
            if response.status_code >= 500:
                failures.append((url, response.request["REQUEST_METHOD"], response.status_code))

    assert failures == []
    assert {200, 302, 404, 405} <= statuses  # pages were reached, not only redirected away


def test_a_tampered_wizard_step_shows_the_current_step_again(customer, customer_client):
    subscription = ActiveSubscriptionFactory(customer=customer)
    wizards = [
        (reverse("subscriptions:apply"), "apply_wizard"),
        (reverse("subscriptions:upgrade", args=[subscription.public_id]), f"upgrade_{subscription.public_id}"),
    ]

    for url, prefix in wizards:
        customer_client.get(url)
        response = customer_client.post(url, {f"{prefix}-current_step": "nowhere"})

        assert response.status_code == 200
        assert response.context["wizard"]["steps"].current == "plan"
