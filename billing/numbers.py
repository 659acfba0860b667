"""Document numbers (SPEC 12): `INV-2027-000001`, `CN-2027-000001`, gap-free and increasing per kind and KST year.

A number is taken in the transaction that issues its document, from a counter row per (kind, year)
(``DocumentCounter``). A batch takes a block of numbers in ONE statement that creates the row or advances it by
the batch's count and returns the new last number:

    INSERT INTO counter (kind, year, last) VALUES (%s, %s, n)
    ON CONFLICT (kind, year) DO UPDATE SET last = counter.last + EXCLUDED.last RETURNING last

so the queries per chunk stay constant. The statement locks the counter row until the transaction ends: a second
worker issuing the same kind waits for the first one's commit and then continues from its last number, and a
rolled-back batch rolls its advance back with it. Numbers are therefore never shared, skipped or reused; the
unique constraint on each document's number is the last guard. Keep the allocation late in the issuing
transaction: the row lock is held from here to the commit.

The year is the KST calendar year of the document's own issue date (``issued_on``): a batch whose documents were
issued on both sides of New Year takes one block per year (``numbers_for``).
"""

from collections import Counter
from collections.abc import Sequence
from datetime import date

from django.db import connection

from .models import DocumentCounter, DocumentKind

# Six digits as SPEC 12 writes them; a year with more documents than that simply gets longer numbers.
DIGITS = 6


def format_number(kind: str, year: int, sequence: int) -> str:
    """``format_number("INV", 2027, 1)`` -> ``INV-2027-000001``."""
    return f"{DocumentKind(kind).value}-{year}-{sequence:0{DIGITS}d}"


def _allocate_sql() -> str:
    table = connection.ops.quote_name(DocumentCounter._meta.db_table)
    # Plain SQL that PostgreSQL and SQLite (3.35+, the `make run` default) both run.
    return (
        f"INSERT INTO {table} (kind, year, last) VALUES (%s, %s, %s) "  # noqa: S608 - the table name is ours
        f"ON CONFLICT (kind, year) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING last"
    )


def allocate_numbers(*, kind: str, year: int, count: int) -> list[str]:
    """The next ``count`` numbers of ``kind`` in the KST year ``year``, in order, from one statement.

    Must run inside the transaction that stores the documents (refused otherwise: a number taken in autocommit
    would be lost, a gap, if the documents' insert then failed).
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    if count == 0:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("document numbers are taken in the transaction that issues the documents")
    with connection.cursor() as cursor:
        cursor.execute(_allocate_sql(), [DocumentKind(kind).value, year, count])
        (last,) = cursor.fetchone()
    return [format_number(kind, year, sequence) for sequence in range(last - count + 1, last + 1)]


def numbers_for(*, kind: str, issued_on: Sequence[date]) -> list[str]:
    """A number for each document issued on these KST dates, in the order given: one block (one statement) per
    year present, increasing within each year in that order."""
    blocks = {
        year: iter(allocate_numbers(kind=kind, year=year, count=count))
        for year, count in sorted(Counter(day.year for day in issued_on).items())
    }
    return [next(blocks[day.year]) for day in issued_on]
