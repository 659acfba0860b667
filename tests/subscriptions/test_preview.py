"""A true preview (SPEC 11): `run_lifecycle --dry-run --at T` lists each item a run at T would touch with its
amounts, then the totals; writes nothing; and its amounts are the invoices the real run at T then issues.

Paid subscriptions start on 2026-12-15 (Basic: annual 5,000, monthly 6,000 per user). At 2027-03-01 periods 0
(2026-12-15 .. 2027-01-14) and 1 (2027-01-15 .. 2027-02-14), both of 31 days, have ended.
"""

from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from billing.models import ContractType, Invoice
from subscriptions.lifecycle import SEND_REMINDERS
from subscriptions.models import ReminderSent
from subscriptions.preview import preview_lifecycle
from tests.billing.factories import ActiveSubscriptionFactory, CreditGrantFactory, kst, waived_final_invoice
from tests.subscriptions.factories import InvoiceFactory, ReservationFactory, TrialSubscriptionFactory
from tests.workspaces.factories import MemberFactory
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

BEFORE = kst(2027, 2, 20)
AT = kst(2027, 3, 1, 10)


@pytest.fixture
def business():
    annual = ActiveSubscriptionFactory(name="annual")
    CreditGrantFactory(customer=annual.customer, amount=30_000)
    monthly = ActiveSubscriptionFactory(name="monthly", contract_type=ContractType.MONTHLY, licences=None)
    MemberFactory.create_batch(2, workspace=monthly.workspace)  # with the admin account: 3 members
    leaving = ActiveSubscriptionFactory(name="leaving", next_period_index=2, next_invoice_on=date(2027, 3, 15))
    ReservationFactory(subscription=leaving, effective_on=date(2027, 3, 1))
    TrialSubscriptionFactory(name="trying", applied_on=date(2027, 2, 5))  # last trial day 2027-03-06
    return {"annual": annual, "monthly": monthly, "leaving": leaving}


def dry_run(at: str) -> str:
    out = StringIO()
    call_command("run_lifecycle", "--dry-run", "--at", at, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models(include_auto_created=True)}


def test_the_dry_run_prints_every_item_with_its_amounts_then_the_totals_and_writes_nothing(business):
    with time_machine.travel(BEFORE, tick=False):
        before = row_counts()
        output = dry_run("2027-03-01T10:00:00+09:00")
        after = row_counts()

    assert after == before
    lines = output.splitlines()
    # renewals: the annual one's two periods (the first settled by 30,000 of credit), the monthly one's two
    assert "  close_period: annual: close ended periods" in lines
    assert "    invoice period 0: 2026-12-15 – 2027-01-14" in lines
    assert "      usage Basic 2026-12-15 – 2027-01-14: 10 x ₩5,000 x 31/31 days = ₩50,000" in lines
    assert "      subtotal ₩50,000, credit -₩30,000, VAT ₩2,000, total ₩22,000" in lines
    assert "      subtotal ₩50,000, credit ₩0, VAT ₩5,000, total ₩55,000" in lines
    assert "  close_period: monthly: monthly term rolls to 2027-02-15 – 2027-03-14" in lines
    assert "      usage Basic 2027-01-15 – 2027-02-14: 3 x ₩6,000 x 31/31 days = ₩18,000" in lines
    assert "  renew_subscriptions totals: 2 items, 4 invoices ₩116,600, penalties ₩0, 0 reminders" in lines
    # the cancellation: usage up to the day before, and the penalty of 2027-03-01
    assert (
        "  execute_cancellation: leaving: cancelled as of 2027-03-01: final invoice, terminated, purge;"
        " penalty ₩50,000"
    ) in lines
    assert "      penalty Early termination on 2027-03-01 (term 2026-12-15 – 2027-12-14): ₩50,000" in lines
    assert "      subtotal ₩75,000, credit ₩0, VAT ₩7,500, total ₩82,500" in lines
    # the reminder it would send
    assert any(
        line.startswith("  trial_ends_in_7_days: trying: e-mail trial_ends_in_7_days (2027-03-06) to ")
        for line in lines
    )
    # and the mail of each invoice the run issues (issue 20), the final invoice of a cancelled service too
    assert sum(line.startswith("  invoice_issued: ") for line in lines) == 5
    assert any(
        line.startswith(
            "  invoice_issued: leaving: e-mail invoice_issued (invoice period 2, final, issued by this run)"
        )
        for line in lines
    )
    assert "  send_reminders totals: 6 items, 0 invoices ₩0, penalties ₩0, 6 reminders" in lines
    assert lines[-1] == (
        "Totals as of 2027-03-01T10:00:00+09:00: 9 items, 5 invoices ₩199,100, penalties ₩50,000, 6 reminders"
    )


def invoice_facts(drafts_or_invoices) -> list[tuple]:
    return sorted(drafts_or_invoices)


def test_the_previews_amounts_are_the_invoices_the_real_run_then_issues(business):
    # Its periods 0 and 1 are invoiced by the renewal job, settled by credit, before the cancellation job bills
    # the final invoice with what credit is left (none): each invoice once, the credit spent once.
    closing = ActiveSubscriptionFactory(name="closing")
    ReservationFactory(subscription=closing, effective_on=date(2027, 3, 1))
    CreditGrantFactory(customer=closing.customer, amount=60_000)
    with time_machine.travel(BEFORE, tick=False):
        preview = preview_lifecycle(now=AT)
    previewed = sorted(
        (
            item.subscription_id,
            draft.period_index,
            draft.is_final,
            draft.period_start,
            draft.period_end,
            tuple((line.kind, line.description, line.amount) for line in draft.lines),
            (draft.totals.subtotal, draft.totals.credit_applied, draft.totals.vat, draft.totals.total),
        )
        for job in preview.jobs
        for item in job.items
        for draft in item.invoices
    )
    previewed_reminders = sorted(
        (item.subscription_id, item.step) for job in preview.jobs for item in job.items if item.reminder_to
    )

    with time_machine.travel(AT, tick=False):
        call_command("run_lifecycle", stdout=StringIO())

    issued = sorted(
        (
            invoice.subscription_id,
            invoice.period_index,
            invoice.is_final,
            invoice.period_start,
            invoice.period_end,
            tuple(invoice.lines.order_by("id").values_list("kind", "description", "amount")),
            (invoice.subtotal, invoice.credit_applied, invoice.vat, invoice.total),
        )
        for invoice in Invoice.objects.all()
    )
    assert len(previewed) == 8
    assert previewed == issued
    assert [facts[-1] for facts in previewed if facts[0] == closing.pk] == [
        (50_000, 50_000, 0, 0),
        (50_000, 10_000, 4_000, 44_000),
        (75_000, 0, 7_500, 82_500),
    ]
    sent = sorted(ReminderSent.objects.values_list("subscription_id", "kind"))
    assert previewed_reminders == sent
    assert len([kind for _id, kind in sent if kind == "invoice_issued"]) == 8


def test_the_admin_dashboard_offers_the_same_preview_for_a_chosen_date(admin_client, admin_user, business):
    with time_machine.travel(BEFORE, tick=False):
        admin_client.force_login(admin_user)
        index = admin_client.get("/admin/").content.decode()
        before = row_counts()
        page = admin_client.get("/admin/lifecycle-preview/", {"preview_date": "2027-03-01"})
        after = row_counts()

    html = page.content.decode()
    assert 'name="preview_date"' in index and 'value="Preview"' in index
    assert page.status_code == 200
    assert "₩82,500" in html and "₩22,000" in html
    assert "₩199,100" in html
    assert {k: v for k, v in after.items() if k != "sessions.Session"} == {
        k: v for k, v in before.items() if k != "sessions.Session"
    }


BEYOND_THE_HORIZON = "Choose a date at most 10 years ahead: a run further ahead would bill every period until then."


def _horizon() -> date:
    return kst_date(timezone.now()) + relativedelta(years=10)


@pytest.mark.parametrize(
    ("day", "message"),
    [
        pytest.param(lambda: date(9999, 12, 31), BEYOND_THE_HORIZON, id="last-day-of-the-calendar"),
        pytest.param(lambda: _horizon() + timedelta(days=1), BEYOND_THE_HORIZON, id="a-day-past-the-horizon"),
    ],
)
def test_the_admin_preview_refuses_a_date_it_cannot_compute_at_the_field(admin_client, day, message):
    ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY, licences=None)

    page = admin_client.get("/admin/lifecycle-preview/", {"preview_date": day().isoformat()})

    assert page.status_code == 200
    assert page.context["form"].errors == {"preview_date": [message]}
    assert page.context["preview"] is None


@pytest.mark.parametrize("day", [_horizon, lambda: date(1, 1, 1)], ids=["the-horizon", "first-day-of-the-calendar"])
def test_the_admin_preview_computes_up_to_the_horizon_and_back_to_the_calendars_start(admin_client, day):
    ActiveSubscriptionFactory(contract_type=ContractType.MONTHLY, licences=None)

    page = admin_client.get("/admin/lifecycle-preview/", {"preview_date": day().isoformat()})

    assert page.status_code == 200
    assert page.context["form"].errors == {}
    assert len(page.context["preview"].jobs) == 5


def test_the_preview_bills_each_monthly_period_on_the_members_registered_at_its_close():
    # Period 0 closes at 2027-01-15 00:00 KST, period 1 at 2027-02-15 00:00 KST (SPEC 3).
    monthly = ActiveSubscriptionFactory(name="monthly", contract_type=ContractType.MONTHLY, licences=None)
    MemberFactory(workspace=monthly.workspace, created_at=kst(2027, 1, 20))  # from period 1's close on
    MemberFactory(workspace=monthly.workspace, created_at=kst(2027, 1, 1), removed_at=kst(2027, 2, 20))  # at both
    MemberFactory(workspace=monthly.workspace, created_at=kst(2027, 1, 1), removed_at=kst(2027, 1, 10))  # at neither
    with time_machine.travel(BEFORE, tick=False):
        preview = preview_lifecycle(now=AT)
    previewed = [
        (draft.period_index, draft.totals.subtotal)
        for job in preview.jobs
        for item in job.items
        if item.subscription_id == monthly.pk
        for draft in item.invoices
    ]

    with time_machine.travel(AT, tick=False):
        call_command("run_lifecycle", stdout=StringIO())

    issued = list(
        Invoice.objects.filter(subscription=monthly).order_by("period_index").values_list("period_index", "subtotal")
    )
    assert previewed == [(0, 2 * 6_000), (1, 3 * 6_000)]
    assert issued == previewed


@pytest.fixture
def suspending_and_invoicing():
    """At 2027-03-01 the expiry job suspends `ending` (last trial day 2027-02-28) and the renewal job issues the
    invoice of `monthly`'s period 1 (2027-01-15 .. 2027-02-14); each is mailed (SPEC 6)."""
    ending = TrialSubscriptionFactory(name="ending", applied_on=date(2027, 1, 30))
    monthly = ActiveSubscriptionFactory(
        name="monthly", contract_type=ContractType.MONTHLY, licences=None, next_period_index=1,
        next_invoice_on=date(2027, 2, 15),
    )  # fmt: skip
    return ending, monthly


def test_the_dashboard_previews_the_mails_of_what_the_run_does(admin_client, admin_user, suspending_and_invoicing):
    with time_machine.travel(BEFORE, tick=False):
        admin_client.force_login(admin_user)
        html = admin_client.get("/admin/lifecycle-preview/", {"preview_date": "2027-03-01"}).content.decode()

    reminders = html.split('data-job="subscriptions.tasks.send_reminders"', 1)[1].split("</table>", 1)[0]
    assert "<td>trial_ended</td>" in reminders
    assert "<td>invoice_issued</td>" in reminders


def test_a_day_that_suspends_a_trial_and_issues_an_invoice_previews_both_mails(
    django_capture_on_commit_callbacks, suspending_and_invoicing
):
    # issue 20: the preview said "0 reminders" though the run mails the trial's end and the invoice (SPEC 6).
    ending, monthly = suspending_and_invoicing
    # not mailed: a trial suspended with a cancellation reserved, an invoice whose mail has gone already
    cancelling = TrialSubscriptionFactory(name="cancelling", applied_on=date(2027, 1, 30))
    ReservationFactory(subscription=cancelling, effective_on=date(2027, 3, 20))
    mailed = InvoiceFactory(subscription=monthly, period_index=0)
    ReminderSent.objects.create(subscription=monthly, kind="invoice_issued", key=mailed.public_id, sent_at=BEFORE)
    with time_machine.travel(BEFORE, tick=False):
        preview = preview_lifecycle(now=AT)
    reminders = next(job for job in preview.jobs if job.job == SEND_REMINDERS)

    with time_machine.travel(AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        call_command("run_lifecycle", stdout=StringIO())

    assert sorted((item.subscription_id, item.step) for item in reminders.items) == [
        (ending.pk, "trial_ended"),
        (monthly.pk, "invoice_issued"),
    ]
    assert reminders.reminder_count == preview.reminder_count == 2
    sent = sorted(ReminderSent.objects.filter(sent_at=AT).values_list("subscription_id", "kind"))
    assert sent == sorted((item.subscription_id, item.step) for item in reminders.items)
    assert sorted(message.subject for message in mail.outbox) == [
        "Your NAVER WORKS invoice INV-2027-000002 for monthly",
        "Your NAVER WORKS trial for ending has ended",
    ]


def test_the_preview_lists_the_mails_of_documents_issued_and_not_yet_sent():
    # a final invoice and the credit note waiving its penalty, issued on 2027-03-01 and not mailed yet: the run of
    # 2027-03-02 sends both mails, and the preview names them with their numbers (SPEC 6, 12)
    invoice, note = waived_final_invoice()

    preview = preview_lifecycle(now=kst(2027, 3, 2, 10))

    reminders = next(job for job in preview.jobs if job.job == SEND_REMINDERS)
    assert sorted((item.subscription_id, item.step) for item in reminders.items) == [
        (invoice.subscription_id, "credit_note_issued"),
        (invoice.subscription_id, "invoice_issued"),
    ]
    assert all(item.reminder_to == invoice.customer.email for item in reminders.items)
