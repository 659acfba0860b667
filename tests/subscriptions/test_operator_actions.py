"""Operators' actions in Django admin (SPEC 11): a form with a reason, the console's services, an `operator` event.

ActiveSubscriptionFactory (billing): Basic annual, 10 licences at 5,000 (list 6,000), anchor 2026-12-15.
TrialSubscriptionFactory: applied 2026-12-01, last trial day 2026-12-30, grace to 2027-01-29.
"""

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from billing.models import CreditNote, Invoice
from subscriptions.models import JobRun, LifecycleEvent, ReminderSent, Reservation, Status
from subscriptions.services.cancel import subscription_cancel
from subscriptions.services.core import customer_actor
from tests.accounts.factories import UserFactory
from tests.billing.factories import ActiveSubscriptionFactory, kst, subscription_snapshot
from tests.subscriptions.factories import (
    ConversionReservationFactory,
    InvoiceFactory,
    ReservationFactory,
    SuspendedSubscriptionFactory,
    TrialSubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def act_url(subscription, slug: str) -> str:
    return reverse("admin:subscriptions_subscription_operator_action", args=[subscription.pk, slug])


def operator_events(subscription) -> list[tuple]:
    return list(
        LifecycleEvent.objects.filter(subscription=subscription, actor="operator")
        .order_by("id")
        .values_list("kind", "actor_user__email", "details__reason")
    )


# --- Extend trial -------------------------------------------------------------------------------------------------


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_extend_trial_moves_the_last_trial_day_and_the_grace_and_logs_the_operator(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()

    page = admin_client.get(act_url(trial, "extend-trial"))
    response = admin_client.post(act_url(trial, "extend-trial"), {"days": "10", "reason": "Sales demo slipped"})

    assert 'value="Extend trial"' in page.content.decode()
    assert "Reason" in page.content.decode() and "Days" in page.content.decode()
    assert response.status_code == 302
    trial.refresh_from_db()
    assert (trial.status, trial.trial_last_day, trial.grace_last_day) == (
        Status.TRIAL,
        date(2027, 1, 9),
        date(2027, 2, 8),
    )
    assert operator_events(trial) == [("trial_extended", admin_user.email, "Sales demo slipped")]
    event = LifecycleEvent.objects.get(subscription=trial, kind="trial_extended")
    assert event.details["trial_last_day"] == {"from": "2026-12-30", "to": "2027-01-09"}


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        pytest.param("0", "Demo", "Ensure this value is greater than or equal to 1.", id="zero-days"),
        pytest.param("31", "Demo", "Ensure this value is less than or equal to 30.", id="31-days"),
        pytest.param("7", "", "This field is required.", id="no-reason"),
        pytest.param("7", "   ", "This field is required.", id="blank-reason"),
    ],
)
def test_extend_trial_refuses_bad_input_and_changes_nothing(admin_client, days, reason, message):
    trial = TrialSubscriptionFactory()
    before = subscription_snapshot(trial)

    response = admin_client.post(act_url(trial, "extend-trial"), {"days": days, "reason": reason})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert subscription_snapshot(trial) == before


def test_a_suspended_trial_cannot_be_extended(admin_client):
    suspended = SuspendedSubscriptionFactory()
    before = subscription_snapshot(suspended)

    response = admin_client.post(act_url(suspended, "extend-trial"), {"days": "5", "reason": "Goodwill"})

    assert "Only a trial can be extended; not in trial: " + suspended.name in response.content.decode()
    assert subscription_snapshot(suspended) == before


def test_bulk_extend_trial_extends_every_selected_trial_in_one_go(admin_client):
    trials = [TrialSubscriptionFactory(), TrialSubscriptionFactory()]
    changelist = reverse("admin:subscriptions_subscription_changelist")
    selected = [str(trial.pk) for trial in trials]

    form = admin_client.post(changelist, {"action": "extend_trials", "_selected_action": selected})
    done = admin_client.post(
        changelist,
        {"action": "extend_trials", "_selected_action": selected, "confirm": "yes", "days": "3", "reason": "Outage"},
    )

    assert 'value="Extend trial"' in form.content.decode()
    assert done.status_code == 302
    for trial in trials:
        trial.refresh_from_db()
        assert trial.trial_last_day == date(2027, 1, 2)
        assert operator_events(trial) == [("trial_extended", "admin@example.com", "Outage")]


def test_bulk_extend_trial_refuses_the_whole_batch_if_one_is_not_a_trial(admin_client):
    trial, active = TrialSubscriptionFactory(), ActiveSubscriptionFactory()
    before = [subscription_snapshot(trial), subscription_snapshot(active)]

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_changelist"),
        {
            "action": "extend_trials",
            "_selected_action": [trial.pk, active.pk],
            "confirm": "yes",
            "days": "3",
            "reason": "Outage",
        },
    )

    assert "Only a trial can be extended; not in trial: " + active.name in response.content.decode()
    assert [subscription_snapshot(trial), subscription_snapshot(active)] == before


# --- Convert on behalf ----------------------------------------------------------------------------------------------


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_convert_on_behalf_starts_the_paid_contract_with_the_reason(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()

    response = admin_client.post(
        act_url(trial, "convert"),
        {
            "plan": trial.plan_id,
            "contract_type": "annual",
            "licences": "5",
            "start_on": "2026-12-20",
            "reason": "Signed by fax",
        },
    )

    assert response.status_code == 302
    trial.refresh_from_db()
    assert (trial.status, trial.paid_start, trial.licences) == (Status.ACTIVE, date(2026, 12, 20), 5)
    assert operator_events(trial) == [("converted", admin_user.email, "Signed by fax")]


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_convert_on_behalf_is_refused_with_the_customers_message_while_a_cancellation_is_pending(
    admin_client, admin_user
):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()
    ReservationFactory(subscription=trial, effective_on=date(2026, 12, 25))
    before = subscription_snapshot(trial)

    response = admin_client.post(
        act_url(trial, "convert"),
        {
            "plan": trial.plan_id,
            "contract_type": "monthly",
            "start_on": "2026-12-20",
            "reason": "Signed by fax",
        },
    )

    assert "This action is not available for this subscription in its current state." in response.content.decode()
    assert subscription_snapshot(trial) == before


# --- Cancel on behalf and Waive penalty ---------------------------------------------------------------------------


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_cancel_on_behalf_shows_the_penalty_for_the_date(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))

    page = admin_client.post(act_url(active, "cancel"), {"cancellation_date": "2027-03-01", "show_penalty": "1"})

    html = page.content.decode()
    assert 'value="Cancel on behalf"' in html
    assert 'data-penalty-amount="50000"' in html
    assert "₩50,000" in html


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_cancel_on_behalf_today_bills_the_penalty_and_waive_penalty_writes_a_credit_note(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))

    cancelled = admin_client.post(
        act_url(active, "cancel"), {"cancellation_date": "2027-03-01", "reason": "Customer phoned"}
    )
    waived = admin_client.post(act_url(active, "waive-penalty"), {"reason": "Hardship"})

    assert (cancelled.status_code, waived.status_code) == (302, 302)
    active.refresh_from_db()
    assert active.status == Status.TERMINATED
    final = Invoice.objects.get(subscription=active, is_final=True)
    assert (final.subtotal, final.vat, final.total) == (75_000, 7_500, 82_500)  # unchanged by the waiver
    note = CreditNote.objects.get(invoice=final)
    assert (note.amount, note.vat, note.total, note.reason, note.issued_by) == (
        -50_000,
        -5_000,
        -55_000,
        "Hardship",
        admin_user,
    )
    kinds = [kind for kind, _user, reason in operator_events(active) if reason]
    assert kinds == ["cancelled", "purged", "penalty_waived"]


@time_machine.travel(kst(2027, 3, 1), tick=False)
def test_a_penalty_is_waived_once_only(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    active = ActiveSubscriptionFactory(next_period_index=2, next_invoice_on=date(2027, 3, 15))
    subscription_cancel(
        subscription=active, on=date(2027, 3, 1), by=customer_actor(active.customer), now=kst(2027, 3, 1)
    )
    admin_client.post(act_url(active, "waive-penalty"), {"reason": "Hardship"})

    again = admin_client.post(act_url(active, "waive-penalty"), {"reason": "Hardship"})

    assert "The penalty of this invoice has already been waived." in again.content.decode()
    assert CreditNote.objects.count() == 1


def test_waive_penalty_is_refused_without_an_invoiced_penalty(admin_client):
    trial = TrialSubscriptionFactory()
    before = subscription_snapshot(trial)

    response = admin_client.post(act_url(trial, "waive-penalty"), {"reason": "Hardship"})

    assert "This subscription has no invoiced early-termination penalty to waive." in response.content.decode()
    assert subscription_snapshot(trial) == before
    assert not CreditNote.objects.exists()


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_cancel_on_behalf_is_refused_while_a_conversion_is_reserved(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()
    ConversionReservationFactory(subscription=trial, effective_on=date(2026, 12, 28))
    before = subscription_snapshot(trial)

    response = admin_client.post(act_url(trial, "cancel"), {"cancellation_date": "2026-12-24", "reason": "Asked"})

    assert (
        "A paid conversion is reserved for this subscription. Withdraw the conversion first, then cancel."
        in response.content.decode()
    )
    assert subscription_snapshot(trial) == before


# --- Withdraw reservation, Resend reminder ---------------------------------------------------------------------------


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_withdraw_reservation_withdraws_the_chosen_one(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()
    reservation = ReservationFactory(subscription=trial, effective_on=date(2026, 12, 25))

    response = admin_client.post(
        act_url(trial, "withdraw-reservation"), {"kind": "cancellation", "reason": "Changed their mind"}
    )

    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.state == Reservation.State.WITHDRAWN
    assert operator_events(trial) == [("cancellation_withdrawn", admin_user.email, "Changed their mind")]


def test_withdraw_reservation_without_one_is_refused(admin_client):
    trial = TrialSubscriptionFactory()
    before = subscription_snapshot(trial)

    response = admin_client.post(act_url(trial, "withdraw-reservation"), {"kind": "conversion", "reason": "Asked"})

    assert "There is no reserved conversion to withdraw." in response.content.decode()
    assert subscription_snapshot(trial) == before


@time_machine.travel(kst(2026, 12, 27), tick=False)
def test_resend_reminder_sends_the_mail_again_and_logs_it(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()
    sent = ReminderSent.objects.create(
        subscription=trial, kind="trial_ends_in_3_days", key="2026-12-30", sent_at=kst(2026, 12, 27, 9)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(act_url(trial, "resend-reminder"), {"reminder": sent.pk, "reason": "Lost mail"})

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[trial.customer.email]]
    assert "2026-12-30" in mail.outbox[0].body
    assert operator_events(trial) == [("reminder_resent", admin_user.email, "Lost mail")]
    assert ReminderSent.objects.count() == 1


def test_resend_reminder_without_any_sent_is_refused(admin_client):
    trial = TrialSubscriptionFactory()

    response = admin_client.post(
        reverse("admin:subscriptions_subscription_changelist"),
        {"action": "resend_reminders", "_selected_action": [trial.pk], "confirm": "yes", "reason": "Lost"},
    )

    assert "No reminder has been sent yet to: " + trial.name in response.content.decode()
    assert not LifecycleEvent.objects.filter(kind="reminder_resent").exists()
    assert mail.outbox == []


# --- Retry failed items ---------------------------------------------------------------------------------------


@time_machine.travel(kst(2027, 1, 5), tick=False)
def test_retry_failed_items_runs_them_through_their_step_again(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    suspended = SuspendedSubscriptionFactory(grace_last_day=date(2027, 1, 1))
    failed = JobRun.objects.create(
        job="subscriptions.tasks.expire_trials",
        state=JobRun.State.FINISHED,
        started_at=kst(2027, 1, 5),
        finished_at=kst(2027, 1, 5),
        as_of=kst(2027, 1, 5),
        errors=1,
        error_details=[{"step": "terminate_after_grace", "id": suspended.pk, "error": "OperationalError()"}],
    )

    response = admin_client.post(
        reverse("admin:subscriptions_jobrun_retry", args=[failed.pk]), {"reason": "Database was restarted"}
    )

    retry = JobRun.objects.exclude(pk=failed.pk).get()
    assert response.status_code == 302
    assert (retry.job, retry.processed, retry.errors) == ("subscriptions.tasks.expire_trials", 1, 0)
    assert retry.state == JobRun.State.FINISHED  # a live run would hold beat's next tick of the job back
    assert retry.heartbeat_at == retry.finished_at
    suspended.refresh_from_db()
    assert suspended.status == Status.TERMINATED
    event = LifecycleEvent.objects.get(subscription=suspended, kind="job_items_retried")
    assert event.details == {
        "job": "subscriptions.tasks.expire_trials",
        "job_run": failed.pk,
        "retry_run": retry.pk,
        "reason": "Database was restarted",
    }


def test_retry_is_refused_for_a_run_without_failures(admin_client):
    clean = JobRun.objects.create(
        job="subscriptions.tasks.expire_trials", started_at=kst(2027, 1, 5), as_of=kst(2027, 1, 5)
    )

    response = admin_client.post(reverse("admin:subscriptions_jobrun_retry", args=[clean.pk]), {"reason": "Why not"})

    assert "This job run has no failed items to retry." in response.content.decode()
    assert JobRun.objects.count() == 1


# --- who may act, and what the page offers --------------------------------------------------------------------


def test_staff_without_the_change_permission_cannot_act():
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_subscription"))
    client = Client()
    client.force_login(viewer)
    trial = TrialSubscriptionFactory()
    before = subscription_snapshot(trial)

    response = client.post(act_url(trial, "extend-trial"), {"days": "5", "reason": "Because"})

    assert response.status_code == 403
    assert subscription_snapshot(trial) == before


def test_the_subscription_page_offers_the_actions_its_state_allows(admin_client):
    trial = TrialSubscriptionFactory()

    html = admin_client.get(reverse("admin:subscriptions_subscription_change", args=[trial.pk])).content.decode()

    for label in ["Extend trial", "Convert on behalf", "Cancel on behalf", "Resend reminder"]:
        assert f">{label}</a>" in html
    for label in ["Waive penalty", "Withdraw reservation"]:
        assert f">{label}</a>" not in html


def test_the_subscription_page_lists_its_invoices_with_amounts_in_won(admin_client):
    invoice = InvoiceFactory(subtotal=3_600, vat=360, total=3_960)

    html = admin_client.get(
        reverse("admin:subscriptions_subscription_change", args=[invoice.subscription_id])
    ).content.decode()

    assert invoice.number in html
    assert "₩3,960" in html


@time_machine.travel(kst(2026, 12, 20), tick=False)
def test_cancel_on_behalf_on_a_later_date_reserves_it_with_the_reason(admin_client, admin_user):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trial = TrialSubscriptionFactory()

    response = admin_client.post(act_url(trial, "cancel"), {"cancellation_date": "2026-12-28", "reason": "Moving"})

    assert response.status_code == 302
    assert list(trial.reservations.values_list("kind", "state", "effective_on")) == [
        ("cancellation", "pending", date(2026, 12, 28))
    ]
    assert operator_events(trial) == [("cancellation_reserved", admin_user.email, "Moving")]


@time_machine.travel(kst(2026, 12, 27), tick=False)
def test_bulk_resend_sends_each_subscriptions_latest_reminder(
    admin_client, admin_user, django_capture_on_commit_callbacks
):
    admin_client.force_login(admin_user)  # a session of the travelled-to day
    trials = [TrialSubscriptionFactory(), TrialSubscriptionFactory()]
    for trial in trials:
        ReminderSent.objects.create(
            subscription=trial, kind="trial_ends_in_7_days", key="2026-12-30", sent_at=kst(2026, 12, 23, 9)
        )
        ReminderSent.objects.create(
            subscription=trial, kind="trial_ends_in_3_days", key="2026-12-30", sent_at=kst(2026, 12, 27, 9)
        )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:subscriptions_subscription_changelist"),
            {
                "action": "resend_reminders",
                "_selected_action": [trial.pk for trial in trials],
                "confirm": "yes",
                "reason": "Mail outage",
            },
        )

    assert response.status_code == 302
    assert sorted(message.to[0] for message in mail.outbox) == sorted(trial.customer.email for trial in trials)
    events = LifecycleEvent.objects.filter(kind="reminder_resent").order_by("subscription_id")
    assert [(event.details["reminder"], event.details["reason"]) for event in events] == [
        ("trial_ends_in_3_days", "Mail outage"),
        ("trial_ends_in_3_days", "Mail outage"),
    ]
