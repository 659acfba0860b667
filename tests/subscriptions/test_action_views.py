"""The paid-lifecycle pages (SPEC 5.2-5.5, 9): labels, the happy paths, and every rule refused when posted
directly, with nothing changed.

The clock is frozen with time_machine at 10:00 KST of the day each test names.
"""

import re
from datetime import date

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from billing.models import ContractType
from subscriptions.models import RenewalOption, Reservation, Status, Subscription
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, issue_due, kst, subscription_snapshot
from tests.subscriptions.factories import (
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TrialSubscriptionFactory,
    plan,
)
from tests.workspaces.factories import ADMIN_PASSWORD, DomainWorkspaceFactory, MemberFactory
from workspaces.decorators import SESSION_WORKSPACE_KEY

pytestmark = pytest.mark.django_db

PHRASE = "Cancel the selected service"


def url(name: str, subscription) -> str:
    return reverse(f"subscriptions:{name}", args=[subscription.public_id])


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def assert_back_on_my_product(response) -> None:
    assert response.status_code == 302
    assert response.url == reverse("subscriptions:my-product")


@pytest.fixture
def at(customer):
    """Freeze the clock at 10:00 KST of a day and return a client of ``customer`` logged in at that moment."""
    travellers = []

    def freeze(year: int, month: int, day: int) -> Client:
        traveller = time_machine.travel(kst(year, month, day), tick=False)
        traveller.start()
        travellers.append(traveller)
        client = Client()
        client.force_login(customer)
        return client

    yield freeze
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def trial(customer):
    return TrialSubscriptionFactory(customer=customer)


@pytest.fixture
def active(customer):
    return ActiveSubscriptionFactory(customer=customer)


# --- access ----------------------------------------------------------------------------------------------------

ACTION_URLS = ["convert", "renewal", "upgrade", "licences", "cancel", "cancel-penalty"]
POST_ONLY_URLS = ["withdraw-conversion", "withdraw-cancellation"]


@pytest.mark.parametrize("name", ACTION_URLS)
def test_another_customers_subscription_page_is_a_404(at, name):
    client = at(2027, 3, 1)
    someone_else = ActiveSubscriptionFactory(customer=UserFactory())

    assert client.get(url(name, someone_else)).status_code == 404


@pytest.mark.parametrize("name", [name for name in ACTION_URLS if name != "cancel-penalty"] + POST_ONLY_URLS)
def test_posting_to_another_customers_subscription_is_a_404_and_changes_nothing(at, name):
    client = at(2027, 3, 1)
    someone_else = ActiveSubscriptionFactory(customer=UserFactory())
    Reservation.objects.create(
        subscription=someone_else, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 6, 1)
    )
    before = subscription_snapshot(someone_else)

    response = client.post(
        url(name, someone_else),
        {"cancellation_date": "2027-03-01", "confirmation_phrase": PHRASE, "licences": "20", "option": "do_not_renew"},
    )

    assert response.status_code == 404
    assert subscription_snapshot(someone_else) == before


@pytest.mark.parametrize("name", ACTION_URLS)
def test_the_pages_need_a_login(name):
    subscription = TrialSubscriptionFactory()

    response = Client().get(url(name, subscription))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", POST_ONLY_URLS)
def test_withdrawals_are_post_only(customer_client, trial, name):
    assert customer_client.get(url(name, trial)).status_code == 405


# --- convert (SPEC 5.2) ---------------------------------------------------------------------------------------


def test_convert_page_has_the_spec_labels(at, trial):
    client = at(2026, 12, 10)
    response = client.get(url("convert", trial))

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<label[^>]*for="id_plan"[^>]*>\s*Plan\s*</label>', html)
    assert re.search(r"<legend[^>]*>\s*Contract type\s*</legend>", html)
    assert re.search(r'<label[^>]*for="id_contract_type_0"[^>]*>\s*Monthly\s*</label>', html)
    assert re.search(r'<label[^>]*for="id_contract_type_1"[^>]*>\s*Annual\s*</label>', html)
    assert re.search(r'<label[^>]*for="id_licences"[^>]*>\s*Licences\s*</label>', html)
    assert re.search(r'<input type="date" name="start_on" value="2026-12-10"', html)
    assert ">Apply for paid version</button>" in html


def test_converting_today_from_the_page(at, trial):
    client = at(2026, 12, 10)
    response = client.post(
        url("convert", trial),
        {"plan": plan("premium").pk, "contract_type": "annual", "licences": "5", "start_on": "2026-12-10"},
    )

    assert_back_on_my_product(response)
    trial.refresh_from_db()
    assert (trial.status, trial.plan.code, trial.licences, trial.paid_start) == (
        "active",
        "premium",
        5,
        date(2026, 12, 10),
    )
    assert messages_of(response) == [f"{trial.name} is now a paid Premium subscription."]


def test_reserving_a_conversion_from_the_page(at, trial):
    client = at(2026, 12, 10)
    response = client.post(
        url("convert", trial), {"plan": plan("basic").pk, "contract_type": "monthly", "start_on": "2026-12-24"}
    )

    assert_back_on_my_product(response)
    assert list(
        Reservation.objects.filter(subscription=trial).values_list("kind", "effective_on", "contract_type", "licences")
    ) == [("conversion", date(2026, 12, 24), "monthly", None)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"contract_type": "annual", "licences": "10", "start_on": "2026-12-09"},
            "Choose a start date from 2026-12-10 to 2027-01-29.",
            id="yesterday",
        ),
        pytest.param(
            {"contract_type": "annual", "licences": "10", "start_on": "2027-01-30"},
            "Choose a start date from 2026-12-10 to 2027-01-29.",
            id="after-the-grace",
        ),
        pytest.param(
            {"contract_type": "annual", "licences": "2", "start_on": "2026-12-10"},
            "Enter at least 3 licences: one for each member registered now.",
            id="licences-below-members",
        ),
        pytest.param(
            {"contract_type": "annual", "licences": "", "start_on": "2026-12-10"},
            "Enter the number of licences for an annual contract.",
            id="annual-without-licences",
        ),
        pytest.param(
            {"contract_type": "annual", "licences": "10", "start_on": "10/12/2026"},
            "Enter a date as YYYY-MM-DD.",
            id="not-iso",
        ),
    ],
)
def test_conversion_refused_at_the_field(at, trial, data, message):
    client = at(2026, 12, 10)
    MemberFactory.create_batch(2, workspace=trial.workspace)
    before = subscription_snapshot(trial)

    response = client.post(url("convert", trial), {"plan": plan("basic").pk, **data})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert subscription_snapshot(trial) == before


def test_an_active_subscription_posting_a_conversion_is_sent_back(at, active):
    client = at(2027, 3, 1)
    before = subscription_snapshot(active)

    response = client.post(
        url("convert", active),
        {"plan": plan("premium").pk, "contract_type": "annual", "licences": "10", "start_on": "2027-03-01"},
    )

    assert_back_on_my_product(response)
    assert messages_of(response) == ["This action is not available for this subscription in its current state."]
    assert subscription_snapshot(active) == before


def test_withdrawing_a_conversion_from_my_product(at, trial):
    client = at(2026, 12, 10)
    Reservation.objects.create(
        subscription=trial,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2026, 12, 20),
        plan=plan("basic"),
        contract_type="monthly",
    )

    response = client.post(url("withdraw-conversion", trial), {"confirmed": "1"})

    assert_back_on_my_product(response)
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == ["withdrawn"]
    assert messages_of(response) == [f"The reserved paid conversion of {trial.name} is withdrawn."]


def test_withdrawing_a_conversion_that_does_not_exist_changes_nothing(at, trial):
    client = at(2026, 12, 10)
    before = subscription_snapshot(trial)

    response = client.post(url("withdraw-conversion", trial), {"confirmed": "1"})

    assert_back_on_my_product(response)
    assert messages_of(response) == ["There is no reserved conversion to withdraw."]
    assert subscription_snapshot(trial) == before


# --- renewal option (SPEC 5.3) --------------------------------------------------------------------------------


def test_renewal_page_has_the_spec_labels(at, active):
    client = at(2027, 3, 1)
    html = client.get(url("renewal", active)).content.decode()

    for label in ("Renew as annual (same conditions)", "Switch to monthly", "Do not renew"):
        assert re.search(rf"<label[^>]*>\s*(<input[^>]*>)?\s*{re.escape(label)}\s*</label>", html), label
    assert re.search(r'<label[^>]*for="id_licences"[^>]*>\s*Licences\s*</label>', html)
    assert ">Save</button>" in html


def test_save_asks_for_confirmation_and_changes_nothing_yet(at, active):
    client = at(2027, 3, 1)
    before = subscription_snapshot(active)

    response = client.post(url("renewal", active), {"option": "renew_annual", "licences": "6"})

    html = response.content.decode()
    assert response.status_code == 200
    assert ">Confirm</button>" in html
    assert 'name="licences" value="6"' in html
    assert subscription_snapshot(active) == before


def test_confirm_sets_the_renewal_option(at, active):
    client = at(2027, 3, 1)
    response = client.post(url("renewal", active), {"option": "renew_annual", "licences": "6", "confirm": "1"})

    assert_back_on_my_product(response)
    active.refresh_from_db()
    assert (active.renewal_option, active.renewal_licences) == (RenewalOption.RENEW_ANNUAL, 6)


def test_a_renewal_below_the_members_is_refused_even_when_confirmed(at, active):
    client = at(2027, 3, 1)
    MemberFactory.create_batch(4, workspace=active.workspace)
    before = subscription_snapshot(active)

    response = client.post(url("renewal", active), {"option": "renew_annual", "licences": "3", "confirm": "1"})

    assert response.status_code == 200
    assert "Enter at least 5 licences: one for each member registered now." in response.content.decode()
    assert subscription_snapshot(active) == before


def test_a_trial_has_no_renewal_option(at, trial):
    client = at(2026, 12, 10)
    before = subscription_snapshot(trial)

    response = client.post(url("renewal", trial), {"option": "do_not_renew", "confirm": "1"})

    assert_back_on_my_product(response)
    assert subscription_snapshot(trial) == before


# --- upgrade (SPEC 5.4) ---------------------------------------------------------------------------------------


def wizard_post(client, subscription, step: str, data: dict):
    prefix = f"upgrade_{subscription.public_id}"
    payload = {f"{prefix}-current_step": step}
    payload.update({f"{step}-{key}": value for key, value in data.items()})
    return client.post(url("upgrade", subscription), payload)


def test_upgrade_through_its_steps(at, active):
    client = at(2027, 2, 1)
    first = client.get(url("upgrade", active)).content.decode()
    assert re.search(r'<input[^>]*value="\d+"[^>]*id="upgrade-plan-lite"[^>]*disabled', first)
    assert ">Agree to terms</button>" in first

    terms = wizard_post(client, active, "plan", {"plan": plan("premium").pk}).content.decode()
    assert "I agree to the terms" in terms
    assert ">Review</button>" in terms

    review = wizard_post(client, active, "terms", {"agree": "on"}).content.decode()
    assert ">Submit</button>" in review
    assert "₩10,000 per user per month (Annual), VAT excluded" in review

    done = wizard_post(client, active, "review", {})

    assert_back_on_my_product(done)
    active.refresh_from_db()
    assert active.plan.code == "premium"
    assert messages_of(done) == [f"{active.name} is upgraded to Premium from today."]


def review_of_upgrade(client, subscription, plan_code: str = "premium") -> str:
    wizard_post(client, subscription, "plan", {"plan": plan(plan_code).pk})
    return wizard_post(client, subscription, "terms", {"agree": "on"}).content.decode()


def reviewed_amount(review: str) -> int:
    return int(re.search(r'data-review="prorated-amount">₩([\d,]+)<', review).group(1).replace(",", ""))


# The review shows what the rest of the period costs at the new plan (issue 20), and it is what the period's
# invoice then bills for those days: the review of the day, the upgrade, then the invoice issued after the period.
@pytest.mark.parametrize(
    ("contract_type", "members", "rest_of_period", "explained", "amount"),
    [
        pytest.param(
            ContractType.ANNUAL,
            0,
            "2027-02-20 – 2027-03-14 (23 of 28 days)",
            "₩10,000 × 10 licences × 23/28 days, VAT excluded.",
            82_142,  # 10,000 x 10 x 23 / 28 = 82,142.86
            id="annual-licences",
        ),
        pytest.param(
            ContractType.MONTHLY,
            2,
            "2027-02-20 – 2027-03-14 (23 of 28 days)",
            "₩12,000 × 3 members registered now × 23/28 days, VAT excluded.",
            29_571,  # 12,000 x 3 x 23 / 28 = 29,571.43
            id="monthly-members",
        ),
    ],
)
def test_the_upgrade_review_shows_what_the_periods_invoice_then_bills_for_the_rest_of_it(
    at, customer, contract_type, members, rest_of_period, explained, amount
):
    # paid start 2026-12-15: period 2 runs 2027-02-15 .. 2027-03-14 (28 days), periods 0 and 1 are invoiced
    annual = contract_type == ContractType.ANNUAL
    subscription = ActiveSubscriptionFactory(
        customer=customer,
        contract_type=contract_type,
        licences=10 if annual else None,
        next_period_index=2,
        next_invoice_on=date(2027, 3, 15),
        **({} if annual else {"term_start": date(2027, 2, 15), "term_end": date(2027, 3, 14)}),
    )
    MemberFactory.create_batch(members, workspace=subscription.workspace, created_at=kst(2027, 1, 5))
    client = at(2027, 2, 20)

    review = review_of_upgrade(client, subscription)
    before = subscription_snapshot(subscription)

    assert re.search(rf'data-review="rest-of-period">{re.escape(rest_of_period)}</dd>', review)
    assert reviewed_amount(review) == amount
    assert explained in " ".join(review.split())
    assert "An upgrade cannot be undone: the plan can only change to a higher tier." in review
    assert subscription_snapshot(subscription) == before  # the review changes nothing

    done = wizard_post(client, subscription, "review", {})
    assert messages_of(done) == [f"{subscription.name} is upgraded to Premium from today."]
    [invoice] = issue_due(subscription, kst(2027, 3, 15))
    premium = invoice.lines.get(plan__code="premium")
    assert (invoice.period_start, invoice.period_end) == (date(2027, 2, 15), date(2027, 3, 14))
    assert (premium.starts_on, premium.ends_on, premium.days, premium.period_days) == (
        date(2027, 2, 20),
        date(2027, 3, 14),
        23,
        28,
    )
    assert premium.amount == reviewed_amount(review)


def test_the_upgrade_review_between_a_terms_end_and_the_renewal_job_prices_the_calendars_period(at, customer):
    # a monthly term 2026-12-15 .. 2027-01-14 that the renewal job has not rolled yet: by the calendar the period
    # 2027-01-15 .. 2027-02-14 (31 days) runs, and the review prices its rest from today (issue 22)
    monthly = ActiveSubscriptionFactory(customer=customer, contract_type=ContractType.MONTHLY, licences=None)
    MemberFactory.create_batch(2, workspace=monthly.workspace, created_at=kst(2026, 12, 20))
    client = at(2027, 1, 20)

    review = review_of_upgrade(client, monthly)

    assert 'data-review="rest-of-period">2027-01-20 – 2027-02-14 (26 of 31 days)</dd>' in review
    assert reviewed_amount(review) == 30_193  # the admin and 2 members: 12,000 x 3 x 26 / 31 = 30,193.55


def test_a_trial_upgrade_review_says_it_costs_nothing(at, trial):
    client = at(2026, 12, 10)

    review = review_of_upgrade(client, trial)

    assert 'data-review="prorated-amount">No charge: during the trial only the trial plan changes.</dd>' in review
    assert "An upgrade cannot be undone: the plan can only change to a higher tier." in review
    assert "Rest of this billing period" not in review


def test_a_lower_tier_posted_to_the_wizard_is_refused(at, active):
    client = at(2027, 2, 1)
    before = subscription_snapshot(active)

    response = wizard_post(client, active, "plan", {"plan": plan("lite").pk})

    assert response.status_code == 200
    assert "Choose a plan of a higher tier than Basic." in response.content.decode()
    assert subscription_snapshot(active) == before


def test_a_suspended_trial_is_sent_back_from_the_upgrade(at, customer):
    client = at(2027, 1, 5)
    suspended = TrialSubscriptionFactory(customer=customer, status=Status.SUSPENDED)
    before = subscription_snapshot(suspended)

    response = wizard_post(client, suspended, "plan", {"plan": plan("premium").pk})

    assert_back_on_my_product(response)
    assert subscription_snapshot(suspended) == before


# --- licences (SPEC 3) ----------------------------------------------------------------------------------------


def test_adding_licences_from_the_page(at, active):
    client = at(2027, 1, 20)
    response = client.post(url("licences", active), {"licences": "12"})

    assert_back_on_my_product(response)
    active.refresh_from_db()
    assert active.licences == 12


def test_reducing_licences_is_refused_at_the_field(at, active):
    client = at(2027, 1, 20)
    before = subscription_snapshot(active)

    response = client.post(url("licences", active), {"licences": "8"})

    assert response.status_code == 200
    assert (
        "Enter more than the current 10 licences. Licences can only be reduced at renewal."
        in response.content.decode()
    )
    assert subscription_snapshot(active) == before


def test_a_monthly_contract_is_sent_back_from_licences(at, customer):
    client = at(2027, 1, 5)
    monthly = ActiveSubscriptionFactory(customer=customer, contract_type=ContractType.MONTHLY)
    before = subscription_snapshot(monthly)

    response = client.post(url("licences", monthly), {"licences": "12"})

    assert_back_on_my_product(response)
    assert subscription_snapshot(monthly) == before


# --- cancel (SPEC 5.5, 5.6) -----------------------------------------------------------------------------------


def test_cancel_popup_shows_the_warning_the_export_the_phrase_and_the_itemised_penalty(at, active):
    client = at(2027, 3, 1)
    html = client.get(url("cancel", active)).content.decode()

    assert re.search(r'<label[^>]*for="id_cancellation_date"[^>]*>\s*Cancellation date\s*</label>', html)
    assert re.search(r'<input type="date" name="cancellation_date" value="2027-03-01"', html)
    assert re.search(r'<label[^>]*for="id_confirmation_phrase"[^>]*>\s*Confirmation phrase\s*</label>', html)
    assert ">Use penalty-free date</button>" in html
    assert ">Confirm cancellation</button>" in html
    assert "All data is deleted at once and for good." in html
    assert (
        f'href="{reverse("workspaces:customer-export", args=[active.public_id])}">Download your data first</a>' in html
    )
    assert f'<strong class="user-select-all" data-phrase>{PHRASE}</strong>' in html
    # 2027-03-01: discount received 25,000; remaining fee 475,000; 10%; penalty 50,000
    assert '<td class="amount" data-item="discount-received">₩25,000</td>' in html
    assert '<td class="amount" data-item="remaining-fee">₩475,000</td>' in html
    assert '<td class="amount" data-item="rate">10%</td>' in html
    assert '<td class="amount fw-semibold" data-item="penalty">₩50,000</td>' in html


def test_the_penalty_partial_follows_the_date(at, active):
    client = at(2027, 3, 1)
    later = client.get(url("cancel-penalty", active), {"cancellation_date": "2027-06-15"})
    free = client.get(url("cancel-penalty", active), {"cancellation_date": "2027-12-15"})

    # 2027-06-15 = start of period 6: discount 10,000 x 6 = 60,000; remaining 50,000 x 6 = 300,000; 36,000
    assert 'data-item="penalty">₩36,000</td>' in later.content.decode()
    assert 'data-item="penalty">₩0</td>' in free.content.decode()


# Before anything is confirmed the page says what WILL happen (issue 20), in every language.
@pytest.mark.parametrize(
    ("language", "day", "summary"),
    [
        pytest.param(
            "en",
            "2027-03-01",
            "The service will stop today, at once. Usage up to 2027-02-28 will go on a final invoice.",
            id="en-today",
        ),
        pytest.param(
            "en",
            "2027-06-15",
            "The cancellation will be reserved: the service will stop on 2027-06-15. You can withdraw it until then."
            " Usage up to 2027-06-14 will go on a final invoice.",
            id="en-reserved",
        ),
        pytest.param(
            "ja",
            "2027-03-01",
            "本日、直ちにサービスが停止されます。 2027-02-28までの利用料金は最終請求書で請求されます。",
            id="ja-today",
        ),
        pytest.param(
            "ja",
            "2027-06-15",
            "解約が予約されます。サービスは2027-06-15に停止されます。解約日の前までいつでも取り消せます。"
            " 2027-06-14までの利用料金は最終請求書で請求されます。",
            id="ja-reserved",
        ),
        pytest.param(
            "ko",
            "2027-03-01",
            "오늘 즉시 서비스가 중지됩니다. 2027-02-28까지의 이용 요금은 최종 청구서로 청구됩니다.",
            id="ko-today",
        ),
        pytest.param(
            "ko",
            "2027-06-15",
            "해지가 예약됩니다. 서비스는 2027-06-15에 중지됩니다. 해지일 전까지 언제든지 취소할 수 있습니다."
            " 2027-06-14까지의 이용 요금은 최종 청구서로 청구됩니다.",
            id="ko-reserved",
        ),
    ],
)
def test_the_cancellation_summary_says_what_will_happen_once_confirmed(at, active, language, day, summary):
    client = at(2027, 3, 1)
    before = subscription_snapshot(active)

    partial = client.get(url("cancel-penalty", active), {"cancellation_date": day}, HTTP_ACCEPT_LANGUAGE=language)
    # the page itself, sent back without the phrase: nothing is confirmed yet
    page = client.post(url("cancel", active), {"cancellation_date": day}, HTTP_ACCEPT_LANGUAGE=language)

    for response in (partial, page):
        shown = re.search(r"<p [^>]*data-cancellation-summary>(.*?)</p>", response.content.decode(), re.S)
        assert " ".join(shown.group(1).split()) == summary
    assert subscription_snapshot(active) == before


def test_the_penalty_note_says_it_will_be_billed(at, active):
    client = at(2027, 3, 1)

    html = client.get(url("cancel-penalty", active), {"cancellation_date": "2027-03-01"}).content.decode()

    assert (
        "The penalty will be billed on the final invoice besides the usage fee, and cannot be settled with credit."
        in html
    )


@pytest.mark.parametrize("value", ["2027-02-28", "2027-12-16", "soon", ""])
def test_the_penalty_partial_explains_a_bad_date(at, active, value):
    client = at(2027, 3, 1)
    response = client.get(url("cancel-penalty", active), {"cancellation_date": value})

    assert response.status_code == 200
    assert "Choose a cancellation date from 2027-03-01 to 2027-12-15." in response.content.decode()


def test_the_penalty_free_button_fills_in_the_day_after_the_contract_end(at, active):
    client = at(2027, 3, 1)
    before = subscription_snapshot(active)

    response = client.post(url("cancel", active), {"cancellation_date": "2027-03-01", "use_penalty_free_date": "1"})

    html = response.content.decode()
    assert re.search(r'<input type="date" name="cancellation_date" value="2027-12-15"', html)
    assert 'data-item="penalty">₩0</td>' in html
    assert subscription_snapshot(active) == before


def test_cancelling_now_with_the_phrase(at, active):
    client = at(2027, 3, 1)
    response = client.post(url("cancel", active), {"cancellation_date": "2027-03-01", "confirmation_phrase": PHRASE})

    assert_back_on_my_product(response)
    active.refresh_from_db()
    assert (active.status, active.terminated_on, active.workspace) == ("terminated", date(2027, 3, 1), None)
    assert active.invoices.get(is_final=True).lines.get(kind="penalty").amount == 50_000


def test_reserving_a_cancellation_with_the_phrase(at, active):
    client = at(2027, 3, 1)
    response = client.post(url("cancel", active), {"cancellation_date": "2027-12-15", "confirmation_phrase": PHRASE})

    assert_back_on_my_product(response)
    assert messages_of(response) == [
        f"The cancellation of {active.name} is reserved for 2027-12-15. You can withdraw it until then."
    ]
    assert Subscription.objects.get(pk=active.pk).status == Status.ACTIVE
    assert list(Reservation.objects.filter(subscription=active).values_list("kind", "effective_on")) == [
        ("cancellation", date(2027, 12, 15))
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            {"cancellation_date": "2027-03-01", "confirmation_phrase": "cancel the selected service"},
            "Type the phrase exactly as shown: Cancel the selected service",
            id="wrong-case",
        ),
        pytest.param(
            {"cancellation_date": "2027-03-01", "confirmation_phrase": ""}, "This field is required.", id="no-phrase"
        ),
        pytest.param(
            {"cancellation_date": "2027-02-28", "confirmation_phrase": PHRASE},
            "Choose a cancellation date from 2027-03-01 to 2027-12-15.",
            id="yesterday",
        ),
        pytest.param(
            {"cancellation_date": "2027-12-16", "confirmation_phrase": PHRASE},
            "Choose a cancellation date from 2027-03-01 to 2027-12-15.",
            id="after-the-penalty-free-date",
        ),
        pytest.param(
            {"cancellation_date": "2027-13-01", "confirmation_phrase": PHRASE},
            "Enter a date as YYYY-MM-DD.",
            id="not-a-date",
        ),
    ],
)
def test_cancellation_refused_at_the_field(at, active, data, message):
    client = at(2027, 3, 1)
    before = subscription_snapshot(active)

    response = client.post(url("cancel", active), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert subscription_snapshot(active) == before


def test_the_phrase_is_the_one_of_the_active_language(at, trial):
    client = at(2026, 12, 10)
    with translation.override("ja"):
        phrase = translation.gettext(PHRASE)

    response = client.post(
        url("cancel", trial),
        {"cancellation_date": "2026-12-10", "confirmation_phrase": phrase},
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert_back_on_my_product(response)
    trial.refresh_from_db()
    assert trial.status == Status.TERMINATED


def test_a_reserved_conversion_sends_the_cancellation_back(at, trial):
    client = at(2026, 12, 10)
    Reservation.objects.create(
        subscription=trial,
        kind=Reservation.Kind.CONVERSION,
        effective_on=date(2026, 12, 20),
        plan=plan("basic"),
        contract_type="monthly",
    )
    before = subscription_snapshot(trial)

    response = client.post(url("cancel", trial), {"cancellation_date": "2026-12-10", "confirmation_phrase": PHRASE})

    assert_back_on_my_product(response)
    assert messages_of(response) == [
        "A paid conversion is reserved for this subscription. Withdraw the conversion first, then cancel."
    ]
    assert subscription_snapshot(trial) == before


def test_a_terminated_subscription_is_sent_back_from_cancel(at, customer):
    client = at(2027, 3, 1)
    ended = TrialSubscriptionFactory(
        customer=customer,
        status=Status.TERMINATED,
        workspace=None,
        account_type="group",
        name="gone-team",
        admin_account_id="",
    )
    before = subscription_snapshot(ended)

    response = client.post(url("cancel", ended), {"cancellation_date": "2027-03-01", "confirmation_phrase": PHRASE})

    assert_back_on_my_product(response)
    assert subscription_snapshot(ended) == before


def test_withdrawing_a_cancellation_from_my_product(at, active):
    client = at(2027, 3, 1)
    Reservation.objects.create(subscription=active, kind=Reservation.Kind.CANCELLATION, effective_on=date(2027, 6, 1))

    response = client.post(url("withdraw-cancellation", active), {"confirmed": "1"})

    assert_back_on_my_product(response)
    assert list(Reservation.objects.filter(subscription=active).values_list("state", flat=True)) == ["withdrawn"]
    assert messages_of(response) == [f"The reserved cancellation of {active.name} is withdrawn."]


GARBAGE = {
    "plan": "999999",
    "contract_type": "weekly",
    "licences": "99999999999",
    "start_on": "9999-99-99",
    "option": "forever",
    "cancellation_date": "0000-00-00",
    "confirmation_phrase": "x" * 500,
    "use_penalty_free_date": "",
}


@pytest.mark.parametrize("name", ["convert", "renewal", "licences", "cancel"])
def test_garbage_posted_to_a_page_is_answered_without_a_server_error(at, active, trial, name):
    client = at(2026, 12, 20)
    before = (subscription_snapshot(active), subscription_snapshot(trial))

    responses = [client.post(url(name, subscription), GARBAGE) for subscription in (active, trial)]

    assert all(response.status_code in (200, 302) for response in responses)
    assert (subscription_snapshot(active), subscription_snapshot(trial)) == before


def test_a_tampered_upgrade_wizard_is_a_bad_request_not_a_server_error(at, active):
    client = at(2027, 2, 1)
    before = subscription_snapshot(active)

    response = client.post(url("upgrade", active), {"plan-plan": "1"})

    assert response.status_code == 400
    assert subscription_snapshot(active) == before


# --- confirmation of the one-click withdrawals (SPEC 10, issue 12) ---------------------------------------------


@pytest.mark.parametrize(
    ("action", "kind", "title", "button"),
    [
        (
            "withdraw-conversion",
            Reservation.Kind.CONVERSION,
            "Withdraw the reserved conversion of",
            "Withdraw conversion",
        ),
        (
            "withdraw-cancellation",
            Reservation.Kind.CANCELLATION,
            "Withdraw the reserved cancellation of",
            "Withdraw cancellation",
        ),
    ],
)
def test_a_withdrawal_without_confirmation_shows_the_confirmation_page_and_changes_nothing(
    at, trial, action, kind, title, button
):
    client = at(2026, 12, 10)
    extra = {"plan": plan("basic"), "contract_type": "monthly"} if kind == Reservation.Kind.CONVERSION else {}
    Reservation.objects.create(subscription=trial, kind=kind, effective_on=date(2026, 12, 20), **extra)
    before = subscription_snapshot(trial)

    response = client.post(url(action, trial))

    html = response.content.decode()
    assert response.status_code == 200
    assert f"{title} {trial.name}?" in html
    assert f'<form method="post" action="{url(action, trial)}"' in html
    assert '<input type="hidden" name="confirmed" value="1">' in html
    assert f'<button type="submit" class="btn btn-danger px-4" autofocus>{button}</button>' in html
    assert f'href="{reverse("subscriptions:my-product")}">Back</a>' in html
    assert list(Reservation.objects.filter(subscription=trial).values_list("state", flat=True)) == ["pending"]
    assert subscription_snapshot(trial) == before


def test_the_confirmation_of_another_customers_withdrawal_is_a_404(at):
    client = at(2026, 12, 10)
    other = ReservationFactory(subscription__customer=UserFactory())

    response = client.post(url("withdraw-cancellation", other.subscription))

    assert response.status_code == 404


# --- Go to NAVER WORKS Admin: the card's own workspace (SPEC 7.1) -----------------------------------------------


def works_session(client: Client, subscription) -> None:
    """Log the browser of ``client`` in to NAVER WORKS Admin as the admin of ``subscription``."""
    response = client.post(
        reverse("workspaces:login"), {"account_id": subscription.admin_account_id, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session[SESSION_WORKSPACE_KEY] == subscription.workspace_id


def test_go_to_admin_without_an_admin_session_opens_the_login_with_the_account_id(at, trial):
    client = at(2026, 12, 10)

    response = client.get(url("open-admin", trial))

    assert response.status_code == 302
    assert response.url == f"{reverse('workspaces:login')}?account_id=admin%40{trial.name}"
    login = client.get(response.url).content.decode()
    assert f'value="admin@{trial.name}"' in login


def test_go_to_admin_with_the_session_of_that_workspace_opens_its_admin_home(at, trial):
    client = at(2026, 12, 10)
    works_session(client, trial)

    response = client.get(url("open-admin", trial))

    assert response.status_code == 302
    assert response.url == reverse("workspaces:home")
    assert client.session[SESSION_WORKSPACE_KEY] == trial.workspace_id


def test_go_to_admin_with_the_session_of_another_workspace_ends_it_first(at, trial, customer):
    client = at(2026, 12, 10)
    other = TrialSubscriptionFactory(customer=customer)
    works_session(client, other)

    response = client.get(url("open-admin", trial))

    assert response.url == f"{reverse('workspaces:login')}?account_id=admin%40{trial.name}"
    assert SESSION_WORKSPACE_KEY not in client.session
    assert client.get(reverse("workspaces:home")).url.startswith(reverse("workspaces:login"))


def test_go_to_admin_of_a_suspended_subscription_is_refused(at, customer):
    client = at(2026, 12, 10)
    suspended = SuspendedSubscriptionFactory(customer=customer)

    response = client.get(url("open-admin", suspended))

    assert_back_on_my_product(response)
    assert messages_of(response) == ["This action is not available for this subscription in its current state."]


def test_go_to_admin_of_another_customers_subscription_is_a_404(at):
    client = at(2026, 12, 10)

    response = client.get(url("open-admin", TrialSubscriptionFactory(customer=UserFactory())))

    assert response.status_code == 404


def test_messages_name_a_unicode_domain_as_people_write_it(at, customer):
    client = at(2026, 12, 10)
    domain = TrialSubscriptionFactory(customer=customer, workspace=DomainWorkspaceFactory(name="xn--r8jz45g.jp"))
    Reservation.objects.create(
        subscription=domain, kind=Reservation.Kind.CANCELLATION, effective_on=date(2026, 12, 20)
    )

    confirm = client.post(url("withdraw-cancellation", domain)).content.decode()
    response = client.post(url("withdraw-cancellation", domain), {"confirmed": "1"})

    assert "Withdraw the reserved cancellation of 例え.jp?" in confirm
    assert messages_of(response) == ["The reserved cancellation of 例え.jp is withdrawn."]
