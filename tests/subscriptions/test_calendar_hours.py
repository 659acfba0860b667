"""The calendar decides, not the job's progress (issue 22): every rule asked at the hours that matter.

Each contract is anchored 2028-06-01 (Basic: annual 5,000 / monthly 6,000 per user; annual with 10 licences)
and the lifecycle last ran at 23:55 KST on the last day of a period or a term. The same questions are asked at
23:59 that day, at 00:05 the next day before any run, at 00:20 after the run of 00:10, and at 00:05 three days
later with every run of those days missed. Before and after the run the answers are the calendar's, and the same:
the cancellation window (SPEC 5.5) and the penalty of cancelling today with the penalty-free date (SPEC 5.6), the
contract term, the renewal option's date (SPEC 5.3), the buttons and the timeline of My Product (SPEC 5), and the
subscription's state.

Penalties, worked by hand (10% x (discount received + remaining fee), per period by day):
- 2028-06-30 in term 0: 10,000 x 29/30 + 50,000 x (1/30 + 11) = 561,333.3 -> 56,133
- 2028-07-01: 10,000 + 50,000 x 11 = 560,000 -> 56,000
- 2028-07-03: 10,000 x (1 + 2/31) + 50,000 x (29/31 + 10) = 557,419.4 -> 55,741
- 2029-05-31, the last day of term 0 (May has 31 days): 10,000 x (11 + 30/31) + 50,000 x 1/31 = 121,290.3 -> 12,129
- the first day of a renewed annual term: 50,000 x 12 = 600,000 -> 60,000
- 2029-06-03 in term 1 (June has 30 days): 10,000 x 2/30 + 50,000 x (28/30 + 11) = 597,333.3 -> 59,733
- 2028-07-03 in an annual term from 2028-07-01: 10,000 x 2/31 + 50,000 x (29/31 + 11) = 597,419.4 -> 59,741
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from billing.models import ContractType
from subscriptions.models import RenewalOption, Status, Subscription
from subscriptions.rules import allowed_actions
from subscriptions.selectors import my_product_cards
from subscriptions.services.cancel import cancellation_date_range, cancellation_penalty
from subscriptions.standing import standing_on
from tests.billing.factories import ActiveSubscriptionFactory, kst
from tests.lifecycle import run_lifecycle
from tests.subscriptions.test_my_product import card_buttons
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

ANCHOR = date(2028, 6, 1)
MY_PRODUCT = reverse("subscriptions:my-product")

CHANGE, LICENCES, UPGRADE, ADMIN, EXPORT, CANCEL = (
    "Change renewal option",
    "Add licences",
    "Upgrade",
    "Go to NAVER WORKS Admin",
    "Export data",
    "Cancel subscription",
)
ANNUAL_BUTTONS = [CHANGE, LICENCES, UPGRADE, ADMIN, EXPORT, CANCEL]
MONTHLY_BUTTONS = [CHANGE, UPGRADE, ADMIN, EXPORT, CANCEL]
INVOICE = "Invoice issued for the current billing period"
TERM_ENDS = "Contract term ends"
MONTHLY_NEXT = "Continues as a monthly contract"
RENEWED = "Renewed as annual for another 12 months"
SERVICE_ENDS = "Service ends and all data is deleted"


def d(text: str) -> date:
    return date.fromisoformat(text)


def running(term: tuple[str, str], today: str, penalty: int, buttons: list[str], invoice_on: str, after: str) -> dict:
    """What the calendar says of a running contract on ``today``: its term, the window from today to the day after
    the term end (the penalty-free date, the day the renewal option takes effect), the penalty of cancelling
    today, the buttons, and the timeline: the current period's invoice, the term end and what follows."""
    term_start, term_end = d(term[0]), d(term[1])
    after_term = term_end + timedelta(days=1)
    return {
        "state": "active",
        "term": (term_start, term_end),
        "window": (d(today), after_term),
        "penalty today": penalty,
        "penalty-free date": after_term,
        "renewal takes effect": after_term,
        "buttons": buttons,
        # in date order; on one day, the invoice before what follows the term (as the card lists them)
        "timeline": sorted([(d(invoice_on), INVOICE), (term_end, TERM_ENDS), (after_term, after)], key=lambda e: e[0]),
    }


def stopped(term: tuple[str, str], today: str) -> dict:
    """A service the calendar has stopped: its last term, nothing to offer, nothing ahead."""
    return {
        "state": "terminated",
        "term": (d(term[0]), d(term[1])),
        "window": (d(today), d(today)),
        "penalty today": 0,
        "penalty-free date": d(today),
        "renewal takes effect": None,
        "buttons": [],
        "timeline": [],
    }


JUNE, JULY = ("2028-06-01", "2028-06-30"), ("2028-07-01", "2028-07-31")
TERM_0, TERM_1 = ("2028-06-01", "2029-05-31"), ("2029-06-01", "2030-05-31")
ANNUAL_FROM_JULY, JUNE_2029 = ("2028-07-01", "2029-06-30"), ("2029-06-01", "2029-06-30")

# Per contract: its type and renewal option, the last day of its period or term, and the answers on that day, the
# next day and three days later.
CONTRACTS = {
    "monthly-period-end": (
        ContractType.MONTHLY,
        "",
        d("2028-06-30"),
        running(JUNE, "2028-06-30", 0, MONTHLY_BUTTONS, "2028-07-01", MONTHLY_NEXT),
        running(JULY, "2028-07-01", 0, MONTHLY_BUTTONS, "2028-08-01", MONTHLY_NEXT),
        running(JULY, "2028-07-03", 0, MONTHLY_BUTTONS, "2028-08-01", MONTHLY_NEXT),
    ),
    "monthly-period-end-renewing-as-annual": (
        ContractType.MONTHLY,
        RenewalOption.RENEW_ANNUAL,
        d("2028-06-30"),
        running(JUNE, "2028-06-30", 0, MONTHLY_BUTTONS, "2028-07-01", RENEWED),
        running(ANNUAL_FROM_JULY, "2028-07-01", 60_000, ANNUAL_BUTTONS, "2028-08-01", RENEWED),
        running(ANNUAL_FROM_JULY, "2028-07-03", 59_741, ANNUAL_BUTTONS, "2028-08-01", RENEWED),
    ),
    "annual-period-end": (
        ContractType.ANNUAL,
        "",
        d("2028-06-30"),
        running(TERM_0, "2028-06-30", 56_133, ANNUAL_BUTTONS, "2028-07-01", MONTHLY_NEXT),
        running(TERM_0, "2028-07-01", 56_000, ANNUAL_BUTTONS, "2028-08-01", MONTHLY_NEXT),
        running(TERM_0, "2028-07-03", 55_741, ANNUAL_BUTTONS, "2028-08-01", MONTHLY_NEXT),
    ),
    "annual-term-end-renewing-as-annual": (
        ContractType.ANNUAL,
        RenewalOption.RENEW_ANNUAL,
        d("2029-05-31"),
        running(TERM_0, "2029-05-31", 12_129, ANNUAL_BUTTONS, "2029-06-01", RENEWED),
        running(TERM_1, "2029-06-01", 60_000, ANNUAL_BUTTONS, "2029-07-01", RENEWED),
        running(TERM_1, "2029-06-03", 59_733, ANNUAL_BUTTONS, "2029-07-01", RENEWED),
    ),
    "annual-term-end-switching-to-monthly": (
        ContractType.ANNUAL,
        RenewalOption.SWITCH_TO_MONTHLY,
        d("2029-05-31"),
        running(TERM_0, "2029-05-31", 12_129, ANNUAL_BUTTONS, "2029-06-01", MONTHLY_NEXT),
        running(JUNE_2029, "2029-06-01", 0, MONTHLY_BUTTONS, "2029-07-01", MONTHLY_NEXT),
        running(JUNE_2029, "2029-06-03", 0, MONTHLY_BUTTONS, "2029-07-01", MONTHLY_NEXT),
    ),
    "annual-term-end-not-renewed": (
        ContractType.ANNUAL,
        RenewalOption.DO_NOT_RENEW,
        d("2029-05-31"),
        running(TERM_0, "2029-05-31", 12_129, ANNUAL_BUTTONS, "2029-06-01", SERVICE_ENDS),
        # The service stopped on 2029-06-01, by the calendar before the run and for good after it.
        stopped(TERM_0, "2029-06-01"),
        stopped(TERM_0, "2029-06-03"),
    ),
}

# When the question is asked, which answer of the contract it gets, and when the lifecycle ran.
HOURS = {
    "23-59-on-the-last-day": (0, timedelta(hours=23, minutes=59), [timedelta(hours=23, minutes=55)]),
    "00-05-next-day-before-any-run": (1, timedelta(days=1, minutes=5), [timedelta(hours=23, minutes=55)]),
    "00-20-next-day-after-the-run": (
        1,
        timedelta(days=1, minutes=20),
        [timedelta(hours=23, minutes=55), timedelta(days=1, minutes=10)],
    ),
    "three-days-of-missed-runs": (2, timedelta(days=3, minutes=5), [timedelta(hours=23, minutes=55)]),
}


def contract(contract_type: str, renewal_option: str):
    annual = contract_type == ContractType.ANNUAL
    return ActiveSubscriptionFactory(
        applied_on=ANCHOR - timedelta(days=20),
        paid_start=ANCHOR,
        contract_type=contract_type,
        licences=10 if annual else None,
        renewal_option=renewal_option,
        renewal_licences=None if annual or renewal_option != RenewalOption.RENEW_ANNUAL else 10,
    )


def midnight_of(day: date) -> datetime:
    return kst(day.year, day.month, day.day, 0, 0)


def ask(subscription_id: int, client, now: datetime) -> dict:
    """Every question of the table, asked at ``now``: the rules directly, the buttons and timeline on My Product."""
    subscription = Subscription.objects.select_related("plan", "workspace").get(pk=subscription_id)
    today = kst_date(now)
    standing = standing_on(subscription, today=today)
    first, last = cancellation_date_range(subscription, today, standing=standing)
    with time_machine.travel(now, tick=False):
        client.force_login(subscription.customer)  # a session of that hour (one of today would have expired)
        response = client.get(MY_PRODUCT)
    [card] = my_product_cards(customer=subscription.customer, region="KR", platform="VPC", today=today)
    return {
        "state": card.subscription.status,
        "term": (card.subscription.term_start, card.subscription.term_end),
        "window": (first, last),
        "penalty today": cancellation_penalty(standing, today).amount,
        "penalty-free date": last,
        "renewal takes effect": standing.renewal_effective_on,
        "buttons": card_buttons(response.content.decode(), subscription),
        "timeline": [(entry.on, entry.label) for entry in card.timeline],
    }


@pytest.mark.parametrize("hour", list(HOURS))
@pytest.mark.parametrize("name", list(CONTRACTS))
def test_every_rule_answers_what_the_calendar_says_at_every_hour(client, name, hour):
    contract_type, renewal_option, last_day, *answers = CONTRACTS[name]
    which, asked_after, runs = HOURS[hour]
    subscription = contract(contract_type, renewal_option)
    for ran_after in runs:
        run_lifecycle(midnight_of(last_day) + ran_after)

    answer = ask(subscription.pk, client, midnight_of(last_day) + asked_after)

    assert answer == answers[which]


def test_the_allowed_actions_at_00_05_are_those_after_the_run():
    # The second case: a new monthly period at 00:05 offers Upgrade and Change renewal option at once.
    subscription = contract(ContractType.MONTHLY, "")
    run_lifecycle(kst(2028, 6, 30, 23, 55))
    before = allowed_actions(Subscription.objects.get(pk=subscription.pk), today=date(2028, 7, 1))
    run_lifecycle(kst(2028, 7, 1, 0, 10))

    after = allowed_actions(Subscription.objects.get(pk=subscription.pk), today=date(2028, 7, 1))

    assert before == after == {"change_renewal", "upgrade", "cancel", "admin_login", "export"}
    assert Subscription.objects.get(pk=subscription.pk).status == Status.ACTIVE
