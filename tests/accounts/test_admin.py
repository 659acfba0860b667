"""A customer's page in Django admin (SPEC 11): subscriptions, invoices and credits inline, `Grant credit`, search."""

import pytest
from django.urls import reverse

from billing.models import CustomerCredit
from tests.accounts.factories import UserFactory
from tests.billing.factories import CreditGrantFactory
from tests.subscriptions.factories import InvoiceFactory, TrialSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_the_customer_page_lists_subscriptions_invoices_and_credits_with_amounts_in_won(admin_client):
    trial = TrialSubscriptionFactory()
    invoice = InvoiceFactory(customer=trial.customer, subtotal=3_600, vat=360, total=3_960)
    CreditGrantFactory(customer=trial.customer, amount=15_000, reason="Outage of 2026-11-20")

    html = admin_client.get(reverse("admin:accounts_user_change", args=[trial.customer.pk])).content.decode()

    assert trial.name in html and trial.public_id in html
    assert invoice.number in html and "₩3,960" in html
    assert "Outage of 2026-11-20" in html and "₩15,000" in html
    assert ">Grant credit</a>" in html


def test_grant_credit_from_the_customer_page(admin_client, admin_user):
    customer = UserFactory()
    url = reverse("admin:accounts_user_grant_credit", args=[customer.pk])

    page = admin_client.get(url)
    response = admin_client.post(url, {"amount": "20000", "reason": "Goodwill"})

    assert 'value="Grant credit"' in page.content.decode()
    assert response.status_code == 302
    assert list(CustomerCredit.objects.values_list("customer", "amount", "reason", "granted_by")) == [
        (customer.pk, 20_000, "Goodwill", admin_user.pk)
    ]


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        pytest.param("0", "Goodwill", "Ensure this value is greater than or equal to 1.", id="zero"),
        pytest.param("12.5", "Goodwill", "Enter a whole number.", id="fraction"),
        pytest.param("1000", "", "This field is required.", id="no-reason"),
    ],
)
def test_grant_credit_refuses_bad_input_and_grants_nothing(admin_client, amount, reason, message):
    customer = UserFactory()

    response = admin_client.post(
        reverse("admin:accounts_user_grant_credit", args=[customer.pk]), {"amount": amount, "reason": reason}
    )

    assert message in response.content.decode()
    assert not CustomerCredit.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(lambda s: s.customer.email, id="email"),
        pytest.param(lambda s: s.name, id="workspace-name"),
        pytest.param(lambda s: s.admin_account_id, id="account-id"),
        pytest.param(lambda s: s.public_id, id="public-id"),
    ],
)
def test_customers_are_found_by_email_workspace_account_id_and_public_id(admin_client, query):
    wanted, other = TrialSubscriptionFactory(), TrialSubscriptionFactory()

    html = admin_client.get(reverse("admin:accounts_user_changelist"), {"q": query(wanted)}).content.decode()

    assert wanted.customer.email in html
    assert other.customer.email not in html
