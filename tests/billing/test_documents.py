"""Invoices and credit notes as PDF (SPEC 12): the customer's language, selectable text read back with a PDF text
extractor, an embedded CJK font, the issuer from settings, rendered once and the same bytes ever after."""

import io
from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.test import TestCase
from pypdf import PdfReader

from billing import documents
from billing.documents import document_pdf, invoices_for_documents
from billing.models import CreditNote, Invoice
from subscriptions.lifecycle import JOBS, RENEW
from subscriptions.services.jobs import run_steps
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, kst, waived_final_invoice

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> set[str]:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return {str(font["/BaseFont"]) for font in page["/Resources"]["/Font"].values()}


CUSTOMERS = {
    "en": {"first_name": "Minji", "last_name": "Kim"},
    "ja": {"first_name": "花子", "last_name": "山田"},
    "ko": {"first_name": "민지", "last_name": "김"},
}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "en",
            [
                "Final invoice",
                "Minji Kim",
                "Issued on 2027-03-01",
                "Period 2027-02-15 – 2027-02-28",
                "Basic, 2027-02-15 – 2027-02-28 Annual ₩5,000 10 14/28 ₩25,000",
                "Early-termination penalty",
                "Cancelled on 2027-03-01, before the end of the annual term",
                "Subtotal ₩75,000",
                "Credit applied ₩0",
                "VAT ₩7,500",
                "Total ₩82,500",
                "Amount due ₩82,500",
            ],
            id="en",
        ),
        pytest.param(
            "ja",
            [
                "最終請求書",
                "山田 花子",
                "発行日 2027-03-01",
                "課金期間 2027-02-15 – 2027-02-28",
                "Basic、2027-02-15～2027-02-28 年間 ₩5,000 10 14/28 ₩25,000",
                "違約金",
                "年間契約期間（2026-12-15～2027-12-14）の終了前、2027-03-01に解約",
                "小計 ₩75,000",
                "合計 ₩82,500",
                "ご請求金額 ₩82,500",
            ],
            id="ja",
        ),
        pytest.param(
            "ko",
            [
                "최종 청구서",
                "김민지",
                "발행일 2027-03-01",
                "청구 기간 2027-02-15 – 2027-02-28",
                "Basic, 2027-02-15 ~ 2027-02-28 연간 ₩5,000 10 14/28 ₩25,000",
                "위약금",
                "연간 계약 기간(2026-12-15 ~ 2027-12-14) 종료 전 2027-03-01에 해지",
                "소계 ₩75,000",
                "합계 ₩82,500",
                "납부할 금액 ₩82,500",
            ],
            id="ko",
        ),
    ],
)
def test_the_invoice_pdf_carries_its_number_lines_and_total_in_the_customers_language(language, expected):
    invoice, _note = waived_final_invoice(customer=UserFactory(language=language, **CUSTOMERS[language]))

    text = pdf_text(document_pdf(invoice))

    assert invoice.number == "INV-2027-000001"
    assert text.count("INV-2027-000001") >= 2  # the heading, the facts (and the page footer)
    for fragment in expected:
        assert fragment in text
    assert invoice.customer.email in text
    assert "NAVER Cloud Corp." in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(
            "en",
            [
                "Credit note",
                "Credited invoice INV-2027-000001",
                "Penalty waived",
                "Total -₩55,000",
                "Amount due ₩27,500",
            ],
            id="en",
        ),
        pytest.param(
            "ja",
            [
                "クレジットノート",
                "対象の請求書 INV-2027-000001",
                "違約金の免除",
                "合計 -₩55,000",
                "ご請求金額 ₩27,500",
            ],
            id="ja",
        ),
        pytest.param(
            "ko",
            ["크레딧 노트", "대상 청구서 INV-2027-000001", "위약금 면제", "합계 -₩55,000", "납부할 금액 ₩27,500"],
            id="ko",
        ),
    ],
)
def test_the_credit_note_pdf_names_its_invoice_and_what_is_left_to_pay(language, expected):
    _invoice, note = waived_final_invoice(customer=UserFactory(language=language, **CUSTOMERS[language]))

    text = pdf_text(document_pdf(note))

    assert note.number == "CN-2027-000001"
    assert "CN-2027-000001" in text
    for fragment in expected:
        assert fragment in text


@pytest.mark.parametrize(("language", "face"), [("en", "Noto-Sans-CJK-KR"), ("ja", "Noto-Sans-CJK-JP")])
def test_the_pdf_embeds_the_cjk_font_of_its_language(language, face):
    invoice, _note = waived_final_invoice(customer=UserFactory(language=language, **CUSTOMERS[language]))

    fonts = pdf_fonts(document_pdf(invoice))

    # A subset (`ABCDEF+Noto-Sans-CJK-JP`): embedded, with the glyphs the document uses.
    assert fonts and all(face in font and "+" in font for font in fonts)


def test_the_issuer_block_comes_from_the_settings(settings):
    settings.BILLING_ISSUER = {
        "name": "Example Cloud Ltd.",
        "registration_number": "123-45-67890",
        "address": "1 Example-ro, Seoul",
        "contact": "billing@example.com",
    }
    invoice, _note = waived_final_invoice()

    text = pdf_text(document_pdf(invoice))

    for fragment in ["Example Cloud Ltd.", "Business registration number 123-45-67890", "1 Example-ro, Seoul"]:
        assert fragment in text
    assert "billing@example.com" in text
    assert "NAVER Cloud Corp." not in text


def test_a_document_is_rendered_once_and_the_same_bytes_are_served_ever_after(monkeypatch):
    invoice, _note = waived_final_invoice()
    first = document_pdf(invoice)
    stored = Invoice.objects.get(pk=invoice.pk).pdf.name

    # The customer changes language, the renderer breaks: the kept document does not change.
    invoice.customer.language = "ja"
    invoice.customer.save(update_fields=["language"])

    def no_rendering(document):
        raise AssertionError("rendered again")

    monkeypatch.setattr(documents, "render_pdf", no_rendering)
    [again] = invoices_for_documents([invoice.pk])

    assert document_pdf(again) == first
    assert stored == "documents/inv/2027/INV-2027-000001.pdf"
    assert default_storage.open(stored).read() == first


def test_two_readers_rendering_at_once_keep_the_first_ones_file(monkeypatch):
    invoice, _note = waived_final_invoice()
    render = documents.render_pdf

    def render_while_another_reader_records_its_own(document):
        # Another process renders the same document meanwhile and records its file first.
        theirs = default_storage.save("documents/inv/2027/theirs.pdf", io.BytesIO(b"%PDF-theirs"))
        Invoice.objects.filter(pk=document.pk).update(pdf=theirs)
        return render(document)

    monkeypatch.setattr(documents, "render_pdf", render_while_another_reader_records_its_own)

    served = document_pdf(invoice)

    assert served == b"%PDF-theirs"
    assert Invoice.objects.get(pk=invoice.pk).pdf.name == "documents/inv/2027/theirs.pdf"
    assert not default_storage.exists("documents/inv/2027/INV-2027-000001.pdf")


def test_the_invoicing_jobs_write_rows_and_render_nothing(monkeypatch):
    rendered = []
    monkeypatch.setattr(documents, "html_to_pdf", lambda html, language: rendered.append(html) or b"%PDF-")
    ActiveSubscriptionFactory()

    with TestCase.captureOnCommitCallbacks(execute=True):
        run_steps(RENEW, JOBS[RENEW], now=kst(2027, 1, 15))

    assert Invoice.objects.get().pdf.name == ""
    assert rendered == []


def test_a_penalty_only_final_invoice_waived_owes_nothing():
    invoice, note = waived_final_invoice(on=date(2027, 2, 15))

    assert [line.kind for line in invoice.lines.all()] == ["penalty"]
    assert (invoice.total, note.total) == (57_200, -57_200)
    assert CreditNote.objects.get().number == "CN-2027-000001"
