"""Table names for the raw-SQL baselines (bench/lifecycle.py, bench/money.py), read from the models.

One list for both modules, so that a table both baselines write is named once and a renamed table follows.
"""

from django.contrib.admin.models import LogEntry

from accounts.models import User
from billing.models import CustomerCredit, DocumentCounter, Invoice, InvoiceLine, Plan, RateSegment
from subscriptions.models import LifecycleEvent, ReminderSent, Reservation, Subscription
from workspaces.models import Member, OrgUnit, WorkGroup, Workspace


def _tables(*models) -> tuple[str, ...]:
    return tuple(model._meta.db_table for model in models)


# The lifecycle: subscriptions, their reservations, events and sent reminders.
SUB, RES, EVT, REM = _tables(Subscription, Reservation, LifecycleEvent, ReminderSent)
# The NAVER WORKS side a purge deletes (members, groups and their members, org units), with Django admin's history.
WS, MEM, WG, WGM, OU, LOG = _tables(Workspace, Member, WorkGroup, WorkGroup.members.through, OrgUnit, LogEntry)
# Billing: the money jobs' segments, invoices and credits, the plan catalog and the customers.
SEG, INV, LINE, CREDIT, PLAN, USER = _tables(RateSegment, Invoice, InvoiceLine, CustomerCredit, Plan, User)
# The document numbers' counters (SPEC 12).
(COUNTER,) = _tables(DocumentCounter)
