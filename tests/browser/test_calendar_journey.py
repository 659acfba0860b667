"""The calendar decides, not the job's progress (issue 22), in Chromium against the live server.

The live server runs in this process, so time-machine moves its clock: the test travels to the hours of the issue
(the browser keeps its own clock, which no page here reads). A monthly contract anchored 2028-06-01; the lifecycle
last ran on 30 June at 23:55 KST; at 00:05 on 1 July, before the next run, the customer reserves a cancellation
for 2028-07-10 through `Cancel subscription`, and it is accepted; the later runs carry it out.
"""

from datetime import date

import pytest
import time_machine
from playwright.sync_api import expect

from billing.models import ContractType, Invoice
from subscriptions.models import Reservation, Status, Subscription
from tests.billing.factories import ActiveSubscriptionFactory, kst
from tests.browser.test_paid_journeys import log_in
from tests.lifecycle import run_lifecycle

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancellation_for_the_10th_reserved_at_0005_before_the_run_is_accepted(page, screenshot):
    with time_machine.travel(kst(2028, 6, 30, 23, 55), tick=True) as clock:
        monthly = ActiveSubscriptionFactory(
            applied_on=date(2028, 5, 10),
            paid_start=date(2028, 6, 1),
            contract_type=ContractType.MONTHLY,
            licences=None,
        )
        run_lifecycle(kst(2028, 6, 30, 23, 55))

        clock.move_to(kst(2028, 7, 1, 0, 5))
        log_in(page, monthly.customer.email)
        card = page.locator(f"#subscription-{monthly.public_id}")
        expect(card.get_by_text("2028-07-01 – 2028-07-31")).to_be_visible()
        expect(card.get_by_role("button", name="Upgrade", exact=True)).to_be_visible()
        expect(card.get_by_role("button", name="Change renewal option", exact=True)).to_be_visible()
        screenshot("calendar-my-product-0005-before-the-run")

        card.get_by_role("button", name="Cancel subscription", exact=True).click()
        date_field = page.get_by_label("Cancellation date", exact=True)
        expect(date_field).to_have_attribute("min", "2028-07-01")
        expect(date_field).to_have_attribute("max", "2028-08-01")
        date_field.fill("2028-07-10")
        expect(
            page.get_by_text("The cancellation will be reserved: the service will stop on 2028-07-10.")
        ).to_be_visible()
        page.get_by_label("Confirmation phrase", exact=True).fill("Cancel the selected service")
        screenshot("calendar-cancel-0005-before-the-run")
        page.get_by_role("button", name="Confirm cancellation", exact=True).click()

        expect(page.get_by_text(f"The cancellation of {monthly.name} is reserved for 2028-07-10.")).to_be_visible()
        expect(page.get_by_text("Choose a cancellation date from")).to_have_count(0)
        assert list(Reservation.objects.filter(subscription=monthly).values_list("kind", "state", "effective_on")) == [
            (Reservation.Kind.CANCELLATION, Reservation.State.PENDING, date(2028, 7, 10))
        ]

        # The next runs: June's invoice at 00:10, then the cancellation on its date.
        run_lifecycle(kst(2028, 7, 1, 0, 10))
        run_lifecycle(kst(2028, 7, 10, 0, 10))

    monthly = Subscription.objects.get(pk=monthly.pk)
    assert (monthly.status, monthly.terminated_on) == (Status.TERMINATED, date(2028, 7, 10))
    assert list(
        Invoice.objects.filter(subscription=monthly).order_by("period_index").values_list("period_end", "is_final")
    ) == [(date(2028, 6, 30), False), (date(2028, 7, 9), True)]
