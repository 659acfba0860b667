"""Password reset: the same time for an address with an account and one without (SPEC 8, issue 21).

gunicorn with production settings serves `/accounts/password/reset/`; one client sends N requests for a known
address and N for an unknown one, in turns (the order swapped every other turn), each a real form post with its
CSRF token, on a kept-alive connection to 127.0.0.1. The reset limits are raised for the run, so every request does
the whole work (the page queues the mail task on the benchmark's broker, which is emptied at the end; no worker
runs). The report gives each side's median and 90th percentile, the difference of the medians (SPEC 8 asks for
under 1 ms) and the median of each turn's difference, the steadier figure on a busy machine.
`tests/accounts/test_password_reset.py` checks the same loosely, by CPU time, on every test run.
"""

import http.client
import re
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.metrics import percentile
from bench.pages import HOST, SOCKET_TIMEOUT, Gunicorn, PageSkipped, _cookies, gunicorn_env, request
from bench.report import table

RESET = "/accounts/password/reset/"
KNOWN, UNKNOWN = "bench-reset-known@example.com", "bench-reset-unknown@example.com"
WARMUP_TURNS = 20
# Every request does the whole work: the limits would answer 429 after a few (PASSWORD_RESET_RATE_*).
UNLIMITED = "1000000/15m"


@dataclass
class ResetTiming:
    turns: int
    known_ms: list[float]
    unknown_ms: list[float]
    errors: int = 0
    skipped: str = ""

    @staticmethod
    def _median(values: list[float]) -> float:
        return statistics.median(values) if values else 0.0

    @property
    def difference_ms(self) -> float:
        return abs(self._median(self.known_ms) - self._median(self.unknown_ms))

    @property
    def paired_difference_ms(self) -> float:
        """The median of each turn's known minus unknown: the two requests of a turn share the machine's load of
        that moment, so this is the steadier figure on a busy machine."""
        return self._median([known - unknown for known, unknown in zip(self.known_ms, self.unknown_ms, strict=True)])


def _form(port: int) -> tuple[str, str]:
    """(Cookie header, CSRF token) of the reset page, read once: the token stays valid for the whole run."""
    status, headers, body = request(port, "GET", RESET)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    jar = _cookies(headers, {})
    if status != 200 or not token or "csrftoken" not in jar:
        raise PageSkipped(f"GET {RESET} answered {status} without a CSRF token")
    return f"csrftoken={jar['csrftoken']}", token.group(1).decode()


def _ask(connection: http.client.HTTPConnection, cookie: str, token: str, email: str) -> tuple[float, int]:
    body = urlencode({"email": email, "csrfmiddlewaretoken": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    started = time.perf_counter()
    connection.request("POST", RESET, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return (time.perf_counter() - started) * 1000, response.status


def run_reset_timing(*, database_url: str, broker_url: str, turns: int, log=print) -> ResetTiming:
    from accounts.models import User
    from works_console.celery import app

    result = ResetTiming(turns=turns, known_ms=[], unknown_ms=[])
    User.objects.filter(email__in=[KNOWN, UNKNOWN]).delete()
    User.objects.create_user(email=KNOWN, password="bench-Correct-Horse-42", first_name="Bench", last_name="Reset")
    env = gunicorn_env(database_url, None) | {
        "CELERY_BROKER_URL": broker_url,
        "PASSWORD_RESET_RATE_PER_EMAIL": UNLIMITED,
        "PASSWORD_RESET_RATE_PER_CLIENT": UNLIMITED,
    }
    try:
        with Gunicorn(env) as server:
            log(f"  gunicorn -w {server.workers} on {HOST}:{server.port}; {turns} turns of a known and an unknown")
            cookie, token = _form(server.port)
            connection = http.client.HTTPConnection(HOST, server.port, timeout=SOCKET_TIMEOUT)
            try:
                for turn in range(WARMUP_TURNS + turns):
                    pair = (KNOWN, UNKNOWN) if turn % 2 == 0 else (UNKNOWN, KNOWN)
                    for email in pair:
                        milliseconds, status = _ask(connection, cookie, token, email)
                        if turn < WARMUP_TURNS:
                            continue
                        result.errors += status != 302
                        (result.known_ms if email == KNOWN else result.unknown_ms).append(milliseconds)
            finally:
                connection.close()
    except PageSkipped as reason:
        result.skipped = str(reason)
    finally:
        User.objects.filter(email=KNOWN).delete()
        with app.connection_for_write(broker_url) as connection:  # the queued mails: no worker takes them
            connection.default_channel.client.delete(app.conf.task_default_queue)
    return result


def reset_timing_table(result: ResetTiming) -> str:
    if result.skipped:
        return f"skipped: {result.skipped}"
    rows = [
        [
            address,
            f"{len(values):,}",
            f"{statistics.median(values):.2f}",
            f"{percentile(sorted(values), 0.9):.2f}",
        ]
        for address, values in (("known", result.known_ms), ("unknown", result.unknown_ms))
    ]
    text = table(["address", "requests", "median ms", "p90 ms"], rows, right={1, 2, 3})
    verdict = "under" if result.difference_ms < 1 else "NOT under"
    return (
        f"{text}\n\ndifference of the medians: {result.difference_ms:.3f} ms ({verdict} 1 ms)\n"
        f"median of the turns' differences (known - unknown): {result.paired_difference_ms:+.3f} ms\n"
        f"answers other than 302: {result.errors}"
    )
