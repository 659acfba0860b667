"""Reminder e-mails (SPEC 6 send_reminders): each at most once, in the customer's language, never stale."""

from datetime import date, datetime

import pytest
from django.core import mail
from django.test import TestCase

from subscriptions.lifecycle import JOBS, SEND_REMINDERS
from subscriptions.models import ReminderSent, Reservation, Status
from subscriptions.services.jobs import run_steps
from tests.accounts.factories import UserFactory
from tests.billing.factories import waived_final_invoice
from tests.subscriptions.factories import ActiveSubscriptionFactory, InvoiceFactory, TrialSubscriptionFactory, plan
from works_console.dates import KST

pytestmark = pytest.mark.django_db


def remind(*args) -> None:
    # Mails leave after the chunk's transaction commits; inside the test's transaction, run those callbacks.
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_steps(SEND_REMINDERS, JOBS[SEND_REMINDERS], now=datetime(*args, tzinfo=KST))


def test_trial_reminders_go_out_seven_and_three_days_before_the_end_once_each():
    # last trial day 2026-12-30
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), customer__email="minji@example.com")

    remind(2026, 12, 23, 9, 0)  # 7 days before
    remind(2026, 12, 23, 9, 15)
    remind(2026, 12, 24, 9, 0)
    remind(2026, 12, 27, 9, 0)  # 3 days before
    remind(2026, 12, 28, 9, 0)

    assert [m.subject for m in mail.outbox] == [
        f"Your NAVER WORKS trial for {subscription.name} ends in 7 days",
        f"Your NAVER WORKS trial for {subscription.name} ends in 3 days",
    ]
    assert mail.outbox[0].to == ["minji@example.com"]
    assert "2026-12-30" in mail.outbox[0].body
    assert ReminderSent.objects.filter(subscription=subscription).count() == 2


def test_reminders_are_written_in_the_customers_language():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), customer=UserFactory(language="ja"))

    remind(2026, 12, 23, 9, 0)

    assert mail.outbox[0].subject == f"{subscription.name} のNAVER WORKS体験版はあと7日で終了します"


def test_no_trial_reminder_once_a_conversion_is_reserved_or_done():
    reserved = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    Reservation.objects.create(
        subscription=reserved,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2026, 12, 29),
        plan=plan("basic"),
        contract_type="monthly",
    )
    TrialSubscriptionFactory(
        applied_on=date(2026, 12, 1),
        status=Status.ACTIVE,
        paid_start=date(2026, 12, 10),
        term_start=date(2026, 12, 10),
        term_end=date(2027, 1, 9),
        contract_type="monthly",
    )

    remind(2026, 12, 23, 9, 0)

    assert mail.outbox == []


def test_trial_ended_reminder_names_the_deletion_deadline():
    TrialSubscriptionFactory(applied_on=date(2026, 12, 1), status=Status.SUSPENDED)

    remind(2026, 12, 31, 9, 0)
    remind(2027, 1, 1, 9, 0)

    assert len(mail.outbox) == 1
    assert "2027-01-29" in mail.outbox[0].body


def test_cancellation_reminders_seven_days_and_one_day_before():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    Reservation.objects.create(
        subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=date(2026, 12, 20)
    )

    remind(2026, 12, 13, 9, 0)
    remind(2026, 12, 14, 9, 0)
    remind(2026, 12, 19, 9, 0)
    remind(2026, 12, 19, 18, 0)

    assert [m.subject for m in mail.outbox] == [
        f"NAVER WORKS for {subscription.name} will be cancelled in 7 days",
        f"NAVER WORKS for {subscription.name} will be cancelled tomorrow",
    ]


def test_a_withdrawn_cancellation_sends_no_reminder():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    Reservation.objects.create(
        subscription=subscription,
        kind=Reservation.Kind.CANCELLATION,
        effective_on=date(2026, 12, 20),
        state=Reservation.State.WITHDRAWN,
    )

    remind(2026, 12, 13, 9, 0)

    assert mail.outbox == []


def test_an_issued_invoice_is_announced_once_with_its_total():
    invoice = InvoiceFactory(subtotal=3_600_000)  # + VAT 360,000
    subscription = invoice.subscription

    remind(2027, 1, 10, 9, 0)
    remind(2027, 1, 10, 9, 15)

    assert [m.subject for m in mail.outbox] == [f"Your NAVER WORKS invoice {invoice.number} for {subscription.name}"]
    assert "3,960,000 KRW" in mail.outbox[0].body


def test_the_annual_term_end_is_announced_thirty_days_ahead_once():
    subscription = ActiveSubscriptionFactory()  # annual, term ends 2027-12-09

    remind(2027, 11, 8, 9, 0)  # 31 days ahead: not yet
    remind(2027, 11, 9, 9, 0)
    remind(2027, 11, 20, 9, 0)

    assert [m.subject for m in mail.outbox] == [
        f"Your annual NAVER WORKS contract for {subscription.name} ends in 30 days"
    ]
    assert "2027-12-09" in mail.outbox[0].body


def test_a_chunk_renders_each_language_once_and_sends_over_one_connection(monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from subscriptions.services import reminders

    languages = ["en", "ja", "en", "ko", "ja"]
    for language in languages:
        TrialSubscriptionFactory(applied_on=date(2026, 12, 1), customer=UserFactory(language=language))
    rendered, sends = [], []
    original_render, original_send = reminders.render_mail_template, EmailBackend.send_messages

    def counting_render(name, *, language, fields):
        rendered.append((name, language))
        return original_render(name, language=language, fields=fields)

    def counting_send(backend, messages):
        sends.append(len(messages))
        return original_send(backend, messages)

    monkeypatch.setattr(reminders, "render_mail_template", counting_render)
    monkeypatch.setattr(EmailBackend, "send_messages", counting_send)

    remind(2026, 12, 23, 9, 0)

    assert sorted(rendered) == [
        ("trial_ends_in_7_days", "en"),
        ("trial_ends_in_7_days", "ja"),
        ("trial_ends_in_7_days", "ko"),
    ]
    assert sends == [5]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ReminderSent.objects.values_list("subscription__customer__email", flat=True)
    )


def test_each_customer_gets_their_own_values_written_as_they_are():
    first = TrialSubscriptionFactory(applied_on=date(2026, 12, 1), customer=UserFactory(first_name="O'Brien & Co"))
    second = TrialSubscriptionFactory(applied_on=date(2026, 12, 2), customer=UserFactory(first_name="Minji"))

    remind(2026, 12, 24, 9, 0)  # both within the 7-day window (last days 2026-12-30 and 2026-12-31)

    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert bodies[first.customer.email].startswith("Hello O'Brien & Co,\n")
    assert f"for {first.name} ends on 2026-12-30." in bodies[first.customer.email]
    assert bodies[second.customer.email].startswith("Hello Minji,\n")
    assert f"for {second.name} ends on 2026-12-31." in bodies[second.customer.email]


# --- billing documents by mail (SPEC 12) ---------------------------------------------------------------------------


def test_an_invoice_mail_carries_its_pdf_named_by_its_number():
    invoice = InvoiceFactory()

    remind(2027, 1, 10, 9, 0)

    [message] = mail.outbox
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == (f"{invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert invoice.number in message.body


def test_the_pdf_is_rendered_after_the_reminder_chunk_commits_never_inside_it(monkeypatch):
    from billing import documents

    rendered = []
    render = documents.render_pdf
    monkeypatch.setattr(documents, "render_pdf", lambda document: rendered.append(document.number) or render(document))
    invoice = InvoiceFactory()

    with TestCase.captureOnCommitCallbacks(execute=False) as after_commit:
        run_steps(SEND_REMINDERS, JOBS[SEND_REMINDERS], now=datetime(2027, 1, 10, 9, 0, tzinfo=KST))

    assert (rendered, mail.outbox) == ([], [])  # the chunk's transaction wrote its rows only
    for callback in after_commit:
        callback()
    assert rendered == [invoice.number]
    assert [name for name, _content, _type in mail.outbox[0].attachments] == [f"{invoice.number}.pdf"]


def test_a_credit_note_sends_its_own_mail_with_its_pdf_once():
    customer = UserFactory(language="ja", first_name="花子")
    invoice, note = waived_final_invoice(customer=customer)

    remind(2027, 3, 1, 9, 0)
    remind(2027, 3, 1, 9, 15)

    by_subject = {message.subject: message for message in mail.outbox}
    assert len(mail.outbox) == 2  # the final invoice's mail and the credit note's, each once
    message = by_subject[f"NAVER WORKS請求書 {invoice.number} のクレジットノート {note.number}"]
    assert message.to == [customer.email]
    assert "VAT込み55,000ウォンのクレジットノート CN-2027-000001" in message.body
    assert "ご請求金額は27,500ウォンになりました" in message.body
    [(filename, content, _type)] = message.attachments
    assert filename == "CN-2027-000001.pdf"
    assert content.startswith(b"%PDF-")
    assert ReminderSent.objects.filter(kind="credit_note_issued", key=note.public_id).count() == 1
