"""A Redis outage degrades, it never answers 500 (issue 11). Each test starts its own redis-server on a free port,
points the cache (and the broker) at it, stops it, checks, starts it again and checks the recovery. The
machine's shared Redis is never touched."""

import copy
import logging
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.celery_queue import run_queued_tasks
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD
from works_console import health
from workspaces.models import AdminLoginFailure

pytestmark = pytest.mark.django_db

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test only: no persistence, on a port nothing else uses."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.shared_caches: dict = {}

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (a fixed program with our own arguments)
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait(up=True)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self._wait(up=False)

    def _wait(self, *, up: bool) -> None:
        # Polling a socket for readiness is not a timed assertion: nothing is measured, the loop ends on a state.
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                answering = True
            except OSError:
                answering = False
            if answering is up:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not come {'up' if up else 'down'}")


@pytest.fixture
def own_redis(tmp_path, settings):
    redis = OwnRedis(tmp_path)
    redis.start()
    redis.shared_caches = copy.deepcopy(settings.CACHES)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url(0),
            "OPTIONS": settings.CACHES["default"].get("OPTIONS", {}),
        }
    }
    settings.CELERY_BROKER_URL = redis.url(1)
    yield redis
    if redis.process.poll() is None:
        redis.stop()


def _health(client: Client) -> tuple[int, dict]:
    response = client.get(reverse("healthz"))
    return response.status_code, response.json()


def test_healthz_is_degraded_not_down_while_redis_is_stopped_and_ok_once_it_is_back(client, own_redis, settings):
    settings.HEALTH_ANSWER_SECONDS = 0  # each call checks again
    before = _health(client)
    own_redis.stop()
    during = _health(client)
    own_redis.start()
    after = _health(client)

    up = {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}
    assert before == (200, up)
    assert during == (200, {"status": "degraded", "database": "ok", "cache": "down", "broker": "down"})
    assert after == (200, up)


def test_healthz_is_degraded_when_only_the_broker_is_stopped(client, own_redis, settings):
    settings.CACHES = own_redis.shared_caches  # the cache stays on the shared Redis (this worktree's database)
    own_redis.stop()

    assert _health(client) == (200, {"status": "degraded", "database": "ok", "cache": "ok", "broker": "down"})


def test_healthz_is_unavailable_only_without_the_database(client, own_redis, monkeypatch):
    monkeypatch.setitem(health.CHECKS, "database", lambda: False)

    assert _health(client) == (503, {"status": "unavailable", "database": "down", "cache": "ok", "broker": "ok"})


def test_the_name_check_answers_with_a_warning_while_the_cache_is_down(customer_client, own_redis, caplog):
    url = reverse("subscriptions:name-check") + "?group_name=freshname"
    own_redis.stop()

    with caplog.at_level(logging.WARNING, logger="subscriptions.views"):
        during = customer_client.get(url)
    own_redis.start()
    after = customer_client.get(url)

    assert (during.status_code, during.json()["available"]) == (200, True)
    assert [
        record.getMessage().split(":")[0] for record in caplog.records if record.name == "subscriptions.views"
    ] == ["name check rate limit skipped, the cache is unavailable"]
    assert (after.status_code, after.json()["available"]) == (200, True)


def test_the_name_check_limit_counts_again_once_the_cache_is_back(customer_client, own_redis, monkeypatch):
    monkeypatch.setattr("subscriptions.views.NAME_CHECK_RATE", "2/m")
    url = reverse("subscriptions:name-check") + "?group_name=freshname"
    own_redis.stop()
    during = [customer_client.get(url).status_code for _ in range(3)]
    own_redis.start()

    after = [customer_client.get(url).status_code for _ in range(3)]

    assert during == [200, 200, 200]
    assert after == [200, 200, 429]


def test_the_works_login_with_the_right_password_logs_in_while_the_cache_is_down(own_redis):
    trial = TrialSubscriptionFactory()
    own_redis.stop()

    response = Client().post(
        reverse("workspaces:login"), {"account_id": trial.admin_account_id, "password": ADMIN_PASSWORD}
    )

    assert (response.status_code, response["Location"]) == (302, "/works/")


def test_the_works_login_limits_hold_on_the_database_while_the_cache_is_down(own_redis):
    trial = TrialSubscriptionFactory()
    own_redis.stop()
    client = Client()
    failures = [
        client.post(reverse("workspaces:login"), {"account_id": trial.admin_account_id, "password": "wrong1pass"})
        for _ in range(5)
    ]

    refused = client.post(
        reverse("workspaces:login"), {"account_id": trial.admin_account_id, "password": ADMIN_PASSWORD}
    )

    assert [response.status_code for response in failures] == [200] * 5
    assert AdminLoginFailure.objects.count() == 5
    assert refused.status_code == 429


def test_the_console_login_works_while_the_cache_is_down(customer, own_redis):
    own_redis.stop()

    response = Client().post(reverse("accounts:login"), {"username": customer.email, "password": USER_PASSWORD})

    assert (response.status_code, response["Location"]) == (302, reverse("subscriptions:my-product"))


def test_pages_serve_while_redis_is_stopped(customer_client, own_redis):
    own_redis.stop()

    statuses = [
        customer_client.get(reverse(name)).status_code for name in ("subscriptions:my-product", "billing:invoices")
    ]

    assert statuses == [200, 200]


@pytest.mark.usefixtures("empty_queue")
def test_a_password_reset_is_refused_with_a_message_while_the_cache_is_down(customer, own_redis, mailoutbox):
    own_redis.stop()
    during = Client().post(reverse("accounts:password-reset"), {"email": customer.email})
    own_redis.start()

    after = Client().post(reverse("accounts:password-reset"), {"email": customer.email})
    run_queued_tasks()  # a worker sends what the page queued

    assert during.status_code == 503
    assert during.context["form"].non_field_errors() == [
        "Password reset is unavailable right now. Try again in a few minutes."
    ]
    assert (after.status_code, after["Location"]) == (302, reverse("accounts:password-reset-done"))
    assert [mail.to for mail in mailoutbox] == [[customer.email]]


def test_a_sign_up_goes_on_with_a_warning_while_the_cache_is_down(own_redis, caplog):
    own_redis.stop()

    with caplog.at_level(logging.WARNING, logger="accounts.views"):
        response = Client().post(
            reverse("accounts:signup"),
            {
                "first_name": "Minji",
                "last_name": "Kim",
                "email": "minji@example.com",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
        )

    assert (response.status_code, response["Location"]) == (302, reverse("subscriptions:my-product"))
    assert [record.getMessage().split(":")[0] for record in caplog.records if record.name == "accounts.views"] == [
        "sign-up rate limit skipped, the cache is unavailable"
    ]


# --- /healthz never holds a web worker (issue 21) ------------------------------------------------------------

# Production's timeout. On a machine busy with other suites the database or the cache can take longer than that to
# answer, so these tests judge the dependency they take down and the time, not the others' answers.
PRODUCTION_CHECK_TIMEOUT = 0.3


@pytest.fixture
def silent_port():
    """A port whose server accepts connections (the kernel completes them) and never answers: a hung broker or
    cache, the outage that holds a client until its own timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(32)
        yield silent.getsockname()[1]


def _health_within(seconds: float, *, clients: int = 1) -> list[tuple[int, dict]]:
    """/healthz asked by `clients` at once, each in a thread; the answers, or a failure if any took longer than
    `seconds` (the threads are left to end on their own: the check itself is what is on trial)."""
    answers: list[tuple[int, dict]] = []

    def ask() -> None:
        answers.append(_health(Client()))

    threads = [threading.Thread(target=ask, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    assert len(answers) == clients, f"{clients - len(answers)} of {clients} /healthz calls still waiting"
    return answers


def test_healthz_answers_at_once_while_the_broker_does_not_answer(settings, silent_port):
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"

    [(status, body)] = _health_within(1.0)

    assert body["broker"] == "down"


def test_healthz_answers_at_once_while_the_cache_does_not_answer(settings, silent_port):
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    settings.CACHES = settings.CACHES | {
        "default": settings.CACHES["default"] | {"LOCATION": f"redis://127.0.0.1:{silent_port}/0"}
    }

    [(status, body)] = _health_within(1.0)

    assert body["cache"] == "down"


def test_healthz_answers_at_once_while_the_database_does_not_answer(settings, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    stuck = threading.Event()
    monkeypatch.setitem(health.CHECKS, "database", lambda: stuck.wait(10))  # a database that never answers

    try:
        [(status, body)] = _health_within(1.0)
    finally:
        stuck.set()

    assert (status, body["status"], body["database"]) == (503, "unavailable", "down")


def test_twelve_callers_during_a_broker_outage_share_one_check(settings, silent_port, monkeypatch):
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    rounds = []
    monkeypatch.setattr(health, "_run_checks", lambda run=health._run_checks: rounds.append(1) or run())

    answers = _health_within(1.5, clients=12)

    assert [body["broker"] for _status, body in answers] == ["down"] * 12
    assert len(rounds) == 1


def test_the_health_answer_is_kept_a_few_seconds_then_asked_again(settings, silent_port):
    before = _health(Client())
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    kept = _health(Client())
    settings.HEALTH_ANSWER_SECONDS = 0
    asked_again = _health(Client())

    assert before == kept == (200, {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"})
    assert asked_again[1]["broker"] == "down"


@pytest.mark.parametrize("check", ["database", "cache", "broker"])
def test_each_check_on_its_own_answers_for_a_dependency_that_is_up(check):
    assert health.CHECKS[check]() is True


def test_the_broker_check_gives_up_on_a_silent_broker_by_itself(settings, silent_port):
    # The check's own timeouts end it soon after /healthz stops waiting: threads given up on do not pile up.
    settings.HEALTH_CHECK_TIMEOUT = PRODUCTION_CHECK_TIMEOUT
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{silent_port}/0"
    ended = []
    thread = threading.Thread(target=lambda: ended.append(health.broker_ok()), daemon=True)

    thread.start()
    thread.join(timeout=5)

    assert ended == [False]
