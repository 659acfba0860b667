import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from subscriptions.demo import DEMO_EMAIL, DEMO_WORKSPACES, demo_logins, seed_demo

REFUSED = (
    "seed_demo creates logins whose passwords are published in the README: it runs only in development, with "
    "DJANGO_DEBUG=true. Nothing was written."
)


class Command(BaseCommand):
    help = (
        "Development only (DJANGO_DEBUG=true): the demo customer with a subscription in every state, its history "
        "written through the services at past instants, and the demo operator; print their logins. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--skip-unless-debug",
            action="store_true",
            help="without DJANGO_DEBUG=true, say so and succeed without writing anything (`make setup`)",
        )
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where the console is served, for the printed logins"
        )

    def handle(self, *args, skip_unless_debug: bool, url: str, **options) -> None:
        if not settings.DEBUG:
            if skip_unless_debug:
                self.stdout.write("No demo data: DJANGO_DEBUG is not true (seed_demo is for development only).")
                return
            raise CommandError(REFUSED)
        self.stdout.write("Demo data: the demo customer's history, written once through the services (a few seconds)")
        # The services log each step at INFO; here that is the story itself, told again below in one line.
        logging.disable(logging.INFO)
        try:
            seeded = seed_demo()
        finally:
            logging.disable(logging.NOTSET)
        if seeded.history_written:
            self.stdout.write(
                self.style.SUCCESS(f"Demo customer {DEMO_EMAIL}: {len(DEMO_WORKSPACES)} subscriptions written.")
            )
        else:
            self.stdout.write(f"Demo customer {DEMO_EMAIL}: its subscriptions are there already; nothing written.")
        self.stdout.write(f"Sign in to the demo (`make run` serves it at {url.rstrip('/')}/) as:")
        for line in demo_logins(base_url=url.rstrip("/")):
            self.stdout.write(line)
