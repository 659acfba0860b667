"""Every e-mail is multipart (plain text and HTML) in the customer's language (issue 12 point 8), read here from a
real SMTP server on 127.0.0.1 (tests.smtp) through Django's SMTP backend."""

from datetime import date, datetime

import pytest
from django.test import TestCase

from subscriptions.lifecycle import JOBS, SEND_REMINDERS
from subscriptions.services.jobs import run_steps
from subscriptions.services.reminders import REMINDERS, _messages
from tests.accounts.factories import UserFactory
from tests.billing.factories import waived_final_invoice
from tests.smtp import parts
from tests.subscriptions.factories import InvoiceFactory, TrialSubscriptionFactory
from works_console.dates import KST

pytestmark = pytest.mark.django_db


def remind(*args) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_steps(SEND_REMINDERS, JOBS[SEND_REMINDERS], now=datetime(*args, tzinfo=KST))


def test_reminders_reach_an_smtp_server_as_text_and_html_in_each_customers_language(smtp_inbox):
    japanese = TrialSubscriptionFactory(
        applied_on=date(2026, 12, 1),
        customer=UserFactory(language="ja", first_name="さくら", email="sakura@example.jp"),
    )
    korean = TrialSubscriptionFactory(
        applied_on=date(2026, 12, 1), customer=UserFactory(language="ko", first_name="민지", email="minji@example.kr")
    )

    remind(2026, 12, 23, 9, 0)  # 7 days before the last trial day, 2026-12-30

    [to_sakura] = smtp_inbox.to("sakura@example.jp")
    [to_minji] = smtp_inbox.to("minji@example.kr")
    assert to_sakura["Subject"] == f"{japanese.name} のNAVER WORKS体験版はあと7日で終了します"
    assert to_minji["Subject"] == f"{korean.name}의 NAVER WORKS 체험판이 7일 후 종료됩니다"
    sakura, minji = parts(to_sakura), parts(to_minji)
    assert sorted(sakura) == ["text/html", "text/plain"]
    assert sakura["text/plain"].startswith("さくら 様")
    assert "<p>さくら 様</p>" in sakura["text/html"]
    assert '<html lang="ja">' in sakura["text/html"]
    assert "2026-12-30" in sakura["text/plain"]
    assert "2026-12-30" in sakura["text/html"]
    assert minji["text/plain"].startswith("민지 님, 안녕하십니까.")
    assert '<html lang="ko">' in minji["text/html"]


def test_an_invoice_mail_reaches_the_smtp_server_as_text_and_html(smtp_inbox):
    invoice = InvoiceFactory(subtotal=3_600_000, subscription__customer__language="ko")

    remind(2027, 1, 10, 9, 0)

    [message] = smtp_inbox.messages
    assert message["Subject"] == f"{invoice.subscription.name}의 NAVER WORKS 청구서 {invoice.number}"
    texts = parts(message)
    assert "3,960,000" in texts["text/plain"]
    assert "3,960,000" in texts["text/html"]
    # The invoice's PDF rides along as a third part (SPEC 12).
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert (attachment.get_filename(), attachment.get_content_type()) == (f"{invoice.number}.pdf", "application/pdf")
    assert attachment.get_payload(decode=True).startswith(b"%PDF-")


@pytest.mark.parametrize("reminder", REMINDERS, ids=lambda reminder: reminder.kind)
@pytest.mark.parametrize("language", ["en", "ja", "ko"])
def test_every_reminder_kind_has_a_text_and_an_html_version_in_every_language(reminder, language):
    customer = UserFactory(language=language, first_name="Jun")
    invoice, note = waived_final_invoice(customer=customer)
    documents = {"invoice_issued": invoice, "credit_note_issued": note}
    if reminder.document is not None:  # a document's mail: its row as the job reads it
        public_id = documents[reminder.kind].public_id
        row = reminder.document.by_keys([public_id])[public_id]
    else:
        row = invoice.subscription
        row.key = "2027-01-10"

    (message,) = _messages(reminder, [row])

    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    assert message.subject
    assert "\n" not in message.subject
    assert "Jun" in message.body
    assert "Jun" in html
