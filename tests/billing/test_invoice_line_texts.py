"""Invoice line texts in the reader's language, rendered from the stored facts (issue 12 point 6)."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse
from django.utils import translation

from billing.models import InvoiceLine
from subscriptions.services.cancel import subscription_cancel
from subscriptions.services.core import customer_actor
from tests.billing.factories import ActiveSubscriptionFactory, kst
from tests.subscriptions.factories import InvoiceFactory, plan

pytestmark = pytest.mark.django_db


def usage_line(invoice, **facts) -> InvoiceLine:
    basic = plan("basic")
    return InvoiceLine.objects.create(
        invoice=invoice,
        kind=InvoiceLine.Kind.USAGE,
        plan=basic,
        plan_name="Basic",
        contract_type="annual",
        unit_price=5_000,
        quantity=10,
        days=31,
        period_days=31,
        starts_on=date(2026, 12, 10),
        ends_on=date(2027, 1, 9),
        amount=50_000,
        **facts,
    )


def penalty_line(invoice) -> InvoiceLine:
    return InvoiceLine.objects.create(
        invoice=invoice,
        kind=InvoiceLine.Kind.PENALTY,
        starts_on=date(2026, 12, 10),
        ends_on=date(2027, 12, 9),
        cancellation_date=date(2027, 3, 1),
        amount=123_456,
    )


@pytest.mark.parametrize(
    ("language", "usage", "penalty"),
    [
        pytest.param(
            "en",
            "Basic, 2026-12-10 – 2027-01-09",
            "Cancelled on 2027-03-01, before the end of the annual term 2026-12-10 – 2027-12-09",
            id="en",
        ),
        pytest.param(
            "ja",
            "ベーシック、2026-12-10～2027-01-09",
            "年間契約期間（2026-12-10～2027-12-09）の終了前、2027-03-01に解約",
            id="ja",
        ),
        pytest.param(
            "ko",
            "Basic, 2026-12-10 ~ 2027-01-09",
            "연간 계약 기간(2026-12-10 ~ 2027-12-09) 종료 전 2027-03-01에 해지",
            id="ko",
        ),
    ],
)
def test_line_texts_follow_the_readers_language(language, usage, penalty):
    basic = plan("basic")
    basic.name_ja = "ベーシック"
    basic.save(update_fields=["name_ja"])
    invoice = InvoiceFactory()

    with translation.override(language):
        assert usage_line(invoice).text == usage
        assert penalty_line(invoice).text == penalty


def test_a_line_without_facts_shows_its_stored_description():
    line = InvoiceLine(kind=InvoiceLine.Kind.ADJUSTMENT, description="Goodwill credit", amount=-1_000)

    with translation.override("ja"):
        assert line.text == "Goodwill credit"


def test_the_invoice_page_in_japanese_has_no_english_line_text(customer, customer_client, django_assert_num_queries):
    invoice = InvoiceFactory(subscription__customer=customer)
    usage_line(invoice)
    penalty_line(invoice)
    url = reverse("billing:invoice-detail", args=[invoice.public_id])

    # The lines' plans come with the lines: the same queries as before the facts were stored (session, user,
    # the invoice, its lines), and its credit notes (issue 18).
    with django_assert_num_queries(5):
        html = customer_client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert "Basic、2026-12-10～2027-01-09" in html
    assert "年間契約期間（2026-12-10～2027-12-09）の終了前、2027-03-01に解約" in html
    assert "Cancelled on" not in html
    assert "Early termination" not in html


def test_lines_stored_before_the_facts_get_them_back_from_their_descriptions():
    backfill = importlib.import_module("billing.migrations.0007_invoice_line_facts_from_descriptions").backfill
    invoice = InvoiceFactory()
    usage = InvoiceLine.objects.create(
        invoice=invoice, kind="usage", description="Basic 2026-12-15 – 2027-01-14", plan_name="Basic", amount=1
    )
    penalty = InvoiceLine.objects.create(
        invoice=invoice,
        kind="penalty",
        description="Early termination on 2027-03-01 (term 2026-12-10 – 2027-12-09)",
        amount=2,
    )
    other = InvoiceLine.objects.create(invoice=invoice, kind="adjustment", description="Goodwill", amount=-1)

    backfill(django_apps, None)

    usage.refresh_from_db()
    penalty.refresh_from_db()
    other.refresh_from_db()
    assert (usage.plan, usage.starts_on, usage.ends_on) == (plan("basic"), date(2026, 12, 15), date(2027, 1, 14))
    assert (penalty.cancellation_date, penalty.starts_on, penalty.ends_on) == (
        date(2027, 3, 1),
        date(2026, 12, 10),
        date(2027, 12, 9),
    )
    assert (other.starts_on, other.plan_id) == (None, None)
    with translation.override("ja"):
        assert penalty.text == "年間契約期間（2026-12-10～2027-12-09）の終了前、2027-03-01に解約"


def test_a_final_invoice_stores_facts_and_reads_in_each_customers_language(customer):
    active = ActiveSubscriptionFactory(customer=customer)
    # Cancelled from a Japanese page: what is stored does not depend on the language of the request.
    with translation.override("ja"):
        subscription_cancel(subscription=active, on=date(2027, 3, 1), by=customer_actor(customer), now=kst(2027, 3, 1))

    final = active.invoices.get(is_final=True)
    usage, penalty = final.lines.order_by("id")
    assert (usage.plan, usage.plan_name, usage.starts_on, usage.ends_on) == (
        plan("basic"),
        "Basic",
        date(2027, 2, 15),
        date(2027, 2, 28),
    )
    assert (penalty.cancellation_date, penalty.starts_on, penalty.ends_on) == (
        date(2027, 3, 1),
        date(2026, 12, 15),
        date(2027, 12, 14),
    )
    client = Client()
    client.force_login(customer)
    url = reverse("billing:invoice-detail", args=[final.public_id])
    for language, usage_text, penalty_text in [
        ("en", "Basic, 2027-02-15 – 2027-02-28", "Cancelled on 2027-03-01, before the end of the annual term"),
        ("ja", "Basic、2027-02-15～2027-02-28", "年間契約期間（2026-12-15～2027-12-14）の終了前、2027-03-01に解約"),
        ("ko", "Basic, 2027-02-15 ~ 2027-02-28", "연간 계약 기간(2026-12-15 ~ 2027-12-14) 종료 전 2027-03-01에 해지"),
    ]:
        html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert usage_text in html
        assert penalty_text in html
