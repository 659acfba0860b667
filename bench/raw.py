"""Raw SQL shared by the baselines of both families (bench/lifecycle.py, bench/money.py): the purge of a
chunk's workspaces, and the invoices of the money jobs with the parameters their chunks run with."""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType

from bench.harness import Options, claim_params
from bench.tables import COUNTER, CREDIT, EVT, INV, LINE, LOG, MEM, OU, PLAN, SEG, SUB, USER, WG, WGM, WS
from workspaces.models import Member, OrgUnit, WorkGroup, Workspace

# subscriptions.services.purge.scrub_details drops detail keys that name personal data (top-level keys, in SQL).
PERSONAL_KEY = (
    "((lower({key}) ~ 'name$' AND lower({key}) <> 'plan_name')"
    " OR lower({key}) ~ '(account_id|login_id|admin_id|email|phone|company|address|password)')"
)


# --- the purge ------------------------------------------------------------------------------------------------

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


# --- invoices in SQL (shared by the cancellation and the renewal baselines) -----------------------------------
#
# Input: a CTE `billed` with one row per invoice to issue: id (subscription), customer_id, workspace_id, ord (the
# order the job issues them in: credit is consumed in that order), k (period index), p_start, p_next (the period's
# first day and the next period's), until (usage ends there, exclusive), is_final, penalty (KRW, 0 for none),
# term_start, term_end, c (the cancellation date, or NULL). Money as in billing.pricing: each usage line
# floor(unit x quantity x days / period days); credit on usage only, in order; VAT floored on what remains.
# A monthly segment bills the members registered at the period's close instant (%(members_at)s: 'close' or 'now').

# KST midnight of a date, as an instant.
KST_MIDNIGHT = "(({day})::timestamp AT TIME ZONE 'Asia/Seoul')"


def invoices_sql(*, returning: str) -> str:
    close = KST_MIDNIGHT.format(day="b.until")
    return f"""
, members AS (
    SELECT b.id, b.k, (SELECT count(*) FROM {MEM} m WHERE m.workspace_id = b.workspace_id
                       AND CASE WHEN %(members_at)s = 'close'
                                THEN m.created_at < {close} AND (m.removed_at IS NULL OR m.removed_at > {close})
                                ELSE m.removed_at IS NULL END) AS n
    FROM billed b
), usage AS (
    SELECT b.id, b.k, g.starts_on, g.id AS segment_id, g.plan_id,
           coalesce(nullif(pl.name_en, ''), pl.name) AS plan_name, g.contract_type, g.unit_price,
           coalesce(g.quantity, mb.n)::bigint AS quantity, greatest(g.starts_on, b.p_start) AS first_day,
           least(coalesce(g.ends_on, b.until), b.until) AS end_excl, (b.p_next - b.p_start) AS period_days
    FROM billed b
    JOIN {SEG} g ON g.subscription_id = b.id AND g.starts_on < b.until AND (g.ends_on IS NULL OR g.ends_on > b.p_start)
    JOIN {PLAN} pl ON pl.id = g.plan_id
    JOIN members mb ON mb.id = b.id AND mb.k = b.k
), lines AS (
    SELECT *, end_excl - first_day AS days,
           div(unit_price::numeric * quantity * (end_excl - first_day), period_days)::bigint AS amount
    FROM usage WHERE end_excl > first_day
), sums AS (
    SELECT b.id, b.k, b.ord, b.customer_id, b.p_start, b.p_next, b.until, b.is_final, b.penalty, b.term_start,
           b.term_end, b.c, coalesce(sum(l.amount), 0)::bigint AS usage_total, count(l.id) AS usage_lines
    FROM billed b LEFT JOIN lines l ON l.id = b.id AND l.k = b.k
    GROUP BY b.id, b.k, b.ord, b.customer_id, b.p_start, b.p_next, b.until, b.is_final, b.penalty, b.term_start,
             b.term_end, b.c
), owing AS (
    SELECT * FROM sums WHERE usage_lines > 0 OR penalty > 0
), locked AS (
    SELECT u.id FROM {USER} u WHERE u.id IN (SELECT customer_id FROM owing WHERE usage_total + penalty > 0)
    ORDER BY u.id FOR UPDATE
), balances AS (
    SELECT l.id AS customer_id,
           greatest(coalesce((SELECT sum(amount) FROM {CREDIT} c WHERE c.customer_id = l.id), 0), 0) AS balance
    FROM locked l
), credited AS (
    SELECT o.*, coalesce(least(bl.balance, sum(o.usage_total) OVER w) - least(bl.balance, sum(o.usage_total) OVER w
                         - o.usage_total), 0)::bigint AS credit
    FROM owing o LEFT JOIN balances bl ON bl.customer_id = o.customer_id
    WINDOW w AS (PARTITION BY o.customer_id ORDER BY o.ord, o.k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), totals AS (
    SELECT *, usage_total + penalty AS subtotal,
           div((usage_total + penalty - credit)::numeric * %(vat_num)s, %(vat_den)s)::bigint AS vat
    FROM credited
), counter AS (
    -- The chunk's block of document numbers, as billing.numbers takes it (SPEC 12).
    INSERT INTO {COUNTER} (kind, year, last)
    SELECT 'INV', extract(year FROM %(today)s::date)::int, count(*) FROM totals HAVING count(*) > 0
    ON CONFLICT (kind, year) DO UPDATE SET last = {COUNTER}.last + EXCLUDED.last
    RETURNING year, last - (SELECT count(*) FROM totals) AS before
), invoices AS (
    INSERT INTO {INV} (public_id, number, subscription_id, customer_id, period_index, period_start, period_end,
                       issued_on, is_final, subtotal, credit_applied, vat, total, created_at)
    SELECT substr(md5(random()::text || id || '-' || k), 1, 16),
           'INV-' || n.year || '-' || lpad((n.before + row_number() OVER (ORDER BY ord, k))::text, 6, '0'),
           id, customer_id, k, p_start,
           CASE WHEN is_final THEN greatest(p_start, until - 1) ELSE p_next - 1 END, %(today)s, is_final,
           subtotal, credit, vat, subtotal - credit + vat, %(now)s
    FROM totals CROSS JOIN counter n ORDER BY ord, k
    RETURNING id, subscription_id, period_index, public_id, customer_id, credit_applied, is_final
), inserted_lines AS (
    INSERT INTO {LINE} (invoice_id, kind, description, plan_id, plan_name, contract_type, unit_price, quantity, days,
                        period_days, starts_on, ends_on, cancellation_date, amount)
    SELECT i.id, x.kind, x.description, x.plan_id, x.plan_name, x.contract_type, x.unit_price, x.quantity, x.days,
           x.period_days, x.line_starts_on, x.line_ends_on, x.cancellation_date, x.amount
    FROM invoices i JOIN (
        SELECT l.id, l.k, 0 AS position, l.starts_on, l.segment_id, 'usage' AS kind,
               l.plan_name || ' ' || to_char(l.first_day, 'YYYY-MM-DD') || ' – '
               || to_char(l.end_excl - 1, 'YYYY-MM-DD') AS description, l.plan_id,
               l.plan_name, l.contract_type, l.unit_price, l.quantity, l.days, l.period_days,
               l.first_day AS line_starts_on, l.end_excl - 1 AS line_ends_on, NULL::date AS cancellation_date, l.amount
        FROM lines l
        UNION ALL
        SELECT t.id, t.k, 1, NULL, NULL, 'penalty',
               to_char(t.c, 'YYYY-MM-DD') || ' (' || to_char(t.term_start, 'YYYY-MM-DD') || ' – '
               || to_char(t.term_end, 'YYYY-MM-DD') || ')', NULL,
               '', '', NULL, NULL, NULL, NULL, t.term_start, t.term_end, t.c, t.penalty
        FROM totals t WHERE t.penalty > 0
    ) x ON x.id = i.subscription_id AND x.k = i.period_index
    ORDER BY i.id, x.position, x.starts_on, x.segment_id
), credit_uses AS (
    INSERT INTO {CREDIT} (customer_id, amount, reason, invoice_id, granted_by_id, created_at)
    SELECT customer_id, -credit_applied, 'Applied to invoice ' || public_id, id, NULL, %(now)s
    FROM invoices WHERE credit_applied > 0
)
{returning}
"""


# How the job counts a monthly quantity: at each period's close (SPEC 3), not the live members ("now").
MEMBERS_AT = "close"


def money_params(now: datetime, options: Options, job: str) -> dict:
    """The parameters of a money job's raw chunks: the claim's, the instant monthly quantities are counted at,
    VAT and the early-termination rate as exact fractions, and the content types of the purge."""
    from fractions import Fraction

    from django.conf import settings

    vat = Fraction(settings.VAT_RATE)
    rate = Fraction(settings.EARLY_TERMINATION_RATE)
    money = {
        "members_at": MEMBERS_AT,
        "vat_num": vat.numerator,
        "vat_den": vat.denominator,
        "rate_num": rate.numerator,
        "rate_den": rate.denominator,
    }
    return claim_params(job, now, options) | money | purge_params()


def year_month_sql(day: str) -> str:
    return f"(extract(year from {day}) * 12 + extract(month from {day}))::int"


def period_index_sql(anchor: str, day: str) -> str:
    """The index of the billing period of `anchor` containing `day` (months counted, minus one when clamped)."""
    guess = f"({year_month_sql(day)} - {year_month_sql(anchor)})"
    return f"(CASE WHEN ({anchor} + make_interval(months => {guess}))::date > {day} THEN {guess} - 1 ELSE {guess} END)"


def period_start_sql(anchor: str, index: str) -> str:
    return f"({anchor} + make_interval(months => {index}))::date"


# The least common multiple of every period length (28 to 31 days): the penalty's fractions summed exactly.
PERIOD_DAYS_LCM = 377_580

PENALTY_CTE = f"""
pen AS (
    SELECT p.id, div(sum((greatest(g.list_unit_price - g.unit_price, 0)::bigint * g.quantity * d.before_days
                          + g.unit_price::bigint * g.quantity * d.remaining_days) * ({PERIOD_DAYS_LCM} / d.pd)
                        )::numeric * %(rate_num)s, {PERIOD_DAYS_LCM}::numeric * %(rate_den)s)::bigint AS amount
    FROM per p
    JOIN {SEG} g ON g.subscription_id = p.id AND g.contract_type = 'annual' AND g.starts_on <= p.term_end
                 AND (g.ends_on IS NULL OR g.ends_on > p.term_start)
    CROSS JOIN LATERAL (
        SELECT q.pd,
               greatest(0, least(coalesce(g.ends_on, 'infinity'::date), q.split) - greatest(g.starts_on, q.p_start))
               AS before_days,
               greatest(0, least(coalesce(g.ends_on, 'infinity'::date), q.p_next) - greatest(g.starts_on, q.split))
               AS remaining_days
        FROM (SELECT z.p_start, z.p_next, z.p_next - z.p_start AS pd,
                     least(greatest(greatest(p.c, p.term_start), z.p_start), z.p_next) AS split
              FROM (SELECT {period_start_sql("p.paid_start", "kk")} AS p_start,
                           {period_start_sql("p.paid_start", "kk + 1")} AS p_next
                    FROM generate_series({period_index_sql("p.paid_start", "p.term_start")},
                                         {period_index_sql("p.paid_start", "p.term_end")}) kk) z) q
    ) d
    WHERE p.contract_type = 'annual' AND p.c <= p.term_end
    GROUP BY p.id
)"""
