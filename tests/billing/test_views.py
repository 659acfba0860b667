"""The Invoices pages (SPEC 3, 9): one row per invoice with thousands separators, lines, scoped to the customer."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import ContractType
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, CreditGrantFactory, issue_due, kst

pytestmark = pytest.mark.django_db

INVOICES = reverse("billing:invoices")


def lite_monthly(customer):
    # one member (the admin) x 3,600 for a full period = 3,600 + VAT 360 = 3,960
    return ActiveSubscriptionFactory(customer=customer, plan_code="lite", contract_type=ContractType.MONTHLY)


def body_rows(html: str) -> list[str]:
    tbody = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return re.findall(r"<tr data-invoice=", tbody)


def test_the_invoice_list_has_a_header_and_one_row_per_invoice(customer_client, customer):
    subscription = lite_monthly(customer)
    issue_due(subscription, kst(2027, 3, 20))

    html = customer_client.get(INVOICES).content.decode()

    assert re.search(r"<thead>\s*<tr>\s*<th scope=\"col\">Number</th>\s*<th scope=\"col\">Period</th>", html)
    assert len(body_rows(html)) == 3
    assert html.count('<td class="amount" data-label="Total">₩3,960</td>') == 3
    assert html.count('<td class="amount fw-semibold" data-label="Amount due" data-amount-due="3960">₩3,960</td>') == 3
    assert "2027-02-15 – 2027-03-14" in html


def test_the_invoice_list_costs_the_same_queries_for_one_or_many_invoices(customer, customer_client):
    subscription = lite_monthly(customer)
    issue_due(subscription, kst(2027, 1, 15))
    with CaptureQueriesContext(connection) as one:
        customer_client.get(INVOICES)

    other = ActiveSubscriptionFactory(customer=customer)
    issue_due(subscription, kst(2027, 6, 20))
    issue_due(other, kst(2027, 6, 20))
    with CaptureQueriesContext(connection) as many:
        response = customer_client.get(INVOICES)

    assert len(body_rows(response.content.decode())) == 12
    assert len(many) == len(one)


def test_the_list_shows_only_the_customers_invoices(customer_client, customer):
    mine = lite_monthly(customer)
    theirs = lite_monthly(UserFactory())
    issue_due(mine, kst(2027, 1, 15))
    issue_due(theirs, kst(2027, 1, 15))

    html = customer_client.get(INVOICES).content.decode()

    assert len(body_rows(html)) == 1
    assert theirs.name not in html


def test_the_detail_shows_lines_credit_vat_and_total(customer_client, customer):
    subscription = ActiveSubscriptionFactory(customer=customer)
    CreditGrantFactory(customer=customer, amount=12_345)
    invoice = issue_due(subscription, kst(2027, 1, 15))[0]

    html = customer_client.get(reverse("billing:invoice-detail", args=[invoice.public_id])).content.decode()

    # 50,000 - 12,345 = 37,655; VAT 3,765.5 -> 3,765; total 41,420
    assert "Basic, 2026-12-15 – 2027-01-14" in html
    assert re.search(
        r"<td>Annual</td>\s*<td class=\"amount\">₩5,000</td>\s*<td class=\"amount\">10</td>\s*"
        r"<td class=\"amount\">31/31</td>\s*<td class=\"amount\">₩50,000</td>",
        html,
    )
    assert '<td class="amount" data-total="credit">−₩12,345</td>' in html
    assert '<td class="amount" data-total="vat">₩3,765</td>' in html
    assert '<td class="amount fw-semibold" data-total="total">₩41,420</td>' in html


def test_another_customers_invoice_is_a_404(customer_client):
    theirs = lite_monthly(UserFactory())
    invoice = issue_due(theirs, kst(2027, 1, 15))[0]

    response = customer_client.get(reverse("billing:invoice-detail", args=[invoice.public_id]))

    assert response.status_code == 404


@pytest.mark.parametrize("path", [INVOICES, reverse("billing:invoice-detail", args=["abc"])])
def test_invoices_need_a_login(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
