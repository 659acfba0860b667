"""Lifecycle jobs over N due subscriptions, each beside a raw-SQL baseline that does the same writes.

The job side is the real code path: `subscriptions.services.jobs.run_steps` with a step of
`subscriptions.lifecycle.JOBS`, as the Celery task runs it. The raw side claims the same keyset chunks with the
same lock (`FOR UPDATE OF s SKIP LOCKED`, one transaction per chunk) and writes the same rows in as few
statements as SQL allows: what is left between the two columns is the ORM, the Python around it and the query
shape. Each run is checked (exactly N subscriptions changed, with exactly the expected rows), and the rows
both sides wrote are compared.
"""

import cProfile
import io
import pstats
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from bench import data, db
from bench.mail import SAMPLE_EVERY, CountingBackend
from bench.metrics import PeakMemory, QueryMeter
from bench.tables import EVT, INV, LOG, MEM, OU, REM, RES, SUB, WG, WGM, WS
from subscriptions.lifecycle import EXPIRE_TRIALS, JOBS, SEND_REMINDERS
from subscriptions.models import JobRun
from subscriptions.services.core import job_actor
from works_console.dates import kst_date
from workspaces.models import Member, OrgUnit, WorkGroup, Workspace

REMINDER = "trial_ends_in_7_days"
# subscriptions.services.reminders: the 7-day reminder covers trials whose last day is 4 to 7 days away.
REMINDER_WINDOW = (4, 7)
MAIL_BACKEND = "bench.mail.CountingBackend"
# subscriptions.services.purge.scrub_details drops detail keys that name personal data (top-level keys, in SQL).
PERSONAL_KEY = (
    "((lower({key}) ~ 'name$' AND lower({key}) <> 'plan_name')"
    " OR lower({key}) ~ '(account_id|login_id|admin_id|email|phone|company|address|password)')"
)


@dataclass(frozen=True)
class Options:
    chunk_size: int
    profile: bool = False
    full_mail: bool = False


@dataclass
class Check:
    ok: bool
    detail: str = ""

    @property
    def label(self) -> str:
        return "OK" if self.ok else "FAIL"


@dataclass
class Run:
    seconds: float
    meter: QueryMeter
    peak_mib: float
    check: Check = field(default_factory=lambda: Check(False, "not verified"))
    fingerprint: str = ""

    @property
    def sql_share(self) -> float:
        return self.meter.sql_seconds / self.seconds if self.seconds else 0.0


@dataclass
class JobResult:
    job: str
    rows: int
    orm: Run
    raw: Run
    profile: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.orm.seconds / self.raw.seconds if self.raw.seconds else float("inf")

    @property
    def same_writes(self) -> bool:
        return bool(self.orm.fingerprint) and self.orm.fingerprint == self.raw.fingerprint

    @property
    def ok(self) -> bool:
        return self.orm.check.ok and self.raw.check.ok and self.same_writes


# --- measuring ------------------------------------------------------------------------------------------------


def _step(job: str, name: str) -> list:
    steps = [step for step in JOBS[job] if step.name == name]
    if not steps:
        raise SystemExit(f"bench: {job} has no step {name!r} any more (steps: {[s.name for s in JOBS[job]]})")
    return steps


def _measure(work: Callable[[QueryMeter], object]) -> tuple[Run, object]:
    meter = QueryMeter()
    with PeakMemory() as memory, connection.execute_wrapper(meter):
        meter.start()
        started = time.perf_counter()
        result = work(meter)
        seconds = time.perf_counter() - started
    return Run(seconds, meter, memory.mib), result


def _orm_run(job: str, steps: list, now: datetime, options: Options) -> tuple[Run, JobRun, str]:
    """The job's steps through run_steps, as the Celery task runs them."""
    from subscriptions.services.jobs import run_steps

    profiler = cProfile.Profile() if options.profile else None

    def work(meter: QueryMeter) -> JobRun:
        if profiler:
            profiler.enable()
        try:
            return run_steps(job, steps, now=now, chunk_size=options.chunk_size, on_chunk=meter.chunk_done)
        finally:
            if profiler:
                profiler.disable()

    run, job_run = _measure(work)
    text = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        text = out.getvalue()
    return run, job_run, text


def _raw_run(n: int, chunk_size: int, chunk: Callable[[object, int, dict], list[int]], params: dict) -> Run:
    """Keyset chunks, `chunk(cursor, last_id, params)` in one transaction each, until a chunk claims nothing;
    bounded by N / chunk size."""

    def work(meter: QueryMeter) -> int:
        last_id, done = 0, 0
        for _ in range(n // chunk_size + 3):
            with transaction.atomic(), connection.cursor() as cursor:
                ids = chunk(cursor, last_id, params)
            meter.chunk_done(len(ids))
            if not ids:
                return done
            done += len(ids)
            last_id = max(ids)
        raise RuntimeError("the raw baseline did not finish within N / chunk size + 3 chunks")

    # The baseline's long CTE statements have estimated costs that start PostgreSQL's JIT compiler: about two
    # seconds per statement on this machine, more than the statement itself. An OLTP workload runs without it.
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        run, _done = _measure(work)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    return run


# --- checking -------------------------------------------------------------------------------------------------


def _fetch_one(sql: str, params: dict | None = None) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()


def _expect(pairs: dict[str, tuple[int, int]]) -> Check:
    wrong = [f"{name}: {got} (expected {want})" for name, (got, want) in pairs.items() if got != want]
    return Check(not wrong, "; ".join(wrong))


def _job_run_pairs(job_run: JobRun | None, n: int) -> dict[str, tuple[int, int]]:
    if job_run is None:
        return {}
    return {"job run processed": (job_run.processed, n), "job run errors": (job_run.errors, 0)}


# Everything both sides may write, minus what differs by nature (generated ids, the random public ids: an event
# naming an invoice is compared on that invoice's period).
FINGERPRINT = f"""
SELECT md5(coalesce((SELECT string_agg(concat_ws('|', id, status, terminated_on, purged_at, workspace_id,
                                                 admin_account_id), ',' ORDER BY id) FROM {SUB}), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, kind, from_status, to_status, actor,
                                                 actor_user_id, at, (details - 'final_invoice')::text,
                                                 details ? 'final_invoice',
                                                 (SELECT i.period_index FROM {INV} i
                                                  WHERE i.public_id = e.details->>'final_invoice'
                                                    AND i.subscription_id = e.subscription_id)), ','
                                       ORDER BY subscription_id, kind, id) FROM {EVT} e), ''))
    || md5(coalesce((SELECT string_agg(concat_ws('|', subscription_id, kind, key, sent_at), ','
                                       ORDER BY subscription_id, kind, key) FROM {REM}), ''))
    || md5(coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM {WS}), ''))
    || md5(coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM {MEM}), ''))
"""


def _fingerprint() -> str:
    return _fetch_one(FINGERPRINT)[0]


# --- one benchmark: the job beside its raw SQL ----------------------------------------------------------------

Counts = dict[str, tuple[int, int]]


def one_statement(sql: str) -> Callable[[object, int, dict], list[int]]:
    """A raw chunk that is one statement: it claims, writes and returns the ids of the subscriptions it changed."""

    def chunk(cursor, last_id: int, params: dict) -> list[int]:
        cursor.execute(sql, params | {"last": last_id})
        return [row[0] for row in cursor.fetchall()]

    return chunk


def claim_params(job: str, now: datetime, options: Options) -> dict:
    """What most raw chunks claim and write with: today (KST), now, the chunk size and the job's actor."""
    return {"today": kst_date(now), "now": now, "limit": options.chunk_size, "actor": job_actor(job)[0]}


def job_beside_raw(
    row: str,
    n: int,
    options: Options,
    *,
    job: str,
    step: str,
    now: datetime,
    load: Callable[..., object],
    counts: Callable[[], Counts],
    raw_params: Callable[[], dict],
    raw_chunk: Callable[[object, int, dict], list[int]],
    job_counts: Callable[[], Counts] = dict,
    analyze: Iterable[str] = data.LOADED_TABLES,
    fingerprint: Callable[[], str] = _fingerprint,
) -> JobResult:
    """One row of the table: N due subscriptions loaded by `load`, the job's `step` run through run_steps, then
    the same data loaded again for the raw side's chunks: `raw_chunk(cursor, last_id, params)` (see _raw_run) with
    the `raw_params()` of this run, asked for only then (a lookup of theirs warms no cache for the job side).

    After each side `counts` gives {what: (counted, expected)}, which must agree; the job side must also agree on
    `job_counts` and on its JobRun record. `fingerprint` (of every table either side writes) tells whether both
    wrote the same rows; `analyze` are the tables given fresh planner statistics after each load.
    """
    steps = _step(job, step)
    today = kst_date(now)
    data.load_fresh(load, n, today=today, now=now, analyze=analyze)
    orm, job_run, profile = _orm_run(job, steps, now, options)
    orm.check = _expect(counts() | job_counts() | _job_run_pairs(job_run, n))
    orm.fingerprint = fingerprint()

    data.load_fresh(load, n, today=today, now=now, analyze=analyze)
    raw = _raw_run(n, options.chunk_size, raw_chunk, raw_params())
    raw.check, raw.fingerprint = _expect(counts()), fingerprint()
    return JobResult(row, n, orm, raw, profile)


# --- expire_trials step 1: trial -> suspended -----------------------------------------------------------------

SUSPEND_CHUNK = f"""
WITH claimed AS (
    SELECT s.id, s.trial_last_day, s.grace_last_day FROM {SUB} s
    WHERE s.id > %(last)s AND s.status = 'trial' AND s.trial_last_day < %(today)s
      AND NOT EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'conversion'
                      AND r.state = 'pending' AND r.effective_on <= %(today)s)
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
), suspended AS (
    UPDATE {SUB} s SET status = 'suspended' FROM claimed c WHERE s.id = c.id AND s.status = 'trial'
    RETURNING s.id, c.trial_last_day, c.grace_last_day
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT id, 'trial_expired', 'trial', 'suspended', %(actor)s, NULL, %(now)s,
       jsonb_build_object('trial_last_day', to_char(trial_last_day, 'YYYY-MM-DD'),
                          'grace_last_day', to_char(grace_last_day, 'YYYY-MM-DD'))
FROM suspended
RETURNING subscription_id
"""


def _suspended_counts(n: int, now: datetime) -> Counts:
    suspended, trials, events, distinct, right_details = _fetch_one(
        f"""
        SELECT count(*) FILTER (WHERE status = 'suspended'), count(*) FILTER (WHERE status = 'trial'),
               (SELECT count(*) FROM {EVT} WHERE kind = 'trial_expired' AND at = %(now)s),
               (SELECT count(DISTINCT subscription_id) FROM {EVT} WHERE kind = 'trial_expired' AND at = %(now)s),
               (SELECT count(*) FROM {EVT} e JOIN {SUB} s ON s.id = e.subscription_id
                 WHERE e.kind = 'trial_expired' AND e.at = %(now)s AND e.from_status = 'trial'
                   AND e.to_status = 'suspended'
                   AND e.details->>'grace_last_day' = to_char(s.grace_last_day, 'YYYY-MM-DD'))
        FROM {SUB}
        """,
        {"now": now},
    )
    return {
        "suspended": (suspended, n),
        "still trial": (trials, 0),
        "trial_expired events": (events, n),
        "subscriptions with an event": (distinct, n),
        "events with the right fields": (right_details, n),
    }


def bench_expire_trials(n: int, options: Options) -> JobResult:
    now = timezone.now()
    return job_beside_raw(
        "expire_trials: trial -> suspended",
        n,
        options,
        job=EXPIRE_TRIALS,
        step="suspend_trial",
        now=now,
        load=data.load_due_trials,
        counts=lambda: _suspended_counts(n, now),
        raw_params=lambda: claim_params(EXPIRE_TRIALS, now, options),
        raw_chunk=one_statement(SUSPEND_CHUNK),
    )


# --- send_reminders: trial_ends_in_7_days ---------------------------------------------------------------------

REMIND_CHUNK = f"""
WITH claimed AS (
    SELECT s.id, s.trial_last_day FROM {SUB} s
    WHERE s.id > %(last)s AND s.status = 'trial'
      AND s.trial_last_day >= %(first_day)s AND s.trial_last_day <= %(last_day)s
      AND NOT EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'conversion'
                      AND r.state = 'pending')
      AND NOT EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'cancellation'
                      AND r.state = 'pending')
      AND NOT EXISTS (SELECT 1 FROM {REM} m WHERE m.subscription_id = s.id AND m.kind = %(kind)s
                      AND m.key = s.trial_last_day::varchar)
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
)
INSERT INTO {REM} (subscription_id, kind, key, sent_at)
SELECT id, %(kind)s, trial_last_day::varchar, %(now)s FROM claimed
RETURNING subscription_id
"""


def _reminded_counts(n: int, now: datetime) -> Counts:
    rows, distinct, right_keys, trials = _fetch_one(
        f"""
        SELECT count(*), count(DISTINCT m.subscription_id),
               count(*) FILTER (WHERE m.key = to_char(s.trial_last_day, 'YYYY-MM-DD') AND s.status = 'trial'),
               (SELECT count(*) FROM {SUB} WHERE status = 'trial')
        FROM {REM} m JOIN {SUB} s ON s.id = m.subscription_id WHERE m.kind = %(kind)s AND m.sent_at = %(now)s
        """,
        {"kind": REMINDER, "now": now},
    )
    return {
        "reminders sent by this run": (rows, n),
        "subscriptions reminded": (distinct, n),
        "keys = the trial's last day": (right_keys, n),
        "due trials": (trials, n),
    }


def bench_reminders(n: int, options: Options) -> JobResult:
    now = timezone.now()

    def raw_params() -> dict:
        today = kst_date(now)
        first, last = REMINDER_WINDOW
        return {
            "first_day": today + timedelta(days=first),
            "last_day": today + timedelta(days=last),
            "kind": REMINDER,
            "now": now,
            "limit": options.chunk_size,
        }

    CountingBackend.reset(build_every=1 if options.full_mail else SAMPLE_EVERY)
    result = job_beside_raw(
        f"send_reminders: {REMINDER}",
        n,
        options,
        job=SEND_REMINDERS,
        step=REMINDER,
        now=now,
        load=data.load_trials_ending_in_7_days,
        counts=lambda: _reminded_counts(n, now),
        job_counts=lambda: {"e-mails sent": (CountingBackend.sent, n)},
        raw_params=raw_params,
        raw_chunk=one_statement(REMIND_CHUNK),
    )
    per_mail = CountingBackend.ms_per_build()
    if options.full_mail:
        note = f"every message built into MIME bytes, {per_mail:.2f} ms each, included in 'job s'"
    else:
        # The sampled builds ran inside the job's window: they are the line below, not the job's own time.
        result.orm.seconds -= CountingBackend.build_seconds
        note = (
            f"{CountingBackend.sent:,} e-mails handed to the backend; building one into MIME bytes as an SMTP "
            f"backend does (EmailMessage.message().as_bytes(), {CountingBackend.built:,} sampled) takes "
            f"{per_mail:.2f} ms: +{per_mail * CountingBackend.sent / 1000:.0f} s of CPU for all of them, "
            "not in 'job s' (--full-mail includes it)"
        )
    result.notes.append(note)
    return result


# --- expire_trials step 2: suspended -> terminated, purged ----------------------------------------------------

TERMINATE_CHUNK = f"""
WITH claimed AS (
    SELECT s.id FROM {SUB} s
    WHERE s.id > %(last)s AND s.status = 'suspended' AND s.grace_last_day < %(today)s
      AND NOT EXISTS (SELECT 1 FROM {RES} r WHERE r.subscription_id = s.id AND r.kind = 'conversion'
                      AND r.state = 'pending')
    ORDER BY s.id LIMIT %(limit)s
    FOR UPDATE OF s SKIP LOCKED
), terminated AS (
    UPDATE {SUB} s SET status = 'terminated', terminated_on = s.grace_last_day + 1
    FROM claimed c WHERE s.id = c.id AND s.status = 'suspended'
    RETURNING s.id, s.workspace_id, s.grace_last_day
), logged AS (
    INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
    SELECT id, 'grace_expired', 'suspended', 'terminated', %(actor)s, NULL, %(now)s,
           jsonb_build_object('grace_last_day', to_char(grace_last_day, 'YYYY-MM-DD'))
    FROM terminated
)
SELECT id, workspace_id FROM terminated
"""

# The purge of subscriptions.services.purge.workspace_purge_many in one statement: the workspace with its
# members, groups, units and Django admin history; the subscription's personal fields; personal keys of its
# events' details and the events' link to a person; one `purged` event each.
PURGE_CHUNK = f"""
WITH pair AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(wids)s::bigint[]) AS p (subscription_id, workspace_id)
), gone_members AS (
    DELETE FROM {MEM} m WHERE m.workspace_id = ANY(%(wids)s::bigint[]) RETURNING m.id, m.workspace_id
), gone_group_members AS (
    DELETE FROM {WGM} gm WHERE gm.member_id IN (SELECT id FROM gone_members)
       OR gm.workgroup_id IN (SELECT g.id FROM {WG} g WHERE g.workspace_id = ANY(%(wids)s::bigint[]))
), gone_log AS (
    DELETE FROM {LOG} l
    WHERE (l.content_type_id = %(ct_workspace)s AND l.object_id = ANY(%(wids_text)s::text[]))
       OR (l.content_type_id = %(ct_member)s AND l.object_id IN (SELECT id::text FROM gone_members))
       OR (l.content_type_id = %(ct_unit)s AND l.object_id IN
            (SELECT o.id::text FROM {OU} o WHERE o.workspace_id = ANY(%(wids)s::bigint[])))
       OR (l.content_type_id = %(ct_group)s AND l.object_id IN
            (SELECT g.id::text FROM {WG} g WHERE g.workspace_id = ANY(%(wids)s::bigint[])))
), gone_groups AS (
    DELETE FROM {WG} g WHERE g.workspace_id = ANY(%(wids)s::bigint[])
), gone_units AS (
    DELETE FROM {OU} o WHERE o.workspace_id = ANY(%(wids)s::bigint[])
), gone_workspaces AS (
    DELETE FROM {WS} w WHERE w.id = ANY(%(wids)s::bigint[])
), scrubbed AS (
    UPDATE {SUB} s SET admin_account_id = '', purged_at = %(now)s, workspace_id = NULL
    WHERE s.id = ANY(%(ids)s::bigint[]) RETURNING s.id, s.status
), unlinked AS (
    UPDATE {EVT} e SET actor_user_id = NULL,
        details = (SELECT coalesce(jsonb_object_agg(d.key, d.value), '{{}}'::jsonb)
                   FROM jsonb_each(e.details) d WHERE NOT {PERSONAL_KEY.format(key="d.key")})
    WHERE e.subscription_id = ANY(%(ids)s::bigint[])
      AND (e.actor_user_id IS NOT NULL
           OR EXISTS (SELECT 1 FROM jsonb_object_keys(e.details) k (key) WHERE {PERSONAL_KEY.format(key="k.key")}))
), counts AS (
    SELECT workspace_id, count(*) AS n FROM gone_members GROUP BY workspace_id
)
INSERT INTO {EVT} (subscription_id, kind, from_status, to_status, actor, actor_user_id, at, details)
SELECT sc.id, 'purged', sc.status, sc.status, %(actor)s, NULL, %(now)s,
       jsonb_build_object('members_deleted', coalesce(c.n, 0))
FROM scrubbed sc JOIN pair p ON p.subscription_id = sc.id LEFT JOIN counts c ON c.workspace_id = p.workspace_id
"""


def purge_params() -> dict:
    """The content types PURGE_CHUNK deletes Django admin's history of."""
    types = ContentType.objects.get_for_models(Workspace, Member, OrgUnit, WorkGroup)
    return {
        "ct_workspace": types[Workspace].pk,
        "ct_member": types[Member].pk,
        "ct_unit": types[OrgUnit].pk,
        "ct_group": types[WorkGroup].pk,
    }


def purge(cursor, params: dict, ids: list[int], workspace_ids: list[int | None]) -> None:
    """PURGE_CHUNK on subscriptions `ids` and their workspaces (`params` with purge_params(), `now` and `actor`)."""
    cursor.execute(
        PURGE_CHUNK,
        params | {"ids": ids, "wids": workspace_ids, "wids_text": [str(w) for w in workspace_ids if w is not None]},
    )


def _purged_counts(n: int) -> Counts:
    purged, suspended, workspaces, members, expired, purge_events, linked, personal = _fetch_one(
        f"""
        SELECT count(*) FILTER (WHERE status = 'terminated' AND purged_at IS NOT NULL AND workspace_id IS NULL
                                  AND admin_account_id = '' AND terminated_on = grace_last_day + 1),
               count(*) FILTER (WHERE status = 'suspended'),
               (SELECT count(*) FROM {WS}), (SELECT count(*) FROM {MEM}),
               (SELECT count(*) FROM {EVT} WHERE kind = 'grace_expired' AND to_status = 'terminated'),
               (SELECT count(*) FROM {EVT} WHERE kind = 'purged' AND details->>'members_deleted' = '1'),
               (SELECT count(*) FROM {EVT} WHERE actor_user_id IS NOT NULL),
               (SELECT count(*) FROM {EVT} e
                 WHERE EXISTS (SELECT 1 FROM jsonb_object_keys(e.details) k (key)
                               WHERE {PERSONAL_KEY.format(key="k.key")}))
        FROM {SUB}
        """
    )
    return {
        "terminated and purged": (purged, n),
        "still suspended": (suspended, 0),
        "workspaces left": (workspaces, 0),
        "members left": (members, 0),
        "grace_expired events": (expired, n),
        "purged events (1 member)": (purge_events, n),
        "events still naming a person": (linked, 0),
        "events keeping a personal key": (personal, 0),
    }


def bench_grace_expiry(n: int, options: Options) -> JobResult:
    now = timezone.now()

    def chunk(cursor, last_id: int, params: dict) -> list[int]:
        cursor.execute(TERMINATE_CHUNK, params | {"last": last_id})
        rows = cursor.fetchall()
        if rows:
            purge(cursor, params, [row[0] for row in rows], [row[1] for row in rows])
        return [row[0] for row in rows]

    return job_beside_raw(
        "expire_trials: grace over -> terminated + purge",
        n,
        options,
        job=EXPIRE_TRIALS,
        step="terminate_after_grace",
        now=now,
        load=data.load_expired_graces,
        counts=lambda: _purged_counts(n),
        raw_params=lambda: claim_params(EXPIRE_TRIALS, now, options) | purge_params(),
        raw_chunk=chunk,
    )


# --- all of them ----------------------------------------------------------------------------------------------

JOB_BENCHMARKS = {
    "expire_trials": bench_expire_trials,
    "send_reminders": bench_reminders,
    "grace_expiry": bench_grace_expiry,
}


def run_all(*, sizes: dict[str, int], options: Options, log=print) -> list[JobResult]:
    """The benchmarks named in `sizes` (name -> due subscriptions), in JOB_BENCHMARKS order.

    DEBUG's query log is off while measuring: it would format every statement (a 1,000-row INSERT is a long
    string) and keep the last 9,000, which no worker does and which would skew both time and memory.
    """
    from bench.money import MONEY_BENCHMARKS

    results = []
    with override_settings(DEBUG=False, EMAIL_BACKEND=MAIL_BACKEND):
        for name, bench in (JOB_BENCHMARKS | MONEY_BENCHMARKS).items():
            rows = sizes.get(name, 0)
            if rows <= 0:
                continue
            log(f"  {name}: {rows:,} due subscriptions, job then raw SQL ...")
            started = time.perf_counter()
            results.append(bench(rows, options))
            log(f"  {name}: done in {time.perf_counter() - started:.1f} s (data loading included)")
        db.truncate()
    return results
