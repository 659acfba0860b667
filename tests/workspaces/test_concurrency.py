"""Two admins adding the last member slot at the same moment, on real PostgreSQL transactions."""

import threading
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from tests.subscriptions.factories import TrialSubscriptionFactory
from workspaces import directory
from workspaces.models import Member

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


@override_settings(TRIAL_MEMBER_LIMIT=2)
def test_the_last_member_slot_goes_to_exactly_one_of_two_concurrent_adds():
    workspace = TrialSubscriptionFactory().workspace
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def add(login_id: str) -> None:
        start.wait()
        try:
            directory.member_add(
                workspace=workspace, login_id=login_id, name=login_id, password="seoul2027go", now=NOW
            )
            outcomes[login_id] = "added"
        except ValidationError as error:
            outcomes[login_id] = error.code
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(login_id,)) for login_id in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["added", "trial_member_limit"]
    assert Member.objects.filter(workspace=workspace).count() == 2
