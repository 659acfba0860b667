"""My Product and the application wizard under concurrent load, served by gunicorn with production settings,
beside the floor: the console's login page, anonymous, under the same server, middleware and clients (issue 17).

The load generator is bounded (clients x requests, each with a socket timeout) and talks to 127.0.0.1 only.
Pages that do not answer 200 yet are reported as skipped, with the reason, rather than failing the run.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from bench.metrics import percentile

BASE_DIR = Path(__file__).resolve().parent.parent
LOG_DIR = BASE_DIR / "var" / "bench"
HOST = "127.0.0.1"
SOCKET_TIMEOUT = 30
READY_TIMEOUT = 40
WARMUP_PER_CLIENT = 2
# The pages are loaded in turns, each round a share of the requests and of the time of each: the other work of a
# shared machine then weighs on every page alike, and their ratios hold even while the load average moves.
ROUNDS = 5
PASSWORD = "bench-Correct-Horse-42"
# The simplest page of the console: what any page costs before its own work (middleware, session, base template).
FLOOR = "floor"
# (name, path, signed in): the floor first, so every other page's ratio compares with a figure of the same run.
PAGES = [
    (FLOOR, "/accounts/login/", False),
    ("My Product", "/naver-works/my-product/", True),
    ("Apply wizard, step 1", "/naver-works/my-product/apply/", True),
]


@dataclass
class PageResult:
    name: str
    path: str
    # False: anonymous clients (the floor), who send no session cookie.
    signed_in: bool = True
    clients: int = 0
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    queries: int | None = None
    skipped: str = ""
    first_error: str = ""
    latencies: list[float] = field(default_factory=list, repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def with_floor_ratios(results: list[PageResult]) -> dict[str, float | None]:
    """Each page's requests per second over the floor's, by page name (None when either was not measured)."""
    floor = next((result for result in results if result.name == FLOOR and not result.skipped), None)
    return {
        result.name: round(result.rps / floor.rps, 2) if floor and floor.rps and not result.skipped else None
        for result in results
    }


class PageSkipped(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def gunicorn_env(database_url: str, conn_max_age: int | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "BENCH_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "works_console.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "DATABASE_URL": database_url,
        "CACHE_URL": "rediscache://127.0.0.1:6379/11",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if conn_max_age is not None:
        env["DATABASE_CONN_MAX_AGE"] = str(conn_max_age)
    return env


class Gunicorn:
    """`gunicorn works_console.wsgi:application -w 2` on a free local port, stopped (by its pid) on exit."""

    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.env = env
        self.workers = workers
        self.port = free_port()
        self.log_path = LOG_DIR / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        executable = Path(sys.executable).parent / "gunicorn"
        command = [str(executable)] if executable.exists() else [sys.executable, "-m", "gunicorn"]
        command += [
            "works_console.wsgi:application",
            f"--workers={self.workers}",
            f"--bind={HOST}:{self.port}",
            "--timeout=60",
            "--graceful-timeout=10",
            "--log-level=warning",
        ]
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=BASE_DIR, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PageSkipped(f"gunicorn exited with {self.process.returncode} (see {self.log_path})")
            try:
                status, _headers, _body = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
                last = f"/healthz answered {status}"
            except OSError as error:
                last = repr(error)
            time.sleep(0.25)
        raise PageSkipped(f"gunicorn not ready after {READY_TIMEOUT} s: {last} (see {self.log_path})")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


def request(port: int, method: str, path: str, *, headers: dict | None = None, body: str | None = None):
    connection = http.client.HTTPConnection(HOST, port, timeout=SOCKET_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def _cookies(headers, jar: dict[str, str]) -> dict[str, str]:
    for header in headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        jar |= {name: morsel.value for name, morsel in cookie.items()}
    return jar


def log_in(port: int, email: str, password: str) -> str:
    """The console's real login form (CSRF token, Argon2 check); returns the Cookie header of the session."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    if status != 200:
        raise PageSkipped(f"GET /accounts/login/ answered {status}")
    jar = _cookies(headers, {})
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not token or "csrftoken" not in jar:
        raise PageSkipped("the login page has no CSRF token")
    form = urlencode({"username": email, "password": password, "csrfmiddlewaretoken": token.group(1).decode()})
    status, headers, _body = request(
        port,
        "POST",
        "/accounts/login/",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={jar['csrftoken']}"},
    )
    jar = _cookies(headers, jar)
    if status != 302 or "sessionid" not in jar:
        raise PageSkipped(f"login failed: POST /accounts/login/ answered {status} without a session")
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def create_customer(subscriptions: int):
    """A customer owning `subscriptions` subscriptions with workspaces (trials, suspended, active; a few with a
    pending reservation), created with the ORM directly."""
    from django.utils import timezone

    from accounts.models import User
    from bench.data import MEMBER_PASSWORD_HASH
    from billing.models import ContractType, Plan
    from subscriptions.models import RenewalOption, Reservation, Status, Subscription
    from works_console.dates import kst_date
    from workspaces.models import AccountType, Member, Workspace

    now = timezone.now()
    today = kst_date(now)
    customer = User.objects.create_user(
        email="page-customer@bench.example.com", password=PASSWORD, first_name="Minji", last_name="Kim"
    )
    basic, premium = Plan.objects.get(code="basic"), Plan.objects.get(code="premium")
    for i in range(subscriptions):
        name = f"page-bench-{i}"
        workspace = Workspace.objects.create(
            kind=AccountType.GROUP, name=name, company_name="Acme Korea", company_phone="+82 2-1234-5678"
        )
        Member.objects.create(
            workspace=workspace, login_id="admin", name="Admin", password=MEMBER_PASSWORD_HASH, is_admin=True
        )
        kind = i % 10
        applied_on = today - timedelta(days=5 + i)
        values = {
            "customer": customer,
            "workspace": workspace,
            "account_type": AccountType.GROUP,
            "name": name,
            "admin_account_id": f"admin@{name}",
            "plan": basic,
            "status": Status.TRIAL,
            "applied_on": applied_on,
            "trial_last_day": applied_on + timedelta(days=29),
            "grace_last_day": applied_on + timedelta(days=59),
        }
        if kind in (7, 8):  # suspended: the trial ended, in its grace period
            values |= {"status": Status.SUSPENDED, "applied_on": today - timedelta(days=40)}
            values |= {"trial_last_day": today - timedelta(days=11), "grace_last_day": today + timedelta(days=19)}
        if kind in (5, 6, 9):  # active annual contracts
            paid_start = today - timedelta(days=20 + i)
            values |= {
                "status": Status.ACTIVE,
                "paid_start": paid_start,
                "contract_type": ContractType.ANNUAL,
                "licences": 10,
                "term_start": paid_start,
                "term_end": paid_start + timedelta(days=364),
                "renewal_option": RenewalOption.RENEW_ANNUAL,
            }
        subscription = Subscription.objects.create(**values)
        if kind == 1:
            Reservation.objects.create(
                subscription=subscription,
                kind=Reservation.Kind.CONVERSION,
                effective_on=subscription.trial_last_day + timedelta(days=1),
                plan=premium,
                contract_type=ContractType.ANNUAL,
                licences=25,
            )
        if kind == 9:
            Reservation.objects.create(
                subscription=subscription, kind=Reservation.Kind.CANCELLATION, effective_on=today + timedelta(days=10)
            )
    return customer


def count_queries(customer, path: str) -> int | None:
    """Queries of one request in-process (Django test client), after one warm-up request; anonymous without a
    customer."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    if customer is not None:
        client.force_login(customer)
    if client.get(path).status_code != 200:
        return None
    with CaptureQueriesContext(connection) as context:
        client.get(path)
    return len(context.captured_queries)


def _load(
    port: int, path: str, cookies: list[str], per_client: int, duration: float
) -> tuple[list[float], int, float, str]:
    """Every client sends up to `per_client` GETs, one after another, for at most `duration` seconds; all clients
    start together. A blank cookie is an anonymous client's (no Cookie header)."""
    barrier = threading.Barrier(len(cookies) + 1)
    latencies: list[list[float]] = [[] for _ in cookies]
    errors = [0] * len(cookies)
    first_error = [""]

    def client(index: int) -> None:
        headers = _cookie_header(cookies[index])
        connection = http.client.HTTPConnection(HOST, port, timeout=SOCKET_TIMEOUT)
        barrier.wait()
        deadline = time.perf_counter() + duration
        for _ in range(per_client):
            started = time.perf_counter()
            if started > deadline:
                break
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
                problem = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as error:
                ok, problem = False, repr(error)
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=SOCKET_TIMEOUT)
            latencies[index].append(time.perf_counter() - started)
            if not ok:
                errors[index] += 1
                first_error[0] = first_error[0] or problem
        connection.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(cookies))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=per_client * SOCKET_TIMEOUT + 60)
    seconds = time.perf_counter() - started
    return sorted(value for values in latencies for value in values), sum(errors), seconds, first_error[0]


def run_pages(
    *,
    database_url: str,
    clients: int,
    per_client: int,
    duration: float,
    subscriptions: int,
    conn_max_age: int | None = None,
    log=print,
) -> list[PageResult]:
    from bench import db

    results = [PageResult(name, path, signed_in) for name, path, signed_in in PAGES]
    db.truncate()
    customer = create_customer(subscriptions)
    for result in results:
        try:
            result.queries = count_queries(customer if result.signed_in else None, result.path)
        except Exception as error:  # noqa: BLE001 - a page being written may raise; the HTTP probe reports it
            log(f"  in-process query count of {result.path} failed: {error!r}")
    try:
        with Gunicorn(gunicorn_env(database_url, conn_max_age)) as server:
            log(f"  gunicorn -w {server.workers} on {HOST}:{server.port}; logging {clients} clients in ...")
            cookies = [log_in(server.port, customer.email, PASSWORD) for _ in range(clients)]
            clients_of = {result.name: cookies if result.signed_in else [""] * clients for result in results}
            ready = [result for result in results if _warm_up(server.port, result, clients_of[result.name])]
            log(
                f"  {', '.join(result.name for result in ready)} in turns, {ROUNDS} rounds: {clients} clients x "
                f"{per_client} requests or {duration:.0f} s per page ..."
            )
            for _round in range(ROUNDS):
                for result in ready:
                    _measure(server.port, result, clients_of[result.name], per_client / ROUNDS, duration / ROUNDS)
    except PageSkipped as reason:
        for result in results:
            result.skipped = result.skipped or str(reason)
    finally:
        db.truncate()
    return results


def _warm_up(port: int, result: PageResult, cookies: list[str]) -> bool:
    """The page answers 200 (else it is skipped, with the reason), and every worker has imported, compiled its
    templates and connected."""
    try:
        status, headers, _body = request(port, "GET", result.path, headers=_cookie_header(cookies[0]))
    except OSError as error:
        result.skipped = f"GET {result.path} failed: {error!r}"
        return False
    if status != 200:
        where = f" -> {headers.get('Location')}" if headers.get("Location") else ""
        result.skipped = f"GET {result.path} answered {status}{where}"
        return False
    for cookie in cookies:
        for _ in range(WARMUP_PER_CLIENT):
            request(port, "GET", result.path, headers=_cookie_header(cookie))
    return True


def _measure(port: int, result: PageResult, cookies: list[str], per_client: float, duration: float) -> None:
    """One round of a page's load, added to what the earlier rounds measured."""
    latencies, errors, seconds, first_error = _load(port, result.path, cookies, max(1, round(per_client)), duration)
    result.latencies.extend(latencies)
    result.latencies.sort()
    result.clients, result.requests, result.seconds = len(cookies), len(result.latencies), result.seconds + seconds
    result.p50_ms = 1000 * percentile(result.latencies, 0.50)
    result.p99_ms = 1000 * percentile(result.latencies, 0.99)
    result.errors += errors
    result.first_error = result.first_error or first_error


def _cookie_header(cookie: str) -> dict[str, str]:
    return {"Cookie": cookie} if cookie else {}
