"""Failed-login limits, one rule for both logins (issue 11; SPEC 7.1 and 8 say "throttled").

Failures are counted within `LOGIN_FAILURE_WINDOW`, three ways (`LOGIN_FAILURE_LIMITS`):
- per account and address: one address guessing one account's password;
- per address over any accounts: one address spraying many accounts;
- per account from any address: many addresses guessing one account.

A lock per account alone would let anyone lock a real admin out by failing on purpose. So past the per-account
limit an account stays open to every address that has not failed on it within the window: the right password
from a clean address still logs in, while each attacking address gets one more guess at most and is then
refused for that account. No CAPTCHA, no delay to wait out (docs/decisions.md, 2026-12-02).

The console counts with django-axes (its AccessAttempt rows, `ConsoleLoginHandler`); NAVER WORKS Admin counts
its own rows (`workspaces.models.AdminLoginFailure`). Both live in the database, so a cache outage neither
breaks a login nor resets its counters.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet, Sum


@dataclass(frozen=True)
class LoginFailures:
    """Failures within the window for one login attempt's account and address."""

    pair: int  # this account from this address
    account: int  # this account from any address
    address: int  # this address on any account
    pair_last_at: datetime | None = None
    address_last_at: datetime | None = None


def login_refused(failures: LoginFailures) -> bool:
    """True when the attempt is refused without looking at the password (the module docstring's rule)."""
    limits = settings.LOGIN_FAILURE_LIMITS
    return (
        failures.pair >= limits["account_and_address"]
        or failures.address >= limits["address"]
        or (failures.account >= limits["account"] and failures.pair > 0)
    )


def failures_within_window(rows: QuerySet, *, account: Q, address: Q, at: str, now: datetime) -> LoginFailures:
    """The failures among ``rows`` (one row per failure, its time in the field ``at``) within the window, counted
    for one account (``account``) and address (``address``), in one query: for the counters kept in rows of our
    own (NAVER WORKS Admin's logins, the operators' second-factor codes)."""
    pair = account & address
    return LoginFailures(
        **rows.filter(account | address, **{f"{at}__gte": now - settings.LOGIN_FAILURE_WINDOW}).aggregate(
            pair=Count("pk", filter=pair),
            account=Count("pk", filter=account),
            address=Count("pk", filter=address),
            pair_last_at=Max(at, filter=pair),
            address_last_at=Max(at, filter=address),
        )
    )


def minutes_until_retry(failures: LoginFailures, *, now: datetime) -> int:
    """Whole minutes (at least 1) until the failures that refuse this attempt have left the window: an upper
    bound, as newer failures from elsewhere are not forecast."""
    limits, window = settings.LOGIN_FAILURE_LIMITS, settings.LOGIN_FAILURE_WINDOW
    ends = []
    if failures.pair_last_at and (
        failures.pair >= limits["account_and_address"] or failures.account >= limits["account"]
    ):
        ends.append(failures.pair_last_at + window)
    if failures.address_last_at and failures.address >= limits["address"]:
        ends.append(failures.address_last_at + window)
    seconds = max([(end - now).total_seconds() for end in ends], default=0)
    return max(1, math.ceil(seconds / 60))


def pair_failure_limit(request, credentials: dict | None = None) -> int:
    """AXES_FAILURE_LIMIT: axes' own limit is the per-pair one, read from the same setting as the rest."""
    return settings.LOGIN_FAILURE_LIMITS["account_and_address"]


class ConsoleLoginHandler(AxesDatabaseHandler):
    """django-axes' database handler with the three limits of `login_refused` instead of axes' single one."""

    def login_failures(self, request, credentials: dict | None = None) -> LoginFailures:
        username = get_client_username(request, credentials)
        address = request.axes_ip_address
        is_account = Q(username=username) if username else Q(pk__in=[])
        is_pair = is_account & Q(ip_address=address)
        counts = (
            AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
            .filter(is_account | Q(ip_address=address))
            .aggregate(
                pair=Sum("failures_since_start", filter=is_pair, default=0),
                account=Sum("failures_since_start", filter=is_account, default=0),
                address=Sum("failures_since_start", filter=Q(ip_address=address), default=0),
            )
        )
        return LoginFailures(**counts)

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return login_refused(self.login_failures(request, credentials))

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        # axes records the failure and locks on the pair limit; the other two limits are checked here.
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or not self.is_locked(request, credentials):
            return
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,
        )
