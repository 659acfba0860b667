"""Bulk loading of benchmark data with PostgreSQL COPY, streamed (bounded memory whatever N).

Each table gets one template row built by Django from the model (so defaults and new fields with a Python
default are filled as the ORM would), then one COPY row per item with only the varying columns replaced.
Rows get explicit ids (1..N after a truncate) so that related tables can point at them; the identity
sequences are moved past them afterwards.
"""

import json
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models
from psycopg.types.json import Jsonb

from accounts.models import User
from bench import db
from bench.tables import EVT, MEM, REM, SUB, USER, WS
from billing.models import Plan
from subscriptions.models import LifecycleEvent, ReminderSent, Status, Subscription
from workspaces.models import AccountType, Member, Workspace, new_verification_token

LANGUAGES = ("en", "ja", "ko")
COPY_BLOCK_ROWS = 5_000
# Customers often hold a few workspaces; fewer customer rows also keep the data loading short.
SUBSCRIPTIONS_PER_CUSTOMER = 5
# Older subscriptions whose 7-day reminder is already in ReminderSent, as a share of N (%).
REMINDER_HISTORY_SHARE = 10
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
# Not a usable password: bulk-created customers never log in (hashing 100,000 passwords would be the benchmark).
UNUSABLE_PASSWORD = "!bench-unusable"
# One Argon2 hash shared by every bulk-created admin account (only the page customer logs in, with its own).
MEMBER_PASSWORD_HASH = "argon2$argon2id$v=19$m=102400,t=2,p=8$YmVuY2hzYWx0$YmVuY2hiZW5jaGJlbmNoYmVuY2g"


def _field_map(model: type[models.Model]) -> dict[str, models.Field]:
    return {field.attname: field for field in model._meta.concrete_fields}


def template_row(model: type[models.Model], **values: Any) -> dict[str, Any]:
    """Database values of one unsaved instance, by attname, with the pk left out (set per row)."""
    instance = model(**values)
    row = {}
    for attname, field in _field_map(model).items():
        if field.primary_key:
            continue
        row[attname] = field.get_db_prep_save(field.pre_save(instance, add=True), connection)
    return row


def _copy_text(value: Any) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Jsonb):
        value = value.obj
    if isinstance(value, dict | list):
        value = json.dumps(value)
    return str(value).translate(COPY_ESCAPES)


def copy_rows(model: type[models.Model], template: dict[str, Any], rows: Iterable[dict[str, Any]]) -> int:
    """COPY one row per item of `rows` (each the varying values by attname, `id` included); returns the count.

    The rows are formatted here in COPY's text format and sent in blocks: formatting 100,000 rows value by value
    through the fields and the driver took longer than the job being measured.
    """
    fields = _field_map(model)
    attnames = ["id", *template]
    position = {attname: index for index, attname in enumerate(attnames)}
    base = ["\\N", *(_copy_text(value) for value in template.values())]
    columns = ", ".join(connection.ops.quote_name(fields[attname].column) for attname in attnames)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    block: list[str] = []
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for varying in rows:
            row = base.copy()
            for attname, value in varying.items():
                row[position[attname]] = _copy_text(value)
            block.append("\t".join(row))
            count += 1
            if len(block) == COPY_BLOCK_ROWS:
                copy.write("\n".join(block) + "\n")
                block.clear()
        if block:
            copy.write("\n".join(block) + "\n")
    return count


@contextmanager
def bulk_loading() -> Iterator[None]:
    """Foreign-key triggers off while loading rows that are consistent by construction, as
    `pg_restore --disable-triggers` does (needs a superuser; otherwise loads with the checks)."""
    with connection.cursor() as cursor:
        try:
            cursor.execute("SET session_replication_role = replica")
        except DatabaseError:
            yield
            return
        try:
            yield
        finally:
            cursor.execute("RESET session_replication_role")


def load_fresh(loader: Callable[..., object], n: int, *, today: date, now: datetime, analyze: Iterable[str]) -> None:
    """Empty the benchmark's tables, load N due subscriptions with `loader` (foreign-key triggers off), then
    fresh planner statistics on the `analyze` tables (on a table with none, PostgreSQL estimates one row and plans
    nested loops over whole tables)."""
    db.truncate()
    with bulk_loading():
        loader(n, today=today, now=now)
    db.analyze(*analyze)


def reset_sequences(*model_classes: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_classes)):
            cursor.execute(statement)


def customer_of(subscription_id: int) -> int:
    return (subscription_id - 1) // SUBSCRIPTIONS_PER_CUSTOMER + 1


def load_customers(subscriptions: int, now: datetime) -> None:
    """The customers of `subscriptions` subscriptions, SUBSCRIPTIONS_PER_CUSTOMER each, in all three languages."""
    template = template_row(
        User,
        email="template@bench.example.com",
        first_name="Minji",
        last_name="Kim",
        password=UNUSABLE_PASSWORD,
        date_joined=now,
    )
    copy_rows(
        User,
        template,
        (
            {"id": i, "email": f"customer{i}@bench.example.com", "language": LANGUAGES[i % len(LANGUAGES)]}
            for i in range(1, customer_of(subscriptions) + 1)
        ),
    )


def _subscription_row(i: int, **values: Any) -> dict[str, Any]:
    """Subscription ``i``'s own values over ``_subscription_template``: ids, its customer, its name."""
    own = {"id": i, "public_id": secrets.token_urlsafe(12), "customer_id": customer_of(i), "name": f"bench-{i}"}
    return own | {"admin_account_id": f"admin@bench-{i}"} | values


def trial_dates(applied_on: date) -> dict[str, date]:
    """A subscription's trial days from its application day, as subscriptions.services.apply sets them (SPEC 6:
    30 days of trial, then 30 of grace)."""
    return {
        "applied_on": applied_on,
        "trial_last_day": applied_on + timedelta(days=29),
        "grace_last_day": applied_on + timedelta(days=59),
    }


def _subscription_template(*, status: str, applied_on: date, now: datetime) -> dict[str, Any]:
    return template_row(
        Subscription,
        public_id="template",
        customer_id=1,
        account_type=AccountType.GROUP,
        name="template",
        admin_account_id="admin@template",
        plan=Plan.objects.get(code="basic"),
        status=status,
        **trial_dates(applied_on),
        created_at=now,
    )


def _applied_events(n: int, *, applied_on: date, now: datetime, with_trial_expired: bool) -> None:
    """What the application (and, for suspended ones, the trial expiry) wrote: the history the purge scrubs."""
    template = template_row(
        LifecycleEvent, subscription_id=1, kind="applied", actor="customer", at=now, to_status=Status.TRIAL
    )

    def rows() -> Iterator[dict]:
        event_id = 0
        for i in range(1, n + 1):
            trial_last_day = applied_on + timedelta(days=29)
            event_id += 1
            yield {
                "id": event_id,
                "subscription_id": i,
                "actor_user_id": customer_of(i),
                "details": {
                    "plan": "basic",
                    "account_type": AccountType.GROUP,
                    "name": f"bench-{i}",
                    "trial_last_day": trial_last_day.isoformat(),
                },
            }
            if with_trial_expired:
                event_id += 1
                yield {
                    "id": event_id,
                    "subscription_id": i,
                    "kind": "trial_expired",
                    "from_status": Status.TRIAL,
                    "to_status": Status.SUSPENDED,
                    "actor": "job:subscriptions.tasks.expire_trials",
                    "actor_user_id": None,
                    "details": {
                        "trial_last_day": trial_last_day.isoformat(),
                        "grace_last_day": (trial_last_day + timedelta(days=30)).isoformat(),
                    },
                }

    copy_rows(LifecycleEvent, template, rows())


def load_due_trials(n: int, *, today: date, now: datetime) -> None:
    """N trials whose last day was yesterday (KST): all due for `expire_trials` step 1; no workspace needed."""
    applied_on = today - timedelta(days=30)
    load_customers(n, now)
    template = _subscription_template(status=Status.TRIAL, applied_on=applied_on, now=now)
    copy_rows(
        Subscription,
        template,
        (_subscription_row(i) for i in range(1, n + 1)),
    )
    reset_sequences(User, Subscription)


def load_trials_ending_in_7_days(n: int, *, today: date, now: datetime) -> None:
    """N trials whose last day is 4 to 7 days away, all due for the `trial_ends_in_7_days` reminder, after
    REMINDER_HISTORY_SHARE x N older subscriptions (terminated) that got the same reminder in their day.

    The history matters: with no row of the reminder's kind in ReminderSent's statistics, PostgreSQL estimates
    one row and plans the job's "not sent yet" NOT EXISTS as a nested loop over a seq scan, which is quadratic
    in the rows the run itself inserts (see bench/README.md). A production table always holds that history.
    """
    history = n * REMINDER_HISTORY_SHARE // 100
    load_customers(history + n, now)
    template = _subscription_template(status=Status.TRIAL, applied_on=today - timedelta(days=25), now=now)

    def rows() -> Iterator[dict]:
        for i in range(1, history + n + 1):
            old = i <= history
            trial_last_day = today - timedelta(days=400 - i % 30) if old else today + timedelta(days=4 + i % 4)
            yield {
                "id": i,
                "public_id": secrets.token_urlsafe(12),
                "customer_id": customer_of(i),
                "name": f"bench-{i}",
                "admin_account_id": "" if old else f"admin@bench-{i}",
                "status": Status.TERMINATED if old else Status.TRIAL,
                "applied_on": trial_last_day - timedelta(days=29),
                "trial_last_day": trial_last_day,
                "grace_last_day": trial_last_day + timedelta(days=30),
            }

    copy_rows(Subscription, template, rows())

    def sent() -> Iterator[dict]:
        for i in range(1, history + 1):
            trial_last_day = today - timedelta(days=400 - i % 30)
            sent_at = datetime.combine(trial_last_day - timedelta(days=7), now.timetz())
            yield {"id": i, "subscription_id": i, "key": trial_last_day.isoformat(), "sent_at": sent_at}

    reminder_template = template_row(
        ReminderSent, subscription_id=1, kind="trial_ends_in_7_days", key="template", sent_at=now
    )
    copy_rows(ReminderSent, reminder_template, sent())
    reset_sequences(User, Subscription, ReminderSent)


def load_expired_graces(n: int, *, today: date, now: datetime) -> None:
    """N suspended trials whose grace ended yesterday, each with a real workspace and its admin account."""
    applied_on = today - timedelta(days=60)
    load_customers(n, now)
    workspace_template = template_row(
        Workspace,
        kind=AccountType.GROUP,
        name="template",
        company_name="Acme Korea",
        company_phone="+82 2-1234-5678",
        company_set_up_at=now,
        created_at=now,
    )
    copy_rows(
        Workspace,
        workspace_template,
        ({"id": i, "name": f"bench-{i}", "verification_token": new_verification_token()} for i in range(1, n + 1)),
    )
    member_template = template_row(
        Member,
        workspace_id=1,
        login_id="admin",
        name="Admin",
        password=MEMBER_PASSWORD_HASH,
        is_admin=True,
        created_at=now,
    )
    copy_rows(Member, member_template, ({"id": i, "workspace_id": i} for i in range(1, n + 1)))
    template = _subscription_template(status=Status.SUSPENDED, applied_on=applied_on, now=now)
    copy_rows(
        Subscription,
        template,
        (_subscription_row(i, workspace_id=i) for i in range(1, n + 1)),
    )
    _applied_events(n, applied_on=applied_on, now=now, with_trial_expired=True)
    reset_sequences(User, Workspace, Member, Subscription, LifecycleEvent)


# The tables the lifecycle loaders above fill: analyzed after each load.
LOADED_TABLES = [USER, REM, WS, MEM, SUB, EVT]
