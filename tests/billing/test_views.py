"""The Invoices pages (SPEC 3, 9): one row per invoice with thousands separators, lines, scoped to the customer."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.exports import spreadsheet_safe
from billing.models import ContractType, Invoice
from tests.accounts.factories import UserFactory
from tests.billing.factories import (
    ActiveSubscriptionFactory,
    CreditGrantFactory,
    issue_due,
    kst,
    waived_final_invoice,
)
from tests.subscriptions.factories import InvoiceFactory
from tests.subscriptions.test_my_product import empty_state_illustration

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


def test_no_invoice_yet_shows_the_empty_state_illustration(customer_client):
    html = customer_client.get(reverse("billing:invoices")).content.decode()

    assert "No invoices yet" in html
    empty_state_illustration(html)


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


# --- numbers, credit notes, PDF and CSV (SPEC 12) -----------------------------------------------------------------


def test_a_waived_penalty_shows_amount_due_0_on_the_invoice_page_with_its_credit_note(customer_client, customer):
    invoice, note = waived_final_invoice(customer=customer, on=date(2027, 2, 15))  # the penalty alone: 57,200

    html = customer_client.get(reverse("billing:invoice-detail", args=[invoice.public_id])).content.decode()

    assert f'Final invoice <span class="text-secondary fs-6 text-nowrap">{invoice.number}</span>' in html
    assert '<td class="amount fw-semibold" data-total="total">₩57,200</td>' in html
    assert '<td class="amount" data-total="credited">−₩57,200</td>' in html
    assert '<td class="amount fw-semibold" data-total="amount-due">₩0</td>' in html
    credit_note_link = reverse("billing:credit-note-detail", args=[note.public_id])
    assert f'<a href="{credit_note_link}">CN-2027-000001</a>' in html
    assert f'href="{reverse("billing:invoice-pdf", args=[invoice.public_id])}" download>Download PDF</a>' in html


def test_the_list_shows_each_invoices_number_and_amount_due_after_its_credit_notes(customer_client, customer):
    waived, note = waived_final_invoice(customer=customer)  # 82,500 less the credit note's 55,000
    other = lite_monthly(customer)
    issue_due(other, kst(2027, 1, 15))

    html = customer_client.get(INVOICES).content.decode()

    assert len(body_rows(html)) == 2
    assert re.search(
        rf'<td data-label="Number"><div><span class="text-nowrap">{waived.number}</span>'
        rf'<div class="small"><a href="{reverse("billing:credit-note-detail", args=[note.public_id])}"',
        html,
    )
    assert 'data-label="Total">₩82,500</td>' in html
    assert 'data-amount-due="27500">₩27,500</td>' in html
    assert 'data-amount-due="3960">₩3,960</td>' in html
    assert f'href="{reverse("billing:invoices-csv")}" download>Download CSV</a>' in html


def test_the_invoice_list_costs_a_fixed_number_of_queries(customer_client, customer, django_assert_num_queries):
    waived_final_invoice(customer=customer)
    for _ in range(3):
        issue_due(lite_monthly(customer), kst(2027, 3, 20))

    # session, user, credit balance, count, the page's invoices (with amount due), their credit notes
    with django_assert_num_queries(6):
        response = customer_client.get(INVOICES)

    assert len(body_rows(response.content.decode())) == 10


def test_a_credit_note_has_its_own_page_for_its_owner(customer_client, customer):
    invoice, note = waived_final_invoice(customer=customer)

    html = customer_client.get(reverse("billing:credit-note-detail", args=[note.public_id])).content.decode()

    assert 'Credit note <span class="text-secondary fs-6 text-nowrap">CN-2027-000001</span>' in html
    assert f'<a href="{reverse("billing:invoice-detail", args=[invoice.public_id])}">{invoice.number}</a>' in html
    assert "Penalty waived" in html
    assert '<td class="amount fw-semibold" data-total="total">−₩55,000</td>' in html
    assert '<td class="amount fw-semibold" data-total="amount-due">₩27,500</td>' in html
    assert f'href="{reverse("billing:credit-note-pdf", args=[note.public_id])}" download>Download PDF</a>' in html


def test_the_pdf_downloads_are_the_owners_as_number_pdf(customer_client, customer):
    invoice, note = waived_final_invoice(customer=customer)

    for url, number in [
        (reverse("billing:invoice-pdf", args=[invoice.public_id]), invoice.number),
        (reverse("billing:credit-note-pdf", args=[note.public_id]), note.number),
    ]:
        response = customer_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{number}.pdf"'
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("route", ["billing:credit-note-detail", "billing:credit-note-pdf", "billing:invoice-pdf"])
def test_another_customers_credit_note_and_pdfs_are_a_404(customer_client, route):
    invoice, note = waived_final_invoice(customer=UserFactory())
    public_id = invoice.public_id if route == "billing:invoice-pdf" else note.public_id

    response = customer_client.get(reverse(route, args=[public_id]))

    assert response.status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == ""  # nothing rendered for a stranger


@pytest.mark.parametrize(
    "path",
    [
        reverse("billing:invoices-csv"),
        reverse("billing:invoice-pdf", args=["abc"]),
        reverse("billing:credit-note-detail", args=["abc"]),
        reverse("billing:credit-note-pdf", args=["abc"]),
    ],
)
def test_documents_need_a_login(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # the BOM: spreadsheet programs then read Hangul and kana
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_csv_has_a_header_and_one_row_per_invoice_and_credit_note(customer_client, customer):
    invoice, note = waived_final_invoice(customer=customer)
    monthly = lite_monthly(customer)
    [january] = issue_due(monthly, kst(2027, 1, 15))
    issue_due(lite_monthly(UserFactory()), kst(2027, 1, 15))  # someone else's

    response = customer_client.get(reverse("billing:invoices-csv"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="invoices-')
    assert read_csv(response) == [
        [
            "Number",
            "Kind",
            "Issue date",
            "Period",
            "Subtotal",
            "Credit applied",
            "VAT",
            "Total",
            "Amount due",
            "Subscription",
            "Credited invoice",
        ],
        [
            january.number,
            "Invoice",
            "2027-01-15",
            "2026-12-15 – 2027-01-14",
            "3600",
            "0",
            "360",
            "3960",
            "3960",
            monthly.name,
            "",
        ],
        [invoice.number, "Final invoice", "2027-03-01", "2027-02-15 – 2027-02-28", "75000", "0", "7500", "82500",
         "27500", invoice.subscription.name, ""],
        [note.number, "Credit note", "2027-03-01", "2027-02-15 – 2027-02-28", "-50000", "0", "-5000", "-55000", "",
         invoice.subscription.name, invoice.number],
    ]  # fmt: skip


def test_the_csv_speaks_the_customers_ui_language_in_utf_8(customer_client, customer):
    waived_final_invoice(customer=customer)

    rows = read_csv(customer_client.get(reverse("billing:invoices-csv"), HTTP_ACCEPT_LANGUAGE="ko"))

    assert rows[0][:3] == ["번호", "종류", "발행일"]
    assert [row[1] for row in rows[1:]] == ["최종 청구서", "크레딧 노트"]


def test_the_csv_writes_cells_that_look_like_formulas_as_text(customer_client, customer):
    invoice = InvoiceFactory(subscription__customer=customer, subscription__name='=HYPERLINK("http://x","y")')
    for name in ["+cmd", "-2+3", "@SUM(A1)"]:
        InvoiceFactory(subscription__customer=customer, subscription__name=name)

    rows = read_csv(customer_client.get(reverse("billing:invoices-csv")))

    names = sorted(row[9] for row in rows[1:])
    assert names == sorted(["'+cmd", "'-2+3", '\'=HYPERLINK("http://x","y")', "'@SUM(A1)"])
    assert {row[7] for row in rows[1:]} == {str(invoice.total)}  # amounts stay numbers


@pytest.mark.parametrize(
    ("value", "written"),
    [
        pytest.param("=1+1", "'=1+1", id="equals"),
        pytest.param("+82 2", "'+82 2", id="plus"),
        pytest.param("-cmd", "'-cmd", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\t=1", "'\t=1", id="tab"),
        pytest.param("\r=1", "'\r=1", id="carriage-return"),
        pytest.param("team-1", "team-1", id="plain-text"),
        pytest.param(-55_000, -55_000, id="negative-amount-stays-a-number"),
        pytest.param(0, 0, id="zero"),
        pytest.param(None, "", id="none"),
    ],
)
def test_spreadsheet_safe_cells(value, written):
    assert spreadsheet_safe(value) == written
