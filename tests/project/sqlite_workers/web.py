"""Logs in ROUNDS times through Django's test client and, after each login, changes the renewal option SAVES times
(a service that reads its subscription, then writes it and a lifecycle event, in one transaction, as every
subscription action does); prints the status codes (JSON).

A view raising (OperationalError "database is locked") propagates out of the test client: the process then fails
with the traceback on stderr."""

import json
import sys

from tests.project.sqlite_workers.common import setup_and_wait_for_start

ROUNDS = int(sys.argv[1])
SAVES = int(sys.argv[2])
OPTIONS = ["renew_annual", "switch_to_monthly", "do_not_renew"]

setup_and_wait_for_start()

from django.test import Client  # noqa: E402

from subscriptions.models import Subscription  # noqa: E402

renewal = f"/naver-works/my-product/{Subscription.objects.get(name='web-paid').public_id}/renewal/"
statuses = []
for _round in range(ROUNDS):
    client = Client()
    login = client.post("/accounts/login/", {"username": "web@example.com", "password": "correct-horse-battery-9"})
    statuses.append(login.status_code)
    for save in range(SAVES):
        changed = client.post(renewal, {"option": OPTIONS[save % 3], "licences": "10", "confirm": "1"})
        statuses.append(changed.status_code)
print(json.dumps(statuses), flush=True)
