"""Document numbers (SPEC 12): gap-free and increasing per kind and KST year, taken in the issuing transaction."""

import random
import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from billing.models import ContractType, CreditNote, DocumentCounter, DocumentKind, Invoice
from billing.numbers import allocate_numbers, format_number, numbers_for
from subscriptions.lifecycle import JOBS, RENEW
from subscriptions.services.jobs import run_steps
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, bulk_active_subscriptions, issue_due, kst

pytestmark = pytest.mark.django_db


def run(job: str, now, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return run_steps(job, JOBS[job], now=now, **kwargs)


@pytest.mark.parametrize(
    ("kind", "year", "sequence", "expected"),
    [
        pytest.param(DocumentKind.INVOICE, 2027, 1, "INV-2027-000001", id="first-invoice"),
        pytest.param(DocumentKind.CREDIT_NOTE, 2027, 1, "CN-2027-000001", id="first-credit-note"),
        pytest.param("INV", 2028, 123_456, "INV-2028-123456", id="six-digits"),
        pytest.param("CN", 2027, 1_234_567, "CN-2027-1234567", id="past-six-digits-longer"),
    ],
)
def test_a_number_reads_kind_year_and_six_digits(kind, year, sequence, expected):
    assert format_number(kind, year, sequence) == expected


def test_a_block_is_the_next_numbers_of_its_kind_and_year_in_one_statement():
    with CaptureQueriesContext(connection) as queries:
        first = allocate_numbers(kind=DocumentKind.INVOICE, year=2027, count=3)
    second = allocate_numbers(kind=DocumentKind.INVOICE, year=2027, count=2)

    assert first == ["INV-2027-000001", "INV-2027-000002", "INV-2027-000003"]
    assert second == ["INV-2027-000004", "INV-2027-000005"]
    assert len(queries) == 1
    # Other kinds and years count on their own.
    assert allocate_numbers(kind=DocumentKind.CREDIT_NOTE, year=2027, count=1) == ["CN-2027-000001"]
    assert allocate_numbers(kind=DocumentKind.INVOICE, year=2028, count=1) == ["INV-2028-000001"]
    assert allocate_numbers(kind=DocumentKind.INVOICE, year=2027, count=0) == []


def test_documents_issued_on_both_sides_of_new_year_take_a_block_per_year_in_the_order_given():
    issued_on = [date(2027, 12, 31), date(2028, 1, 1), date(2027, 12, 31), date(2028, 1, 2)]

    numbers = numbers_for(kind=DocumentKind.INVOICE, issued_on=issued_on)

    assert numbers == ["INV-2027-000001", "INV-2028-000001", "INV-2027-000002", "INV-2028-000002"]


@pytest.mark.django_db(transaction=True)
def test_a_number_is_refused_outside_the_issuing_transaction():
    with pytest.raises(RuntimeError, match="transaction that issues"):
        allocate_numbers(kind=DocumentKind.INVOICE, year=2027, count=1)

    assert not DocumentCounter.objects.exists()


def test_the_renewal_job_numbers_its_invoices_in_issue_order():
    subscriptions = bulk_active_subscriptions(3, customer=UserFactory(), contract_type=ContractType.MONTHLY)

    run(RENEW, kst(2027, 3, 20))  # three periods each

    numbers = list(Invoice.objects.order_by("number").values_list("subscription_id", "period_index", "number"))
    assert [number for _s, _p, number in numbers] == [f"INV-2027-{n:06d}" for n in range(1, 10)]
    # In the order the chunk issues them: subscription by subscription, period by period.
    assert [(s, p) for s, p, _n in numbers] == [(s.pk, p) for s in subscriptions for p in range(3)]


def test_a_rolled_back_issue_leaves_no_gap():
    subscription = ActiveSubscriptionFactory()
    other = ActiveSubscriptionFactory()

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        issue_due(subscription, kst(2027, 1, 15))
        assert Invoice.objects.get().number == "INV-2027-000001"
        1 / 0  # noqa: B018 - anything failing later in the issuing transaction
    issue_due(other, kst(2027, 1, 15))

    assert list(Invoice.objects.values_list("subscription_id", "number")) == [(other.pk, "INV-2027-000001")]
    assert DocumentCounter.objects.get(kind="INV", year=2027).last == 1


def test_invoices_issued_at_23_59_on_31_december_and_00_00_on_1_january_are_numbered_in_their_own_years():
    # Monthly periods ending 2027-12-30 (due on the 31st) and 2027-12-31 (due on 1 January 2028).
    december = ActiveSubscriptionFactory(paid_start=date(2027, 11, 30), contract_type=ContractType.MONTHLY)
    january = ActiveSubscriptionFactory(paid_start=date(2027, 12, 1), contract_type=ContractType.MONTHLY)

    run(RENEW, kst(2027, 12, 31, 23, 59))
    run(RENEW, kst(2028, 1, 1, 0, 0))

    assert Invoice.objects.get(subscription=december).number == "INV-2027-000001"
    assert Invoice.objects.get(subscription=january).number == "INV-2028-000001"
    assert Invoice.objects.get(subscription=january).issued_on == date(2028, 1, 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_workers_issuing_at_once_never_share_or_skip_a_number():
    subscriptions = bulk_active_subscriptions(400, customer=UserFactory(), contract_type=ContractType.MONTHLY)
    barrier = threading.Barrier(4)
    failures = []

    def worker():
        try:
            barrier.wait()
            run_steps(RENEW, JOBS[RENEW], now=kst(2027, 1, 15, 0, 10), chunk_size=25)
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    numbers = sorted(Invoice.objects.filter(subscription__in=subscriptions).values_list("number", flat=True))
    assert numbers == [f"INV-2027-{n:06d}" for n in range(1, 401)]
    assert DocumentCounter.objects.get(kind="INV", year=2027).last == 400


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_four_workers_whose_transactions_roll_back_at_random_leave_no_gap():
    barrier = threading.Barrier(4)
    kept: list[str] = []
    failures = []

    def worker(seed: int):
        chance = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(25):
                try:
                    with transaction.atomic():
                        count = chance.randint(1, 5)
                        numbers = allocate_numbers(kind=DocumentKind.CREDIT_NOTE, year=2027, count=count)
                        if chance.random() < 0.3:
                            raise LookupError("rolled back")
                    kept.extend(numbers)
                except LookupError:
                    pass
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(kept) == [f"CN-2027-{n:06d}" for n in range(1, len(kept) + 1)]
    assert DocumentCounter.objects.get(kind="CN", year=2027).last == len(kept)


# --- the data migration (billing 0010) ----------------------------------------------------------------------------

BEFORE_NUMBERS = [("billing", "0009_document_numbers")]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_migration_numbers_existing_documents_in_issue_order_per_kind_and_year():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE_NUMBERS)
    try:
        apps = executor.loader.project_state(BEFORE_NUMBERS).apps
        subscription = ActiveSubscriptionFactory()
        old_invoice, old_credit_note = apps.get_model("billing", "Invoice"), apps.get_model("billing", "CreditNote")

        def invoice(index: int, issued_on: date):
            return old_invoice.objects.create(
                subscription_id=subscription.pk,
                customer_id=subscription.customer_id,
                period_index=index,
                period_start=issued_on,
                period_end=issued_on,
                issued_on=issued_on,
                subtotal=1_000,
                vat=100,
                total=1_100,
            )

        # Written out of issue order: the numbers follow the issue dates (then the order of writing).
        late_2027 = invoice(0, date(2027, 12, 31))
        early_2028 = invoice(1, date(2028, 1, 15))
        early_2027 = invoice(2, date(2027, 1, 15))
        same_day_later = invoice(3, date(2027, 1, 15))
        note = old_credit_note.objects.create(
            invoice_id=late_2027.pk, kind="penalty_waiver", description="", amount=-100, vat=-10, total=-110,
            reason="r", issued_on=date(2028, 2, 1),
        )  # fmt: skip

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    numbers = dict(Invoice.objects.values_list("pk", "number"))
    assert numbers == {
        early_2027.pk: "INV-2027-000001",
        same_day_later.pk: "INV-2027-000002",
        late_2027.pk: "INV-2027-000003",
        early_2028.pk: "INV-2028-000001",
    }
    assert CreditNote.objects.get(pk=note.pk).number == "CN-2028-000001"
    counters = set(DocumentCounter.objects.values_list("kind", "year", "last"))
    assert counters == {("INV", 2027, 3), ("INV", 2028, 1), ("CN", 2028, 1)}
    # New documents continue from there.
    with transaction.atomic():
        assert allocate_numbers(kind=DocumentKind.INVOICE, year=2027, count=1) == ["INV-2027-000004"]
