"""The money jobs over N due subscriptions, each beside a raw-SQL baseline that does the same writes (issue 9).

- activation of N reserved paid conversions (`activate_scheduled_conversions`);
- execution of N reserved cancellations (`execute_scheduled_cancellations`: final invoice with the penalty,
  `terminated`, purge);
- renewal: the period close and invoicing of N active subscriptions (`renew_subscriptions`).

As for every benchmark (bench/harness.py) the job side is `run_steps` with the job's steps, the raw side the
same keyset chunks under the same lock (`FOR UPDATE OF s SKIP LOCKED`), one transaction per chunk, in as few
statements as SQL allows (the invoices' SQL, shared with the cancellation, in bench/raw.py), and a fingerprint of every
table either side writes tells whether they wrote the same rows.
"""

import os
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from accounts.models import User
from bench import data, db, harness
from bench.data import copy_rows, customer_of, reset_sequences, template_row
from bench.raw import (
    PENALTY_CTE,
    invoices_sql,
    money_params,
    period_index_sql,
    period_start_sql,
    purge,
)
from bench.tables import CREDIT, EVT, INV, LINE, MEM, PLAN, RES, SEG, SUB, WS
from billing.models import CustomerCredit, Plan, RateSegment
from subscriptions.lifecycle import ACTIVATE_CONVERSIONS, EXECUTE_CANCELLATIONS, RENEW
from subscriptions.models import Reservation, Status, Subscription
from works_console.dates import kst_date
from workspaces.models import Member, Workspace

PLANS = ("lite", "basic", "premium")

# Everything the money jobs write, minus what differs by nature (generated ids, random public ids, created_at).
MONEY_FINGERPRINT = f"""
SELECT md5(coalesce((SELECT string_agg(concat_ws('|', id, status, plan_id, paid_start, contract_type, licences,
                                                 term_start, term_end, renewal_option, renewal_licences,
                                                 next_period_index, next_invoice_on, terminated_on, purged_at,
                                                 workspace_id, admin_account_id), ',' ORDER BY id) FROM {SUB}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, kind, state, effective_on, resolved_at),
                                       ',' ORDER BY subscription_id, kind, id) FROM {RES}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, plan_id, contract_type, unit_price,
                                                 list_unit_price, quantity, starts_on, ends_on), ','
                                       ORDER BY subscription_id, starts_on, id) FROM {SEG}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, customer_id, period_index, period_start,
                                                 period_end, issued_on, is_final, subtotal, credit_applied, vat,
                                                 total), ',' ORDER BY subscription_id, period_index) FROM {INV}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', i.subscription_id, i.period_index, l.kind, l.description,
                                                 l.plan_id, l.plan_name, l.contract_type, l.unit_price, l.quantity,
                                                 l.days, l.period_days, l.starts_on, l.ends_on, l.cancellation_date,
                                                 l.amount), ','
                                       ORDER BY i.subscription_id, i.period_index, l.id)
                     FROM {LINE} l JOIN {INV} i ON i.id = l.invoice_id), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', c.customer_id, c.amount,
                                                 CASE WHEN i.id IS NULL THEN c.reason
                                                      ELSE (c.reason = 'Applied to invoice ' || i.public_id)::text
                                                 END, i.subscription_id,
                                                 i.period_index), ','
                                       ORDER BY c.customer_id, i.subscription_id, i.period_index, c.amount)
                     FROM {CREDIT} c LEFT JOIN {INV} i ON i.id = c.invoice_id), ''))
"""


def money_fingerprint() -> str:
    fingerprint = harness.fingerprint() + harness.fetch_one(MONEY_FINGERPRINT)[0]
    if os.environ.get("BENCH_DUMP_WRITES"):
        # Debugging a "same writes = NO": the rows behind each part of the fingerprint, one file per side.
        global _dumps
        _dumps += 1
        whole = harness.FINGERPRINT.rstrip() + "\n    || '#' || " + MONEY_FINGERPRINT.strip().removeprefix("SELECT ")
        rows = harness.fetch_one(whole.replace("md5(", "(").replace("\n    || ", "\n    || '#' || "))
        path = Path(os.environ["BENCH_DUMP_WRITES"]) / f"writes-{_dumps}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(str(row) for row in rows).replace(",", "\n"))
    return fingerprint


_dumps = 0


def money_job_beside_raw(row: str, n: int, options: harness.Options, **sides) -> harness.JobResult:
    """harness.job_beside_raw for a money job: fresh planner statistics on every table the benchmark fills
    (reservations, segments and credits too: with none, PostgreSQL estimates one row and plans nested loops over
    whole tables), and the money tables in the fingerprint as well."""
    return harness.job_beside_raw(row, n, options, analyze=db.data_tables(), fingerprint=money_fingerprint, **sides)


def _plans() -> dict[str, Plan]:
    return {plan.code: plan for plan in Plan.objects.filter(code__in=PLANS)}


def _segment(
    segment_id: int, subscription_id: int, plan: Plan, contract_type: str, starts_on: date, ends_on: date | None = None
) -> dict:
    """A rate segment at the catalog price of `plan`: an annual one for 5 licences, a monthly one on the members."""
    annual = contract_type == "annual"
    return {
        "id": segment_id,
        "subscription_id": subscription_id,
        "plan_id": plan.pk,
        "contract_type": contract_type,
        "unit_price": plan.annual_unit_price if annual else plan.monthly_unit_price,
        "list_unit_price": plan.monthly_unit_price,
        "quantity": 5 if annual else None,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


def _copy_segments(segments: Iterable[dict], *, plans: dict[str, Plan], today: date) -> None:
    """COPY the rate segments (see _segment)."""
    template = template_row(
        RateSegment,
        subscription_id=1,
        plan=plans["basic"],
        contract_type="annual",
        unit_price=1,
        list_unit_price=1,
        starts_on=today,
    )
    copy_rows(RateSegment, template, segments)


def _paid_row(
    i: int,
    *,
    plan: Plan,
    contract_type: str,
    paid_start: date,
    term: tuple[date, date],
    next_period_index: int,
    **values,
) -> dict:
    """Subscription i as a paid contract since `paid_start` (its trial applied for 20 days before), 5 licences when
    annual, in the term `term`, to be invoiced next for period `next_period_index`; `values` on top."""
    from billing.periods import period_bounds

    return data._subscription_row(
        i,
        workspace_id=i,
        status=Status.ACTIVE,
        plan_id=plan.pk,
        **data.trial_dates(paid_start - timedelta(days=20)),
        paid_start=paid_start,
        contract_type=contract_type,
        licences=5 if contract_type == "annual" else None,
        term_start=term[0],
        term_end=term[1],
        next_period_index=next_period_index,
        next_invoice_on=period_bounds(paid_start, next_period_index).next_start,
        **values,
    )


def _copy_reservations(kind: str, reservations: Iterable[dict], *, today: date, now: datetime) -> None:
    """COPY pending reservations of `kind`, effective today; each row gives at least id and subscription_id."""
    copy_rows(
        Reservation,
        template_row(Reservation, subscription_id=1, kind=kind, effective_on=today, created_at=now),
        reservations,
    )


def _load_workspaces(
    n: int, *, now: datetime, extra_members: dict[int, int] | None = None, late: frozenset[int] = frozenset()
) -> None:
    """N workspaces with their admin account, and `extra_members` ({workspace id: count}) more members; the `late`
    workspaces also have a member added just now and one removed just now (after today's close at 00:00 KST)."""
    extra_members = extra_members or {}
    copy_rows(
        Workspace,
        template_row(
            Workspace,
            kind="group",
            name="template",
            company_name="Acme Korea",
            company_phone="+82 2-1234-5678",
            company_set_up_at=now,
            created_at=now - timedelta(days=90),
        ),
        (
            {"id": i, "name": f"bench-{i}", "verification_token": data.new_verification_token()}
            for i in range(1, n + 1)
        ),
    )

    def members() -> Iterator[dict]:
        member_id = 0
        for i in range(1, n + 1):
            member_id += 1
            yield {"id": member_id, "workspace_id": i}
            for extra in range(extra_members.get(i, 0)):
                member_id += 1
                yield {
                    "id": member_id,
                    "workspace_id": i,
                    "login_id": f"staff{extra}",
                    "name": "Staff",
                    "is_admin": False,
                }
            if i in late:
                member_id += 1
                yield {
                    "id": member_id,
                    "workspace_id": i,
                    "login_id": "newcomer",
                    "is_admin": False,
                    "created_at": now,
                }
                member_id += 1
                yield {"id": member_id, "workspace_id": i, "login_id": "leaver", "is_admin": False, "removed_at": now}

    copy_rows(
        Member,
        template_row(
            Member,
            workspace_id=1,
            login_id="admin",
            name="Admin",
            password=data.MEMBER_PASSWORD_HASH,
            is_admin=True,
            created_at=now - timedelta(days=90),
        ),
        members(),
    )


# --- activation of reserved conversions ------------------------------------------------------------------------


def load_reserved_conversions(n: int, *, today: date, now: datetime) -> None:
    """N trials (one in five suspended) with a paid conversion reserved for today: plans in turn, monthly and
    annual alternately; one annual workspace in five has grown to 3 members over its 2 reserved licences."""
    plans = _plans()
    data.load_customers(n, now)
    grown = {i for i in range(1, n + 1) if i % 10 == 0}
    _load_workspaces(n, now=now, extra_members={i: 2 for i in grown})
    trial = data._subscription_template(status=Status.TRIAL, applied_on=today - timedelta(days=20), now=now)

    def subscriptions() -> Iterator[dict]:
        for i in range(1, n + 1):
            suspended = i % 5 == 0
            yield data._subscription_row(
                i,
                workspace_id=i,
                status=Status.SUSPENDED if suspended else Status.TRIAL,
                **data.trial_dates(today - timedelta(days=40 if suspended else 20)),
            )

    copy_rows(Subscription, trial, subscriptions())
    _copy_reservations(
        Reservation.Kind.CONVERSION,
        (
            {
                "id": i,
                "subscription_id": i,
                "plan_id": plans[PLANS[i % 3]].pk,
                "contract_type": "annual" if i % 2 == 0 else "monthly",
                "licences": (2 if i in grown else 5) if i % 2 == 0 else None,
            }
            for i in range(1, n + 1)
        ),
        today=today,
        now=now,
    )
    reset_sequences(User, Workspace, Member, Subscription, Reservation)


ACTIVATE_CHUNK = f"""
WITH claimed AS (
    SELECT s.id, s.status, s.workspace_id FROM {SUB} s
    WHERE s.id > %(last)s AND s.status IN ('trial', 'suspended')
      AND EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'conversion'
                  AND r.state = 'pending' AND r.effective_on <= %(today)s)
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
), terms AS (
    SELECT c.id, c.status AS from_status, r.id AS reservation_id, r.plan_id, r.contract_type, r.effective_on,
           r.licences AS reserved, p.code AS plan_code, p.monthly_unit_price,
           CASE WHEN r.contract_type = 'annual' THEN p.annual_unit_price ELSE p.monthly_unit_price END AS unit_price,
           CASE WHEN r.contract_type = 'annual'
                THEN greatest(coalesce(r.licences, 0), greatest(m.members, 1)) END AS licences,
           r.contract_type = 'annual' AND coalesce(r.licences, 0) < greatest(m.members, 1) AS raised,
           (r.effective_on + CASE WHEN r.contract_type = 'annual' THEN interval '12 months'
                                  ELSE interval '1 month' END)::date - 1 AS term_end,
           (r.effective_on + interval '1 month')::date AS next_invoice_on
    FROM claimed c
    JOIN {RES} r ON r.subscription_id = c.id AND r.kind = 'conversion' AND r.state = 'pending'
                 AND r.effective_on <= %(today)s
    JOIN {PLAN} p ON p.id = r.plan_id
    CROSS JOIN LATERAL (SELECT count(*) AS members FROM {MEM} m
                        WHERE m.workspace_id = c.workspace_id AND m.removed_at IS NULL) m
), segments AS (
    INSERT INTO {SEG} (subscription_id, plan_id, contract_type, unit_price, list_unit_price, quantity, starts_on,
                       ends_on, created_at)
    SELECT id, plan_id, contract_type, unit_price, monthly_unit_price, licences, effective_on, NULL, %(now)s
    FROM terms
), converted AS (
    UPDATE {SUB} s SET status = 'active', plan_id = t.plan_id, paid_start = t.effective_on,
        contract_type = t.contract_type, licences = t.licences, term_start = t.effective_on, term_end = t.term_end,
        renewal_option = '', renewal_licences = NULL, next_period_index = 0, next_invoice_on = t.next_invoice_on
    FROM terms t WHERE s.id = t.id
), resolved AS (
    UPDATE {RES} r SET state = 'done', resolved_at = %(now)s FROM terms t WHERE r.id = t.reservation_id
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT id, 'converted', from_status, 'active', %(actor)s, NULL, %(now)s,
       jsonb_build_object('plan', plan_code, 'contract_type', contract_type, 'licences', reserved,
                          'start_on', to_char(effective_on, 'YYYY-MM-DD'), 'reservation', reservation_id,
                          'unit_price', unit_price, 'term_end', to_char(term_end, 'YYYY-MM-DD'))
       || CASE WHEN raised THEN jsonb_build_object('licences_raised_to_members', licences) ELSE '{{}}'::jsonb END
FROM terms
RETURNING subscription_id
"""


def _activated_counts(n: int, today: date) -> harness.Counts:
    active, segments, done, events, raised = harness.fetch_one(
        f"""
        SELECT count(*) FILTER (WHERE status = 'active' AND paid_start = %(today)s AND next_period_index = 0),
               (SELECT count(*) FROM {SEG} WHERE starts_on = %(today)s AND ends_on IS NULL),
               (SELECT count(*) FROM {RES} WHERE state = 'done'),
               (SELECT count(*) FROM {EVT} WHERE kind = 'converted' AND to_status = 'active'),
               (SELECT count(*) FROM {EVT} WHERE kind = 'converted' AND details ? 'licences_raised_to_members')
        FROM {SUB}
        """,
        {"today": today},
    )
    return {
        "active from today": (active, n),
        "open rate segments": (segments, n),
        "reservations done": (done, n),
        "converted events": (events, n),
        "licences raised to the members": (raised, n // 10),
    }


def bench_activation(n: int, options: harness.Options) -> harness.JobResult:
    now = timezone.now()
    return money_job_beside_raw(
        "activate_scheduled_conversions",
        n,
        options,
        job=ACTIVATE_CONVERSIONS,
        step="activate_conversion",
        now=now,
        load=load_reserved_conversions,
        counts=lambda: _activated_counts(n, kst_date(now)),
        raw_params=lambda: harness.claim_params(ACTIVATE_CONVERSIONS, now, options),
        raw_chunk=harness.one_statement(ACTIVATE_CHUNK),
    )


MONEY_BENCHMARKS = {
    "activation": bench_activation,
}


# --- execution of reserved cancellations ----------------------------------------------------------------------


def load_reserved_cancellations(n: int, *, today: date, now: datetime) -> None:
    """N subscriptions with a cancellation reserved for today: half active annual contracts in their 5th period
    (a final invoice with usage and the penalty), three in ten active monthly ones in their 3rd (usage on the
    members registered, 3 in a third of them), one in five trials (no invoice); each with its workspace."""
    from dateutil.relativedelta import relativedelta

    from billing.periods import period_bounds, term_bounds

    plans = _plans()
    data.load_customers(n, now)
    kinds = {i: ("annual" if i % 10 < 5 else "monthly" if i % 10 < 8 else "trial") for i in range(1, n + 1)}
    _load_workspaces(n, now=now, extra_members={i: 2 for i in kinds if i % 10 == 5})
    # Annual contracts in the 5th period (index 4) of their first term, monthly ones in their 3rd (index 2).
    starts = {"annual": today - relativedelta(months=4, days=10), "monthly": today - relativedelta(months=2, days=5)}
    period_index = {"annual": 4, "monthly": 2}
    monthly_period = period_bounds(starts["monthly"], period_index["monthly"])
    terms = {"annual": term_bounds(starts["annual"], 0), "monthly": (monthly_period.start, monthly_period.end)}
    template = data._subscription_template(status=Status.TRIAL, applied_on=today - timedelta(days=10), now=now)

    def subscriptions() -> Iterator[dict]:
        for i in range(1, n + 1):
            kind = kinds[i]
            if kind == "trial":
                yield data._subscription_row(i, workspace_id=i)
                continue
            yield _paid_row(
                i,
                plan=plans[PLANS[i % 3]],
                contract_type=kind,
                paid_start=starts[kind],
                term=terms[kind],
                next_period_index=period_index[kind],
            )

    copy_rows(Subscription, template, subscriptions())
    _copy_segments(
        (_segment(i, i, plans[PLANS[i % 3]], kinds[i], starts[kinds[i]]) for i in kinds if kinds[i] != "trial"),
        plans=plans,
        today=today,
    )
    _copy_reservations(
        Reservation.Kind.CANCELLATION,
        ({"id": i, "subscription_id": i} for i in range(1, n + 1)),
        today=today,
        now=now,
    )
    reset_sequences(User, Workspace, Member, Subscription, RateSegment, Reservation)


CLAIM_CANCELLATIONS = f"""
WITH claimed AS (
    SELECT s.id FROM {SUB} s
    WHERE s.id > %(last)s AND s.status <> 'terminated'
      AND EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'cancellation'
                  AND r.state = 'pending' AND r.effective_on <= %(today)s)
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
)
SELECT s.id, s.status, s.workspace_id, r.id, r.effective_on
FROM claimed c JOIN {SUB} s ON s.id = c.id
CROSS JOIN LATERAL (SELECT id, effective_on FROM {RES} WHERE subscription_id = s.id AND kind = 'cancellation'
                    AND state = 'pending' AND effective_on <= %(today)s ORDER BY id LIMIT 1) r
ORDER BY s.id
"""

FINAL_INVOICES = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(ons)s::date[]) WITH ORDINALITY AS t (id, c, ord)
), per AS (
    SELECT i.id, i.c, i.ord, s.customer_id, s.workspace_id, s.paid_start, s.contract_type, s.term_start, s.term_end,
           {period_index_sql("s.paid_start", "i.c")} AS k
    FROM input i JOIN {SUB} s ON s.id = i.id
), {PENALTY_CTE.strip()}, billed AS (
    SELECT p.id, p.customer_id, p.workspace_id, p.ord, p.k, {period_start_sql("p.paid_start", "p.k")} AS p_start,
           {period_start_sql("p.paid_start", "p.k + 1")} AS p_next, p.c AS until, true AS is_final,
           coalesce(pen.amount, 0) AS penalty, p.term_start, p.term_end, p.c
    FROM per p LEFT JOIN pen ON pen.id = p.id
)
""" + invoices_sql(
    returning="SELECT b.id, b.penalty, i.public_id, b.k FROM billed b LEFT JOIN invoices i ON i.subscription_id = b.id"
)

END_CANCELLED = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(ons)s::date[], %(next_index)s::int[], %(penalties)s::bigint[],
                         %(finals)s::text[], %(from_status)s::text[], %(reservations)s::bigint[], %(active)s::bool[])
        AS t (id, c, next_index, penalty, final_invoice, from_status, reservation_id, active)
), dropped AS (
    DELETE FROM {SEG} g USING input i WHERE g.subscription_id = i.id AND g.starts_on >= i.c
), closed AS (
    UPDATE {SEG} g SET ends_on = i.c FROM input i
    WHERE g.subscription_id = i.id AND g.starts_on < i.c AND (g.ends_on IS NULL OR g.ends_on > i.c)
), done AS (
    UPDATE {RES} r SET state = 'done', resolved_at = %(now)s FROM input i
    WHERE r.subscription_id = i.id AND r.state = 'pending' AND r.kind = 'cancellation'
), withdrawn AS (
    UPDATE {RES} r SET state = 'withdrawn', resolved_at = %(now)s FROM input i
    WHERE r.subscription_id = i.id AND r.state = 'pending' AND r.kind <> 'cancellation'
), ended AS (
    UPDATE {SUB} s SET status = 'terminated', terminated_on = i.c, next_invoice_on = NULL,
        next_period_index = coalesce(i.next_index, s.next_period_index)
    FROM input i WHERE s.id = i.id
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT id, 'cancelled', from_status, 'terminated', %(actor)s, NULL, %(now)s,
       jsonb_build_object('cancellation_date', to_char(c, 'YYYY-MM-DD'), 'penalty', penalty,
                          'reservation', reservation_id)
       || CASE WHEN active THEN jsonb_build_object('final_invoice', final_invoice) ELSE '{{}}'::jsonb END
FROM input ORDER BY id
"""


def _cancelled_counts(n: int, today: date) -> harness.Counts:
    terminated, finals, penalties, workspaces, events, linked = harness.fetch_one(
        f"""
        SELECT count(*) FILTER (WHERE status = 'terminated' AND terminated_on = %(today)s AND workspace_id IS NULL
                                  AND purged_at IS NOT NULL),
               (SELECT count(*) FROM {INV} WHERE is_final AND issued_on = %(today)s),
               (SELECT count(*) FROM {LINE} WHERE kind = 'penalty' AND amount > 0),
               (SELECT count(*) FROM {WS}),
               (SELECT count(*) FROM {EVT} WHERE kind = 'cancelled' AND to_status = 'terminated'),
               (SELECT count(*) FROM {EVT} e JOIN {INV} i ON i.public_id = e.details->>'final_invoice'
                 AND i.subscription_id = e.subscription_id AND i.is_final WHERE e.kind = 'cancelled')
        FROM {SUB}
        """,
        {"today": today},
    )
    active = len([i for i in range(1, n + 1) if i % 10 < 8])
    return {
        "terminated and purged": (terminated, n),
        "final invoices": (finals, active),
        "penalty lines": (penalties, len([i for i in range(1, n + 1) if i % 10 < 5])),
        "workspaces left": (workspaces, 0),
        "cancelled events": (events, n),
        "events naming their final invoice": (linked, active),
    }


def bench_cancellation(n: int, options: harness.Options) -> harness.JobResult:
    now = timezone.now()

    def chunk(cursor, last_id: int, params: dict) -> list[int]:
        cursor.execute(CLAIM_CANCELLATIONS, params | {"last": last_id})
        claimed = cursor.fetchall()
        if not claimed:
            return []
        active = [row for row in claimed if row[1] == Status.ACTIVE]
        finals = {}
        if active:
            cursor.execute(
                FINAL_INVOICES, params | {"ids": [row[0] for row in active], "ons": [row[4] for row in active]}
            )
            finals = {row[0]: row[1:] for row in cursor.fetchall()}
        nothing = (0, None, None)
        cursor.execute(
            END_CANCELLED,
            params
            | {
                "ids": [row[0] for row in claimed],
                "ons": [row[4] for row in claimed],
                "next_index": [
                    finals[row[0]][2] + 1 if row[0] in finals and finals[row[0]][1] else None for row in claimed
                ],
                "penalties": [finals.get(row[0], nothing)[0] for row in claimed],
                "finals": [finals.get(row[0], nothing)[1] for row in claimed],
                "from_status": [row[1] for row in claimed],
                "reservations": [row[3] for row in claimed],
                "active": [row[0] in finals for row in claimed],
            },
        )
        purge(cursor, params, [row[0] for row in claimed], [row[2] for row in claimed])
        return [row[0] for row in claimed]

    return money_job_beside_raw(
        "execute_scheduled_cancellations",
        n,
        options,
        job=EXECUTE_CANCELLATIONS,
        step="execute_cancellation",
        now=now,
        load=load_reserved_cancellations,
        counts=lambda: _cancelled_counts(n, kst_date(now)),
        raw_params=lambda: money_params(now, options, EXECUTE_CANCELLATIONS),
        raw_chunk=chunk,
    )


MONEY_BENCHMARKS["cancellation"] = bench_cancellation


# --- renewal: period close and invoicing ----------------------------------------------------------------------

CREDIT_GRANT = 20_000


def _renewal_kind(i: int) -> tuple[str, str, bool]:
    """(contract type, renewal option at a term end or '', two rate segments) of subscription i."""
    if i % 100 in (2, 12, 22):
        return "annual", {2: "renew_annual", 12: "switch_to_monthly", 22: "do_not_renew"}[i % 100], False
    return ("annual" if i % 2 == 0 else "monthly"), "", i % 20 in (3, 4)


def load_renewals(n: int, *, today: date, now: datetime) -> None:
    """N active subscriptions whose billing period ended yesterday (KST), the issue-9 mix: monthly and annual in
    turn; one in ten with two rate segments (an upgrade 10 days into the period); one in ten belonging to a
    customer with 20,000 KRW of credit; 1% each of annual terms ending yesterday with "Renew as annual",
    "Switch to monthly" and "Do not renew"; a monthly workspace in ten with 3 members; one in five with a member
    added and one removed after today's close (billed without the first, with the second)."""
    from dateutil.relativedelta import relativedelta

    from billing.periods import period_bounds, term_bounds

    plans = _plans()
    data.load_customers(n, now)
    _load_workspaces(
        n,
        now=now,
        extra_members={i: 2 for i in range(1, n + 1) if i % 10 == 7},
        late=frozenset(i for i in range(1, n + 1) if i % 10 in (1, 7)),
    )
    starts = {
        "annual": today - relativedelta(months=5),
        "monthly": today - relativedelta(months=3),
        "term_end": today - relativedelta(months=12),
    }
    template = data._subscription_template(status=Status.ACTIVE, applied_on=today, now=now)

    def facts(i: int) -> dict:
        contract_type, option, two = _renewal_kind(i)
        anchor = starts["term_end" if option else contract_type]
        index = 11 if option else (4 if contract_type == "annual" else 2)
        plan = plans["premium" if two else PLANS[i % 3]]
        return {
            "contract_type": contract_type,
            "option": option,
            "two": two,
            "anchor": anchor,
            "index": index,
            "plan": plan,
            "period": period_bounds(anchor, index),
        }

    def subscriptions() -> Iterator[dict]:
        for i in range(1, n + 1):
            f = facts(i)
            annual = f["contract_type"] == "annual"
            term = term_bounds(f["anchor"], 0) if annual else (f["period"].start, f["period"].end)
            yield _paid_row(
                i,
                plan=f["plan"],
                contract_type=f["contract_type"],
                paid_start=f["anchor"],
                term=term,
                next_period_index=f["index"],
                renewal_option=f["option"],
            )

    copy_rows(Subscription, template, subscriptions())

    def segments() -> Iterator[dict]:
        segment_id = 0
        for i in range(1, n + 1):
            f = facts(i)
            parts = [(plans["basic"], f["anchor"], f["period"].start + timedelta(days=10)), (f["plan"], None, None)]
            if not f["two"]:
                parts = [(f["plan"], f["anchor"], None)]
            for number, (plan, starts_on, ends_on) in enumerate(parts):
                segment_id += 1
                yield _segment(
                    segment_id, i, plan, f["contract_type"], starts_on if number == 0 else parts[0][2], ends_on
                )

    _copy_segments(segments(), plans=plans, today=today)
    credit = template_row(CustomerCredit, customer_id=1, amount=CREDIT_GRANT, reason="Bench goodwill", created_at=now)
    copy_rows(
        CustomerCredit,
        credit,
        ({"id": c, "customer_id": c} for c in range(1, customer_of(n) + 1) if c % 10 == 0),
    )
    reset_sequences(User, Workspace, Member, Subscription, RateSegment, CustomerCredit)


CLAIM_RENEWALS = f"""
WITH claimed AS (
    SELECT s.id FROM {SUB} s
    WHERE s.id > %(last)s AND s.status = 'active' AND s.next_invoice_on <= %(today)s
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
)
SELECT s.id, s.contract_type, s.renewal_option, s.term_end, s.workspace_id FROM claimed c JOIN {SUB} s ON s.id = c.id
ORDER BY s.id
"""

# "Renew as annual" and "Switch to monthly" at a term's end (subscriptions.services.paid._renew_annual and
# _continue_monthly): the open segment ends on the new term's first day, a new one opens at the catalog price.
RENEW_TERMS = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[]) AS t (id)
), sub AS (
    SELECT s.id, s.plan_id, s.paid_start, s.contract_type AS from_contract_type, s.renewal_option, s.licences,
           s.renewal_licences, s.term_end + 1 AS starts_on, s.workspace_id, p.annual_unit_price, p.monthly_unit_price
    FROM input i JOIN {SUB} s ON s.id = i.id JOIN {PLAN} p ON p.id = s.plan_id
), terms AS (
    SELECT sub.*, {period_index_sql("sub.paid_start", "sub.starts_on")} AS k,
           (SELECT count(*) FROM {MEM} m WHERE m.workspace_id = sub.workspace_id AND m.removed_at IS NULL) AS members
    FROM sub
), renewed AS (
    SELECT t.*, t.renewal_option = 'renew_annual' AS annual,
           CASE WHEN t.renewal_option = 'renew_annual'
                THEN greatest(coalesce(t.renewal_licences, t.licences, t.members), t.members, 1) END AS new_licences,
           CASE WHEN t.renewal_option = 'renew_annual' THEN t.annual_unit_price ELSE t.monthly_unit_price END
               AS unit_price,
           {period_start_sql("t.paid_start", "t.k")} AS term_start,
           CASE WHEN t.renewal_option = 'renew_annual' THEN {period_start_sql("t.paid_start", "t.k + 12")} - 1
                ELSE {period_start_sql("t.paid_start", "t.k + 1")} - 1 END AS term_end
    FROM terms t
), opened AS (
    INSERT INTO {SEG} (subscription_id, plan_id, contract_type, unit_price, list_unit_price, quantity, starts_on,
                       ends_on, created_at)
    SELECT id, plan_id, CASE WHEN annual THEN 'annual' ELSE 'monthly' END, unit_price, monthly_unit_price,
           new_licences, starts_on, NULL, %(now)s
    FROM renewed
), changed AS (
    UPDATE {SUB} s SET contract_type = CASE WHEN r.annual THEN 'annual' ELSE 'monthly' END,
        licences = r.new_licences, renewal_licences = NULL, term_start = r.term_start, term_end = r.term_end
    FROM renewed r WHERE s.id = r.id
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT id, 'renewed', 'active', 'active', %(actor)s, NULL, %(now)s,
       jsonb_build_object('option', renewal_option, 'from_contract_type', from_contract_type,
                          'contract_type', CASE WHEN annual THEN 'annual' ELSE 'monthly' END,
                          'unit_price', unit_price, 'term_start', to_char(term_start, 'YYYY-MM-DD'),
                          'term_end', to_char(term_end, 'YYYY-MM-DD'))
       || CASE WHEN annual THEN jsonb_build_object('licences', new_licences) ELSE '{{}}'::jsonb END
FROM renewed ORDER BY id
"""

# Before RENEW_TERMS, in a statement of its own: the one-open-segment constraint is checked row by row.
CLOSE_TERM_SEGMENTS = f"""
UPDATE {SEG} g SET ends_on = s.term_end + 1 FROM {SUB} s
WHERE s.id = ANY(%(ids)s::bigint[]) AND g.subscription_id = s.id AND g.ends_on IS NULL AND g.starts_on <= s.term_end
"""

# Every ended period of the chunk (from next_period_index while it ended before today), invoiced in one go.
PERIOD_INVOICES = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(ords)s::int[]) AS t (id, ord)
), billed AS (
    SELECT s.id, s.customer_id, s.workspace_id, i.ord, p.k, p.p_start, p.p_next, p.p_next AS until,
           false AS is_final, 0::bigint AS penalty, s.term_start, s.term_end, NULL::date AS c
    FROM input i JOIN {SUB} s ON s.id = i.id
    CROSS JOIN LATERAL (
        SELECT kk AS k, {period_start_sql("s.paid_start", "kk")} AS p_start,
               {period_start_sql("s.paid_start", "kk + 1")} AS p_next
        FROM generate_series(s.next_period_index, {period_index_sql("s.paid_start", "%(today)s::date")} - 1) kk
    ) p
)
""" + invoices_sql(
    returning="SELECT b.id, max(b.k) FROM billed b JOIN invoices i ON i.subscription_id = b.id GROUP BY b.id"
)

# next_period_index and next_invoice_on after the invoices, and the monthly terms that roll (one UPDATE).
ADVANCE = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(next_index)s::int[], %(rolls)s::bool[]) AS t (id, next_index, rolls)
)
UPDATE {SUB} s SET next_period_index = i.next_index,
    next_invoice_on = {period_start_sql("s.paid_start", "i.next_index + 1")},
    term_start = CASE WHEN i.rolls THEN {period_start_sql("s.paid_start", "i.next_index")} ELSE s.term_start END,
    term_end = CASE WHEN i.rolls THEN {period_start_sql("s.paid_start", "i.next_index + 1")} - 1 ELSE s.term_end END
FROM input i WHERE s.id = i.id
"""

# "Do not renew": the service ends the day after the term (cancel.end_service with no penalty and nothing left
# to bill after the last period): segments close, terminated, not_renewed event; the purge follows.
NOT_RENEWED = f"""
WITH input AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(next_index)s::int[]) AS t (id, next_index)
), sub AS (
    SELECT s.id, s.term_end, s.term_end + 1 AS ends_on FROM input i JOIN {SUB} s ON s.id = i.id
), dropped AS (
    DELETE FROM {SEG} g USING sub WHERE g.subscription_id = sub.id AND g.starts_on >= sub.ends_on
), closed AS (
    UPDATE {SEG} g SET ends_on = sub.ends_on FROM sub
    WHERE g.subscription_id = sub.id AND g.starts_on < sub.ends_on AND (g.ends_on IS NULL OR g.ends_on > sub.ends_on)
), withdrawn AS (
    UPDATE {RES} r SET state = 'withdrawn', resolved_at = %(now)s FROM sub
    WHERE r.subscription_id = sub.id AND r.state = 'pending'
), ended AS (
    UPDATE {SUB} s SET status = 'terminated', terminated_on = sub.ends_on, next_invoice_on = NULL,
        next_period_index = i.next_index
    FROM sub JOIN input i ON i.id = sub.id WHERE s.id = sub.id
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT id, 'not_renewed', 'active', 'terminated', %(actor)s, NULL, %(now)s,
       jsonb_build_object('term_end', to_char(term_end, 'YYYY-MM-DD'), 'final_invoice', NULL)
FROM sub ORDER BY id
"""


def _renewed_counts(n: int, today: date) -> harness.Counts:
    invoices, advanced, renewed, ended, credited, two_lines = harness.fetch_one(
        f"""
        SELECT (SELECT count(*) FROM {INV} WHERE issued_on = %(today)s AND NOT is_final),
               count(*) FILTER (WHERE status = 'active' AND next_invoice_on > %(today)s),
               (SELECT count(*) FROM {EVT} WHERE kind = 'renewed'),
               count(*) FILTER (WHERE status = 'terminated' AND purged_at IS NOT NULL),
               (SELECT count(DISTINCT customer_id) FROM {CREDIT} WHERE amount < 0),
               (SELECT count(*) FROM (SELECT invoice_id FROM {LINE} GROUP BY invoice_id HAVING count(*) = 2) x)
        FROM {SUB}
        """,
        {"today": today},
    )
    kinds = [_renewal_kind(i) for i in range(1, n + 1)]
    not_renewed = sum(option == "do_not_renew" for _c, option, _two in kinds)
    return {
        "period invoices": (invoices, n),
        "active and due no more": (advanced, n - not_renewed),
        "renewed terms": (renewed, sum(option in ("renew_annual", "switch_to_monthly") for _c, option, _t in kinds)),
        "not renewed, purged": (ended, not_renewed),
        "invoices with two usage lines": (two_lines, sum(two for _c, _o, two in kinds)),
        "customers whose credit paid": (credited, customer_of(n) // 10),
    }


def bench_renewal(n: int, options: harness.Options) -> harness.JobResult:
    now = timezone.now()
    today = kst_date(now)

    def chunk(cursor, last_id: int, params: dict) -> list[int]:
        cursor.execute(CLAIM_RENEWALS, params | {"last": last_id})
        claimed = cursor.fetchall()
        if not claimed:
            return []
        ended = [row for row in claimed if row[3] < today]
        renewing = [row[0] for row in ended if row[2] in ("renew_annual", "switch_to_monthly") and row[1] == "annual"]
        not_renewed = [row for row in ended if row[2] == "do_not_renew"]
        rolls = {row[0] for row in ended if row[1] == "monthly" and row[2] in ("", "switch_to_monthly")}
        if renewing:
            cursor.execute(CLOSE_TERM_SEGMENTS, params | {"ids": renewing})
            cursor.execute(RENEW_TERMS, params | {"ids": renewing})
        # The per-row renewals ("Do not renew") issue their invoices before the chunk's: credit goes in that order.
        order = {row[0]: (0 if row in not_renewed else 1, index) for index, row in enumerate(claimed)}
        ids = sorted(order, key=order.get)
        cursor.execute(PERIOD_INVOICES, params | {"ids": ids, "ords": list(range(len(ids)))})
        last_period = dict(cursor.fetchall())
        advancing = [pk for pk in ids if pk in last_period and pk not in {row[0] for row in not_renewed}]
        cursor.execute(
            ADVANCE,
            params
            | {
                "ids": advancing,
                "next_index": [last_period[pk] + 1 for pk in advancing],
                "rolls": [pk in rolls for pk in advancing],
            },
        )
        if not_renewed:
            gone = [row[0] for row in not_renewed]
            cursor.execute(NOT_RENEWED, params | {"ids": gone, "next_index": [last_period[pk] + 1 for pk in gone]})
            purge(cursor, params, gone, [row[4] for row in not_renewed])
        return [row[0] for row in claimed]

    return money_job_beside_raw(
        "renew_subscriptions: close + invoice",
        n,
        options,
        job=RENEW,
        step="close_period",
        now=now,
        load=load_renewals,
        counts=lambda: _renewed_counts(n, today),
        raw_params=lambda: money_params(now, options, RENEW),
        raw_chunk=chunk,
    )


MONEY_BENCHMARKS["renewal"] = bench_renewal
