"""My Product (SPEC 5): a card per subscription of the current Region/Platform, scoped to the customer."""

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Plan
from subscriptions import selectors
from subscriptions.models import RenewalOption, Reservation
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import (
    ActiveSubscriptionFactory,
    ConversionReservationFactory,
    InvoiceFactory,
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TerminatedSubscriptionFactory,
    TrialSubscriptionFactory,
)
from tests.workspaces.factories import DomainWorkspaceFactory
from works_console.dates import kst_date
from workspaces.models import AccountType

pytestmark = pytest.mark.django_db

MY_PRODUCT = reverse("subscriptions:my-product")
# Noon KST on 2026-12-02: the second day of a trial applied on 2026-12-01.
DEC_2_NOON_KST = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


class _Controls(HTMLParser):
    """The accessible names of the buttons (<button> and <a role="button">) inside one element, in order."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.depth = 0  # >0 while inside the element
        self.current: list[str] | None = None
        self.names: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth == 0 and attributes.get("id") == self.element_id:
            self.depth = 1
            return
        if self.depth:
            if tag in {"article", "div", "form", "ul", "ol", "li", "dl", "table", "section"}:
                self.depth += 1
            if tag == "button" or (tag == "a" and attributes.get("role") == "button"):
                self.current = []

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in {"button", "a"} and self.current is not None:
            self.names.append(" ".join("".join(self.current).split()))
            self.current = None
        elif tag in {"article", "div", "form", "ul", "ol", "li", "dl", "table", "section"}:
            self.depth -= 1

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def card_buttons(html: str, subscription) -> list[str]:
    parser = _Controls(f"subscription-{subscription.public_id}")
    parser.feed(html)
    return parser.names


def get_my_product(client):
    with time_machine.travel(DEC_2_NOON_KST, tick=False):
        return client.get(MY_PRODUCT)


def cards_of(customer) -> list:
    """The cards' facts as My Product builds them on 2026-12-02 (KST), before they are rendered."""
    return selectors.my_product_cards(customer=customer, region="KR", platform="VPC", today=kst_date(DEC_2_NOON_KST))


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(MY_PRODUCT)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={MY_PRODUCT}"


def test_no_subscription_shows_the_empty_state_and_the_apply_button(customer_client):
    response = get_my_product(customer_client)

    html = response.content.decode()
    assert response.context["cards"] == []
    assert "You have no NAVER WORKS subscription yet" in html
    assert (
        f'<a class="btn btn-primary" role="button" href="{reverse("subscriptions:apply")}">Apply for product</a>'
        in html
    )
    assert f'href="{reverse("billing:invoices")}">Invoices</a>' in html


def empty_state_illustration(html: str) -> str:
    """The empty state's illustration (issue 20): our own SVG, hidden from assistive technology, styled by classes
    only (the Content-Security-Policy refuses inline styles), and no "▢" that reads as an unchecked checkbox."""
    [svg] = re.findall(r'<div class="card-body empty-state">\s*(<svg\b.*?</svg>)', html, re.S)
    assert re.match(r'<svg class="empty-illustration" [^>]*aria-hidden="true" focusable="false">', svg)
    assert "style" not in svg
    assert "▢" not in html
    return svg


def test_the_empty_state_shows_an_illustration_not_a_checkbox(customer_client):
    html = get_my_product(customer_client).content.decode()

    svg = empty_state_illustration(html)
    assert svg.count("<path") == 4


def test_a_trial_card_shows_name_account_plan_and_days_left(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer, workspace__name="acme-korea", plan_code="premium")

    response = get_my_product(customer_client)

    html = response.content.decode()
    [card] = cards_of(customer)
    assert card.subscription == trial
    assert card.days_left == 29
    assert '<h2 class="h5 mb-0" id="subscription-' in html
    assert ">acme-korea</h2>" in html
    assert '<dd class="font-monospace">admin@acme-korea</dd>' in html
    assert "NAVER WORKS Premium" in html
    assert 'data-days-left="29">29 days left</span>' in html
    assert "Free trial: 29 days left (last trial day 2026-12-30)" in html


def test_the_trial_timeline_shows_the_next_lifecycle_events(customer, customer_client):
    TrialSubscriptionFactory(customer=customer)

    response = get_my_product(customer_client)

    [card] = cards_of(customer)
    assert [(entry.on, entry.label) for entry in card.timeline] == [
        (date(2026, 12, 30), "Last day of the free trial"),
        (date(2026, 12, 31), "Service suspended until converted to paid"),
        (date(2027, 1, 29), "Last day to convert to paid"),
        (date(2027, 1, 30), "Service terminated and all data deleted"),
    ]
    assert '<time datetime="2026-12-31" class="fw-semibold">2026-12-31</time> Service suspended' in (
        response.content.decode()
    )


def test_a_domain_card_labels_the_name_as_a_domain(customer, customer_client):
    TrialSubscriptionFactory(customer=customer, workspace__kind=AccountType.DOMAIN, workspace__name="acme.example")

    html = get_my_product(customer_client).content.decode()

    assert "<dt>Domain name</dt>\n          <dd>acme.example</dd>" in html


@pytest.mark.parametrize(
    ("make", "buttons"),
    [
        pytest.param(
            lambda customer: TrialSubscriptionFactory(customer=customer),
            ["Convert to paid", "Upgrade", "Go to NAVER WORKS Admin", "Export data", "Cancel subscription"],
            id="trial",
        ),
        pytest.param(
            lambda customer: ConversionReservationFactory(subscription__customer=customer).subscription,
            ["Convert to paid", "Withdraw conversion", "Upgrade", "Go to NAVER WORKS Admin", "Export data"],
            id="trial-conversion-reserved",
        ),
        pytest.param(
            lambda customer: ReservationFactory(subscription__customer=customer).subscription,
            ["Go to NAVER WORKS Admin", "Export data", "Withdraw cancellation"],
            id="trial-cancellation-reserved",
        ),
        pytest.param(
            lambda customer: SuspendedSubscriptionFactory(customer=customer),
            ["Convert to paid", "Export data", "Cancel subscription"],
            id="suspended",
        ),
        pytest.param(
            lambda customer: ActiveSubscriptionFactory(customer=customer),
            [
                "Change renewal option",
                "Add licences",
                "Upgrade",
                "Go to NAVER WORKS Admin",
                "Export data",
                "Cancel subscription",
            ],
            id="active-annual",
        ),
        pytest.param(
            lambda customer: ActiveSubscriptionFactory(customer=customer, contract_type="monthly", licences=None),
            ["Change renewal option", "Upgrade", "Go to NAVER WORKS Admin", "Export data", "Cancel subscription"],
            id="active-monthly",
        ),
        pytest.param(
            lambda customer: ActiveSubscriptionFactory(customer=customer, plan_code="premium"),
            ["Change renewal option", "Add licences", "Go to NAVER WORKS Admin", "Export data", "Cancel subscription"],
            id="active-premium-no-higher-tier",
        ),
        pytest.param(
            # The annual term ended and the renewal job has not run since: by the calendar the contract went on
            # monthly (the default renewal option), which can be changed, upgraded or cancelled (issue 22).
            lambda customer: ActiveSubscriptionFactory(
                customer=customer, applied_on=date(2025, 11, 20), paid_start=date(2025, 12, 2)
            ),
            ["Change renewal option", "Upgrade", "Go to NAVER WORKS Admin", "Export data", "Cancel subscription"],
            id="active-term-ended-awaiting-renewal",
        ),
        pytest.param(
            lambda customer: TrialSubscriptionFactory(customer=customer, plan_code="premium"),
            ["Convert to paid", "Go to NAVER WORKS Admin", "Export data", "Cancel subscription"],
            id="trial-premium-no-higher-tier",
        ),
        pytest.param(
            lambda customer: TerminatedSubscriptionFactory(customer=customer),
            [],
            id="terminated",
        ),
    ],
)
def test_each_card_shows_exactly_the_buttons_its_state_allows(customer, customer_client, make, buttons):
    subscription = make(customer)

    html = get_my_product(customer_client).content.decode()

    assert card_buttons(html, subscription) == buttons


def test_the_buttons_lead_to_the_actions_of_that_subscription(customer, customer_client):
    trial = TrialSubscriptionFactory(customer=customer)
    cancellation = ReservationFactory(subscription__customer=customer)

    html = get_my_product(customer_client).content.decode()

    public_id = trial.public_id
    assert f'href="{reverse("subscriptions:convert", args=[public_id])}">Convert to paid</a>' in html
    assert f'href="{reverse("subscriptions:upgrade", args=[public_id])}">Upgrade</a>' in html
    assert f'href="{reverse("subscriptions:cancel", args=[public_id])}">Cancel subscription</a>' in html
    assert f'href="{reverse("workspaces:customer-export", args=[public_id])}">Export data</a>' in html
    assert f'href="{reverse("subscriptions:open-admin", args=[public_id])}">Go to NAVER WORKS Admin</a>' in html
    withdraw = reverse("subscriptions:withdraw-cancellation", args=[cancellation.subscription.public_id])
    # The withdrawal asks first: the modal's texts are on the form (static/js/confirm.js).
    assert f'<form method="post" action="{withdraw}" data-confirm-title="Withdraw the reserved cancellation of' in html


def test_an_active_card_shows_contract_term_renewal_and_recent_invoices(customer, customer_client):
    active = ActiveSubscriptionFactory(customer=customer, renewal_option=RenewalOption.DO_NOT_RENEW)
    periods = [
        (date(2026, 12, 10), date(2027, 1, 9), 1_000),
        (date(2027, 1, 10), date(2027, 2, 9), 22_000),
        (date(2027, 2, 10), date(2027, 3, 9), 330_000),
        (date(2027, 3, 10), date(2027, 4, 9), 4_400_000),
    ]
    for index, (start, end, total) in enumerate(periods):
        InvoiceFactory(subscription=active, period_index=index, period_start=start, period_end=end, total=total)

    response = get_my_product(customer_client)

    html = response.content.decode()
    [card] = cards_of(customer)
    assert [invoice.total for invoice in card.recent_invoices] == [4_400_000, 330_000, 22_000]
    assert '<td class="amount text-nowrap">₩4,400,000</td>' in html
    assert "Issued on 2027-04-10" in html
    assert "₩1,000<" not in html
    assert "Annual · 10 licences" in html
    assert "2026-12-10 – 2027-12-09" in html
    assert "Do not renew" in html
    assert [(entry.on, entry.label) for entry in card.timeline][-2:] == [
        (date(2027, 12, 9), "Contract term ends"),
        (date(2027, 12, 10), "Service ends and all data is deleted"),
    ]


def test_an_active_card_without_a_renewal_option_says_monthly_applies(customer, customer_client):
    ActiveSubscriptionFactory(customer=customer)

    html = get_my_product(customer_client).content.decode()

    assert "Switch to monthly (not set)" in html


def test_reservations_show_on_the_card_and_on_the_timeline(customer, customer_client):
    conversion = ConversionReservationFactory(subscription__customer=customer, effective_on=date(2026, 12, 15))

    response = get_my_product(customer_client)

    html = response.content.decode()
    [card] = cards_of(customer)
    assert card.conversion == conversion
    assert "Paid conversion reserved for 2026-12-15: Premium, Annual (25 licences)" in html
    assert [(entry.on, entry.label) for entry in card.timeline] == [
        (date(2026, 12, 15), "Reserved paid conversion starts (Premium, Annual)"),
    ]


def test_a_suspended_card_shows_the_grace_deadline(customer, customer_client):
    SuspendedSubscriptionFactory(customer=customer, applied_on=date(2026, 10, 20))

    response = get_my_product(customer_client)

    [card] = cards_of(customer)
    assert card.days_left == 17  # grace until 2026-12-18, counted from 2026-12-02 inclusive
    assert "Convert to paid by 2026-12-18, or all data is deleted the day after." in response.content.decode()


def test_another_customers_subscriptions_are_never_shown(customer, customer_client):
    mine = TrialSubscriptionFactory(customer=customer)
    theirs = TrialSubscriptionFactory(customer=UserFactory(), workspace__name="not-mine")

    html = get_my_product(customer_client).content.decode()

    assert [card.subscription_id for card in get_my_product(customer_client).context["cards"]] == [mine.pk]
    assert "not-mine" not in html
    assert theirs.public_id not in html


def test_only_the_subscriptions_of_the_current_platform_are_listed(customer, customer_client):
    vpc = TrialSubscriptionFactory(customer=customer, platform="VPC")
    classic = TrialSubscriptionFactory(customer=customer, platform="CLASSIC")

    before = [card.subscription_id for card in get_my_product(customer_client).context["cards"]]
    customer_client.post(reverse("shell-select"), {"platform": "CLASSIC"})
    after = [card.subscription_id for card in get_my_product(customer_client).context["cards"]]

    assert before == [vpc.pk]
    assert after == [classic.pk]


def platform_hint_forms(html: str) -> list[tuple[str, str, str]]:
    """Each hint's switch form: (its action, the platform it posts, its button)."""
    return re.findall(
        r'<form method="post" action="([^"]+)" class="ms-sm-auto">.*?'
        r'<input type="hidden" name="platform" value="([^"]+)">.*?<button type="submit"[^>]*>([^<]+)</button>',
        html,
        re.S,
    )


def test_an_empty_platform_says_how_many_subscriptions_the_other_holds_and_switches_there(customer, customer_client):
    vpc = [TrialSubscriptionFactory(customer=customer, platform="VPC") for _ in range(2)]
    TrialSubscriptionFactory(platform="VPC")  # another customer's
    customer_client.post(reverse("shell-select"), {"platform": "CLASSIC"})

    response = get_my_product(customer_client)

    html = response.content.decode()
    assert response.context["cards"] == []
    assert "You have no NAVER WORKS subscription under Platform Classic" in html
    assert "You have no NAVER WORKS subscription yet" not in html
    assert "You have 2 subscriptions under Platform VPC." in html
    [(action, platform, button)] = platform_hint_forms(html)
    assert (action, platform, button) == (reverse("shell-select"), "VPC", "Switch to VPC")

    switched = customer_client.post(action, {"platform": platform, "next": MY_PRODUCT})

    assert switched.status_code == 302
    assert switched["Location"] == MY_PRODUCT
    after = get_my_product(customer_client)
    assert {card.subscription_id for card in after.context["cards"]} == {subscription.pk for subscription in vpc}
    assert "under Platform" not in after.content.decode()


def test_a_listed_platform_also_points_to_the_other_ones_subscriptions(customer, customer_client):
    vpc = TrialSubscriptionFactory(customer=customer, platform="VPC")
    TerminatedSubscriptionFactory(customer=customer, platform="CLASSIC")  # listed there too, for its invoices

    response = get_my_product(customer_client)

    html = response.content.decode()
    assert [card.subscription_id for card in response.context["cards"]] == [vpc.pk]
    assert "You have 1 subscription under Platform Classic." in html
    assert platform_hint_forms(html) == [(reverse("shell-select"), "CLASSIC", "Switch to Classic")]


def test_the_platform_hint_in_japanese_and_korean(customer, customer_client):
    TrialSubscriptionFactory(customer=customer, platform="VPC")
    customer_client.post(reverse("shell-select"), {"platform": "CLASSIC"})

    with time_machine.travel(DEC_2_NOON_KST, tick=False):
        ja = customer_client.get(MY_PRODUCT, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
        ko = customer_client.get(MY_PRODUCT, HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "Platform「VPC」にNAVER WORKSのご利用の申し込みが1件あります。" in ja
    assert ">VPCに切り替える</button>" in ja
    assert "Platform VPC에 NAVER WORKS 이용 신청이 1건 있습니다." in ko
    assert ">VPC(으)로 전환</button>" in ko


def test_live_subscriptions_come_before_terminated_ones(customer, customer_client):
    terminated = TerminatedSubscriptionFactory(customer=customer)
    trial = TrialSubscriptionFactory(customer=customer)
    newest_terminated = TerminatedSubscriptionFactory(customer=customer)

    cards = get_my_product(customer_client).context["cards"]

    assert [card.subscription_id for card in cards] == [trial.pk, newest_terminated.pk, terminated.pk]


def test_a_terminated_card_shows_when_it_ended(customer, customer_client):
    TerminatedSubscriptionFactory(customer=customer, name="gone-team", terminated_on=date(2026, 11, 30))

    response = get_my_product(customer_client)

    [card] = cards_of(customer)
    assert card.timeline == []
    assert "Terminated on 2026-11-30" in response.content.decode()


def _subscriptions_of_every_kind(customer, count: int) -> None:
    """Trials with reservations, paid subscriptions with more invoices than a card shows."""
    for index in range(count):
        if index % 2:
            active = ActiveSubscriptionFactory(customer=customer)
            for period in range(4):
                InvoiceFactory(subscription=active, period_index=period)
            ReservationFactory(subscription=active, effective_on=date(2027, 1, 5))
        else:
            ConversionReservationFactory(subscription__customer=customer)


def _my_product_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get_my_product(client)
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_subscriptions(customer, customer_client):
    _subscriptions_of_every_kind(customer, 2)
    few = _my_product_queries(customer_client)

    _subscriptions_of_every_kind(customer, 48)
    many = _my_product_queries(customer_client)

    cards = cards_of(customer)
    assert len(cards) == 50
    assert {len(card.recent_invoices) for card in cards if card.subscription.status == "active"} == {3}
    assert many == few


def test_one_subscription_costs_the_same_queries_as_fifty(customer, customer_client, django_assert_num_queries):
    _subscriptions_of_every_kind(customer, 1)
    one = _my_product_queries(customer_client)
    _subscriptions_of_every_kind(customer, 49)

    with django_assert_num_queries(one):
        get_my_product(customer_client)

    assert Reservation.objects.filter(subscription__customer=customer).count() == 50


def test_upgrade_shows_again_when_an_operator_offers_a_higher_tier(customer, customer_client):
    subscription = ActiveSubscriptionFactory(customer=customer, plan_code="premium")
    Plan.objects.create(
        code="enterprise", name="Enterprise", tier=4, annual_unit_price=20_000, monthly_unit_price=24_000
    )

    assert "Upgrade" in card_buttons(get_my_product(customer_client).content.decode(), subscription)


def test_an_unverified_domain_card_says_so_and_shows_the_domain_in_unicode(customer, customer_client):
    TrialSubscriptionFactory(customer=customer, workspace=DomainWorkspaceFactory(name="xn--r8jz45g.jp"))
    verified = TrialSubscriptionFactory(
        customer=customer, workspace=DomainWorkspaceFactory(name="acme.example", domain_verified_at=DEC_2_NOON_KST)
    )

    html = get_my_product(customer_client).content.decode()

    assert "<dt>Domain name</dt>\n          <dd>例え.jp</dd>" in html
    assert '<dd class="font-monospace">admin@例え.jp</dd>' in html
    assert "xn--r8jz45g" not in html
    assert html.count("Domain not verified") == 1
    card = html[html.index(f'id="subscription-{verified.public_id}"') :]
    assert "Domain not verified" not in card[: card.index("</article>")]


def test_a_lowered_renewal_licence_count_is_shown_on_the_card(customer, customer_client):
    ActiveSubscriptionFactory(customer=customer, renewal_option=RenewalOption.RENEW_ANNUAL, renewal_licences=6)

    html = get_my_product(customer_client).content.decode()

    assert '<span class="d-block small" data-renewal-licences="6">6 licences from the next term</span>' in html
