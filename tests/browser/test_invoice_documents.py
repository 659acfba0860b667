"""A customer reads a waived penalty in Chromium: the invoice list's `Number` and `Amount due`, the invoice page
with its credit note, `Download PDF` and `Download CSV` (SPEC 9 `invoices (added)`, SPEC 12)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory
from tests.billing.factories import waived_final_invoice
from tests.browser.test_paid_journeys import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_waived_penalty_owes_nothing_and_its_documents_download(page, screenshot):
    customer = UserFactory()
    invoice, note = waived_final_invoice(customer=customer, on=date(2027, 2, 15))
    log_in(page, customer.email)

    page.get_by_role("link", name="Invoices").click()
    table = page.get_by_role("table", name="Invoices")
    expect(table.get_by_role("columnheader", name="Number")).to_be_visible()
    expect(table.get_by_role("columnheader", name="Amount due")).to_be_visible()
    expect(table.locator("td[data-label='Amount due']")).to_have_text("₩0")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    assert csv_download.value.suggested_filename.startswith("invoices-")
    screenshot("invoices-with-amount-due")

    page.get_by_role("link", name=f"Details {invoice.number}").click()
    expect(page.locator("[data-total='amount-due']")).to_have_text("₩0")
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download PDF").click()
    assert pdf_download.value.suggested_filename == f"{invoice.number}.pdf"

    page.get_by_role("link", name=note.number).click()
    expect(page.get_by_role("heading", name=f"Credit note {note.number}")).to_be_visible()
    with page.expect_download() as note_download:
        page.get_by_role("link", name="Download PDF").click()
    assert note_download.value.suggested_filename == f"{note.number}.pdf"
