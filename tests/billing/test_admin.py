"""Django admin for invoices (read-only, lines inline) and customer credits (granted with a reason)."""

import pytest
from django.urls import reverse

from billing.models import CustomerCredit, Invoice
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, issue_due, kst, waived_final_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice():
    subscription = ActiveSubscriptionFactory()
    return issue_due(subscription, kst(2027, 1, 15))[0]


def test_invoices_are_listed_and_shown_read_only_with_their_lines(admin_client, invoice):
    listing = admin_client.get(reverse("admin:billing_invoice_changelist"))
    detail = admin_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))

    assert listing.status_code == 200
    assert invoice.number in listing.content.decode()
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "Basic 2026-12-15 – 2027-01-14" in html
    assert 'name="subtotal"' not in html  # nothing is editable


def test_operators_cannot_add_change_or_delete_invoices(admin_client, invoice):
    add = admin_client.get(reverse("admin:billing_invoice_add"))
    change = admin_client.post(reverse("admin:billing_invoice_change", args=[invoice.pk]), {"total": "1"})
    delete = admin_client.post(reverse("admin:billing_invoice_delete", args=[invoice.pk]), {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert Invoice.objects.get(pk=invoice.pk).total == 55_000


def test_an_operator_grants_credit_with_a_reason(admin_client, admin_user):
    customer = UserFactory()

    response = admin_client.post(
        reverse("admin:billing_customercredit_add"),
        {"customer": customer.pk, "amount": "15000", "reason": "Service outage on 2026-11-20"},
    )

    assert response.status_code == 302
    assert list(CustomerCredit.objects.values_list("customer", "amount", "reason", "granted_by", "invoice")) == [
        (customer.pk, 15_000, "Service outage on 2026-11-20", admin_user.pk, None)
    ]


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        pytest.param("0", "Goodwill", "A credit grant must be more than 0 KRW.", id="zero"),
        pytest.param("-100", "Goodwill", "A credit grant must be more than 0 KRW.", id="negative"),
        pytest.param("1000", "", "This field is required.", id="no-reason"),
    ],
)
def test_a_grant_without_a_positive_amount_and_a_reason_is_refused(admin_client, amount, reason, message):
    customer = UserFactory()

    response = admin_client.post(
        reverse("admin:billing_customercredit_add"), {"customer": customer.pk, "amount": amount, "reason": reason}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomerCredit.objects.exists()


@pytest.mark.parametrize("customer", ["abc", "99999999999999999999", "-1"])
def test_a_customer_that_is_not_one_is_refused_at_the_field_and_grants_nothing(admin_client, customer):
    response = admin_client.post(
        reverse("admin:billing_customercredit_add"), {"customer": customer, "amount": "1000", "reason": "Goodwill"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not CustomerCredit.objects.exists()


def test_the_credit_form_opened_for_a_customer_shows_that_customer(admin_client):
    customer = UserFactory(email="credit-owner@example.com")

    response = admin_client.get(reverse("admin:billing_customercredit_add"), {"customer": customer.pk})

    assert response.status_code == 200
    assert "credit-owner@example.com" in response.content.decode()


def test_the_credit_form_opened_for_a_customer_id_that_is_not_one_shows_the_empty_form(admin_client):
    response = admin_client.get(reverse("admin:billing_customercredit_add"), {"customer": "abc"})

    assert response.status_code == 200
    assert response.context["adminform"].form["customer"].value() == "abc"


def test_credit_rows_are_never_edited_or_deleted(admin_client):
    credit = CustomerCredit.objects.create(customer=UserFactory(), amount=5_000, reason="Goodwill")

    change = admin_client.post(
        reverse("admin:billing_customercredit_change", args=[credit.pk]), {"amount": "50000", "reason": "x"}
    )
    delete = admin_client.post(reverse("admin:billing_customercredit_delete", args=[credit.pk]), {"post": "yes"})

    assert (change.status_code, delete.status_code) == (403, 403)
    assert CustomerCredit.objects.get(pk=credit.pk).amount == 5_000


# --- billing documents (SPEC 12) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "route"), [("invoice", "billing_invoice"), ("note", "billing_creditnote")])
def test_the_change_page_offers_download_pdf_and_serves_the_documents_pdf(admin_client, model, route):
    invoice, note = waived_final_invoice()
    document = {"invoice": invoice, "note": note}[model]

    page = admin_client.get(reverse(f"admin:{route}_change", args=[document.pk])).content.decode()
    response = admin_client.get(reverse(f"admin:{route}_pdf", args=[document.pk]))

    assert f'<a href="{reverse(f"admin:{route}_pdf", args=[document.pk])}">Download PDF</a>' in page
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_pdf_of_an_unknown_document_is_a_404(admin_client):
    assert admin_client.get(reverse("admin:billing_invoice_pdf", args=[999_999])).status_code == 404


def test_staff_without_the_view_permission_get_no_pdf(client):
    invoice, _note = waived_final_invoice()
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("admin:billing_invoice_pdf", args=[invoice.pk]))

    assert response.status_code == 404
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == ""


@pytest.mark.parametrize(("route", "model"), [("billing_invoice", "invoice"), ("billing_creditnote", "note")])
def test_operators_find_a_document_by_its_number(admin_client, route, model):
    invoice, note = waived_final_invoice()
    other, _other_note = waived_final_invoice()
    document = {"invoice": invoice, "note": note}[model]

    html = admin_client.get(reverse(f"admin:{route}_changelist"), {"q": document.number}).content.decode()

    assert f">{document.number}</a>" in html
    other_number = {"invoice": other.number, "note": _other_note.number}[model]
    assert f">{other_number}</a>" not in html
