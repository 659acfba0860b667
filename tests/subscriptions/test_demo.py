"""`seed_demo` (issue 19, 21): the demo customer of `make run` with a subscription in every state, its history
written through the services at past instants; idempotent; development only."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from billing.catalog import ensure_catalog
from billing.models import CreditNote, CustomerCredit, Invoice, InvoiceLine, RateSegment
from subscriptions.demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_WORKSPACES,
    OPERATOR_EMAIL,
    WORKS_PASSWORD,
    demo_logins,
)
from subscriptions.lifecycle import JOBS
from subscriptions.models import LifecycleEvent, ReminderSent, Reservation, Subscription
from subscriptions.services.jobs import count_due
from tests.subscriptions.workers import start_workers, stop_workers, wait_until, worker_env
from works_console.dates import KST
from workspaces.models import Member, Workspace

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2027, 3, 15, 10, 0, tzinfo=KST)


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


def seed(capsys) -> str:
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo")
    return capsys.readouterr().out


def snapshot() -> dict[str, list]:
    """Every row the demo writes, as plain values."""
    return {
        model.__name__: sorted(map(repr, model.objects.values_list()))
        for model in (
            User,
            Workspace,
            Member,
            Subscription,
            Reservation,
            LifecycleEvent,
            RateSegment,
            Invoice,
            InvoiceLine,
            CreditNote,
            CustomerCredit,
            ReminderSent,
        )
    }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    ensure_catalog()  # the migration's plans, which a transactional test before this one flushed
    return settings


def test_seed_demo_gives_the_demo_customer_a_subscription_in_every_state_and_run_again_changes_nothing(debug, capsys):
    first = seed(capsys)
    written = snapshot()

    customer = User.objects.get(email=DEMO_EMAIL)
    rows = {
        s.name: (s.status, s.plan.code, s.contract_type, s.licences)
        for s in Subscription.objects.filter(customer=customer).select_related("plan")
    }
    assert rows == {
        "demo-trial": ("trial", "premium", "", None),
        "demo-converting": ("trial", "basic", "", None),
        "demo-suspended": ("suspended", "lite", "", None),
        "demo-cancelling": ("active", "lite", "annual", 4),
        "demo-monthly": ("active", "basic", "monthly", None),
        "demo-annual": ("active", "premium", "annual", 10),
        "demo-ended": ("terminated", "basic", "annual", 3),
    }
    pending = {
        (r.subscription.name, r.kind, r.effective_on, r.plan_id and r.plan.code, r.contract_type, r.licences)
        for r in Reservation.objects.filter(state=Reservation.State.PENDING).select_related("subscription", "plan")
    }
    assert pending == {
        ("demo-converting", "conversion", date(2027, 3, 25), "basic", "annual", 5),
        ("demo-cancelling", "cancellation", date(2027, 3, 26), None, "", None),
    }
    annual = Subscription.objects.get(name="demo-annual")
    assert annual.renewal_option == "renew_annual"
    # The operator's grant paid part of the annual contract's last invoice, and nothing else.
    assert [
        (invoice.subscription.name, invoice.credit_applied)
        for invoice in Invoice.objects.filter(credit_applied__gt=0).select_related("subscription")
    ] == [("demo-annual", 20_000)]
    assert {name: Invoice.objects.filter(subscription__name=name).count() for name in rows} == {
        "demo-trial": 0,
        "demo-converting": 0,
        "demo-suspended": 0,
        "demo-cancelling": 2,
        "demo-monthly": 2,
        "demo-annual": 2,
        "demo-ended": 2,
    }
    assert customer.check_password(DEMO_PASSWORD)
    assert User.objects.get(email=OPERATOR_EMAIL).is_superuser
    assert "7 subscriptions written" in first

    again = seed(capsys)

    assert snapshot() == written
    assert "nothing written" in again


def test_the_demo_history_is_written_by_the_services_and_jobs_at_past_instants(debug, capsys):
    seed(capsys)

    events = {
        name: [
            (event.kind, event.actor, event.at.astimezone(KST))
            for event in LifecycleEvent.objects.filter(subscription__name=name).order_by("at", "id")
        ]
        for name in ("demo-suspended", "demo-ended")
    }
    assert events["demo-suspended"] == [
        ("applied", "customer", kst(2027, 2, 7, 11, 10)),
        ("trial_expired", "job:subscriptions.tasks.expire_trials", kst(2027, 3, 9, 0, 15)),
    ]
    assert events["demo-ended"] == [
        ("applied", "customer", kst(2026, 12, 10, 10, 0)),
        ("converted", "customer", kst(2026, 12, 20, 14, 0)),
        ("cancelled", "customer", kst(2027, 2, 3, 15, 20)),
        ("purged", "customer", kst(2027, 2, 3, 15, 20)),
        ("penalty_waived", "operator", kst(2027, 2, 4, 10, 10)),
    ]
    trial = Subscription.objects.get(name="demo-trial")
    assert trial.created_at == kst(2027, 3, 6, 10, 0)  # the clock itself was there: auto_now_add agrees
    # The renewal job issued every ended period's invoice on the day after it ended, then came the final one.
    issued = [
        (invoice.period_start, invoice.period_end, invoice.issued_on, invoice.is_final)
        for invoice in Invoice.objects.filter(subscription__name="demo-ended").order_by("period_start")
    ]
    assert issued == [
        (date(2026, 12, 20), date(2027, 1, 19), date(2027, 1, 20), False),
        (date(2027, 1, 20), date(2027, 2, 2), date(2027, 2, 3), True),
    ]
    final = Invoice.objects.get(subscription__name="demo-ended", is_final=True)
    note = CreditNote.objects.get()
    penalty = final.lines.get(kind=InvoiceLine.Kind.PENALTY).amount
    assert penalty > 0
    assert (note.invoice, note.kind, note.amount, note.issued_on) == (
        final,
        CreditNote.Kind.PENALTY_WAIVER,
        -penalty,
        date(2027, 2, 4),
    )
    assert Subscription.objects.get(name="demo-ended").workspace is None  # purged
    # Nothing is left for the jobs as of now: `make run`'s beat starts with no backlog and mails nothing old.
    assert {job: count_due(steps, now=NOW) for job, steps in JOBS.items()} == dict.fromkeys(JOBS, 0)
    # The demo customer, its seven subscriptions on My Product, and the workspace admin's login.
    client = Client()
    with time_machine.travel(NOW, tick=False):
        client.force_login(User.objects.get(email=DEMO_EMAIL))
        page = client.get(reverse("subscriptions:my-product")).content.decode()
        login = Client().post(
            reverse("workspaces:login"), {"account_id": "admin@demo-trial", "password": WORKS_PASSWORD}
        )
    assert [name for name in DEMO_WORKSPACES if name in page] == list(DEMO_WORKSPACES)
    assert "Withdraw conversion" in page
    assert "Withdraw cancellation" in page
    assert login.status_code == 302


def _manage(*args: str) -> subprocess.CompletedProcess:
    """manage.py in a child process with production-like settings (DJANGO_DEBUG=false), on the test database."""
    db = django_settings.DATABASES["default"]
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "works_console.settings_test",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_seed_demo_refuses_to_run_without_debug_and_writes_nothing():
    result = _manage("seed_demo")

    assert result.returncode == 1
    assert "runs only in development, with DJANGO_DEBUG=true" in result.stderr
    assert not User.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_make_setup_skips_the_demo_without_debug_and_goes_on():
    result = _manage("seed_demo", "--skip-unless-debug")

    assert result.returncode == 0
    assert "No demo data: DJANGO_DEBUG is not true" in result.stdout
    assert not User.objects.exists()


def test_the_makefile_seeds_the_demo_only_through_the_skip_unless_debug_option():
    setup = (ROOT / "Makefile").read_text().split("\nsetup:")[1].split("\n\n")[0]

    seeds = [line for line in setup.splitlines() if "seed_demo" in line]

    assert len(seeds) == 1
    assert "--skip-unless-debug" in seeds[0]


def test_the_demo_logins_name_the_three_sign_ins_and_the_authenticator_enrolment():
    lines = demo_logins(base_url="http://127.0.0.1:8001")

    text = "\n".join(lines)
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in text
    assert f"{OPERATOR_EMAIL} / {DEMO_PASSWORD}   at http://127.0.0.1:8001/admin/" in text
    assert "at the first sign-in to /admin/, scan the QR code with an authenticator app" in text
    assert f"admin@demo-trial / {WORKS_PASSWORD}   at http://127.0.0.1:8001/works/login/" in text


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_make_run_prints_the_demo_logins_once_the_web_server_and_a_worker_answer(live_server):
    db = django_settings.DATABASES["default"]
    env = worker_env() | {"DJANGO_DEBUG": "true", "PYTHONUNBUFFERED": "1"}
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    banner = subprocess.Popen(
        [sys.executable, "manage.py", "demo_logins", "--url", live_server.url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(banner.stdout), daemon=True)
    reader.start()
    time.sleep(3)
    waited_for_the_worker = printed == []

    workers = start_workers(1)
    try:
        wait_until(lambda: any("Sign in to the demo as" in line for line in printed), what="the demo logins")
    finally:
        stop_workers(workers)
    banner.send_signal(signal.SIGTERM)  # as honcho stops it

    assert waited_for_the_worker
    assert banner.wait(timeout=20) == 0
    assert any(f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in line for line in printed)
    assert any(f"at {live_server.url}/admin/" in line for line in printed)
