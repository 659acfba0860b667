"""E-mail backends for the benchmark: nothing leaves the machine, nothing piles up in memory or on a terminal.

By default every message is counted and one in SAMPLE_EVERY is built into MIME bytes, as an SMTP backend
builds each one, and timed: the report gives that cost per message separately (it dominates a reminder run,
see bench/README.md). `--full-mail` builds every message, so the job column includes it.
"""

import time

from django.core.mail.backends.base import BaseEmailBackend

SAMPLE_EVERY = 50


class CountingBackend(BaseEmailBackend):
    """Counts the messages handed over and builds a sample of them (class-level totals, read by the report)."""

    build_every = SAMPLE_EVERY
    sent = 0
    built = 0
    build_seconds = 0.0

    def send_messages(self, email_messages) -> int:
        cls = type(self)
        count = 0
        for message in email_messages:
            if cls.sent % cls.build_every == 0:
                started = time.perf_counter()
                message.message().as_bytes()
                cls.build_seconds += time.perf_counter() - started
                cls.built += 1
            cls.sent += 1
            count += 1
        return count

    @classmethod
    def reset(cls, *, build_every: int) -> None:
        cls.build_every, cls.sent, cls.built, cls.build_seconds = build_every, 0, 0, 0.0

    @classmethod
    def ms_per_build(cls) -> float:
        return 1000 * cls.build_seconds / cls.built if cls.built else 0.0
