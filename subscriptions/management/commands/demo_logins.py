import signal
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.exceptions import OperationalError

from subscriptions.demo import demo_logins
from works_console.celery import app

# Long enough for a first start on a slow machine; the logins are printed anyway after it.
WAIT_SECONDS = 180


def _web_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - our own URL, from the Makefile
            return True
    except urllib.error.HTTPError:
        return True  # it answered (503: no database yet); up is all that is asked here
    except OSError:
        return False


def _worker_answers() -> bool:
    try:
        return bool(app.control.ping(timeout=1.0))
    except (OSError, OperationalError):  # the broker is not there (yet)
        return False


class Command(BaseCommand):
    help = (
        "`make run` (Procfile.dev): wait until the web server and a Celery worker are up, print the demo logins "
        "below their start-up banners, then stay until stopped (honcho stops every process when one ends)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where the console is served")

    def handle(self, *args, url: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_logins prints published demo passwords: it runs only with DJANGO_DEBUG=true.")
        url = url.rstrip("/")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            up = False
            while not up and time.monotonic() < deadline:
                up = _web_answers(url) and _worker_answers()
                if not up:
                    time.sleep(1)
            headline = (
                f"Works Console is up at {url}/ (DJANGO_DEBUG=true)."
                if up
                else f"Works Console at {url}/ or its worker did not answer within {WAIT_SECONDS} s: see above."
            )
            lines = [
                "",
                f"{headline} Sign in to the demo as:",
                *demo_logins(base_url=url),
                "Mails are printed below as they are sent, readable (a reset link can be copied). Ctrl-C stops all.",
                "",
            ]
            self.stdout.write("\n".join(lines))
            self.stdout.flush()
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return
