"""The lifecycle benchmarks without money: trial expiry, the 7-day reminder, the grace expiry with its purge,
each beside its raw-SQL baseline (bench/harness.py runs them; bench/money.py has the money jobs)."""

from datetime import datetime, timedelta

from django.utils import timezone

from bench import data
from bench.harness import (
    Counts,
    JobResult,
    Options,
    claim_params,
    fetch_one,
    job_beside_raw,
    one_statement,
)
from bench.mail import SAMPLE_EVERY, CountingBackend
from bench.raw import PERSONAL_KEY, purge, purge_params
from bench.tables import EVT, MEM, REM, RES, SUB, WS
from subscriptions.lifecycle import EXPIRE_TRIALS, SEND_REMINDERS
from works_console.dates import kst_date

REMINDER = "trial_ends_in_7_days"
# subscriptions.services.reminders: the 7-day reminder covers trials whose last day is 4 to 7 days away.
REMINDER_WINDOW = (4, 7)


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
    suspended, trials, events, distinct, right_details = fetch_one(
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
    rows, distinct, right_keys, trials = fetch_one(
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


def _purged_counts(n: int) -> Counts:
    purged, suspended, workspaces, members, expired, purge_events, linked, personal = fetch_one(
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


LIFECYCLE_BENCHMARKS = {
    "expire_trials": bench_expire_trials,
    "send_reminders": bench_reminders,
    "grace_expiry": bench_grace_expiry,
}
