"""works_console.db: the set-based writers store exactly the values given, whatever their characters (issue 17)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subscriptions.models import LifecycleEvent, Subscription
from tests.subscriptions.factories import ActiveSubscriptionFactory, TrialSubscriptionFactory
from works_console.db import insert_rows, update_rows

pytestmark = pytest.mark.django_db

AT = datetime(2027, 1, 15, 0, 10, tzinfo=UTC)
AWKWARD = ["plain", "", "NULL", 'a "quoted" word', "back\\slash\\", "{braces}, commas", "한국어 ☃", "tab\tnew\nline"]


def test_insert_rows_stores_every_value_as_given_and_returns_the_ids_in_order():
    subscription = TrialSubscriptionFactory()
    rows = [
        (
            subscription.pk,
            kind,
            kind,
            "",
            "job:test",
            None,
            AT + timedelta(seconds=i),
            {"text": kind, "n": i, "x": None},
        )
        for i, kind in enumerate(AWKWARD)
    ]
    fields = ("subscription", "kind", "from_status", "to_status", "actor", "actor_user", "at", "details")

    with CaptureQueriesContext(connection) as queries:
        ids = insert_rows(LifecycleEvent, fields, rows, returning="id")

    assert len(queries) == 1
    stored = LifecycleEvent.objects.in_bulk(ids)
    assert [
        (e.subscription_id, e.kind, e.from_status, e.to_status, e.actor, e.actor_user_id, e.at, e.details)
        for e in (stored[pk] for pk in ids)
    ] == rows


def test_insert_rows_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(LifecycleEvent, ("kind",), [], returning="id") == []
    assert len(queries) == 0


def test_update_rows_sets_each_row_its_own_values_and_keeps_what_a_row_does_not_name():
    first, second, third = (ActiveSubscriptionFactory() for _ in range(3))
    before = {s.pk: (s.term_end, s.next_period_index, s.admin_account_id) for s in (first, second, third)}
    changes = {
        first.pk: {"term_end": date(2030, 1, 1), "admin_account_id": AWKWARD[3]},
        second.pk: {"next_period_index": 7, "admin_account_id": AWKWARD[4]},
        third.pk: {"workspace": None, "renewal_licences": None},
    }

    with CaptureQueriesContext(connection) as queries:
        assert update_rows(Subscription, changes) == 3

    assert len(queries) == 1
    rows = {
        row[0]: row[1:]
        for row in Subscription.objects.values_list(
            "pk", "term_end", "next_period_index", "admin_account_id", "workspace_id"
        )
    }
    assert rows[first.pk] == (date(2030, 1, 1), before[first.pk][1], AWKWARD[3], first.workspace_id)
    assert rows[second.pk] == (before[second.pk][0], 7, AWKWARD[4], second.workspace_id)
    assert rows[third.pk] == (*before[third.pk], None)


def test_update_rows_writes_json_values():
    subscription = TrialSubscriptionFactory()
    [event_id] = insert_rows(
        LifecycleEvent,
        ("subscription", "kind", "from_status", "to_status", "actor", "at", "details"),
        [(subscription.pk, "note", "", "", "job:test", AT, {"old": 1})],
        returning="id",
    )
    update_rows(LifecycleEvent, {event_id: {"details": {"new": AWKWARD}, "actor_user": None}})
    assert LifecycleEvent.objects.get(pk=event_id).details == {"new": AWKWARD}
