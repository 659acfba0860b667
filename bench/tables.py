"""Table names for the raw-SQL baselines (bench/lifecycle.py, bench/money.py), read from the models.

One list for both modules, so that a table both baselines write is named once and a renamed table follows.
"""

from django.contrib.admin.models import LogEntry

from accounts.models import User
from billing.models import CustomerCredit, Invoice, InvoiceLine, Plan, RateSegment
from subscriptions.models import LifecycleEvent, ReminderSent, Reservation, Subscription
from workspaces.models import Member, OrgUnit, WorkGroup, Workspace

# The lifecycle: subscriptions, their reservations, events and sent reminders.
SUB = Subscription._meta.db_table
RES = Reservation._meta.db_table
EVT = LifecycleEvent._meta.db_table
REM = ReminderSent._meta.db_table
# The NAVER WORKS side a purge deletes, with Django admin's history of it.
WS = Workspace._meta.db_table
MEM = Member._meta.db_table
OU = OrgUnit._meta.db_table
WG = WorkGroup._meta.db_table
WGM = WorkGroup.members.through._meta.db_table
LOG = LogEntry._meta.db_table
# Billing: the money jobs' segments, invoices and credits, the plan catalog and the customers.
SEG = RateSegment._meta.db_table
INV = Invoice._meta.db_table
LINE = InvoiceLine._meta.db_table
CREDIT = CustomerCredit._meta.db_table
PLAN = Plan._meta.db_table
USER = User._meta.db_table
