"""Django admin for operators: plans, subscriptions, lifecycle events (SPEC 1, 3, 4)."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from billing.models import Plan
from subscriptions.models import JobRun, LifecycleEvent
from subscriptions.services.core import customer_actor, record_event
from tests.subscriptions.factories import InvoiceFactory, ReservationFactory, TrialSubscriptionFactory, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied_trial():
    trial = TrialSubscriptionFactory(workspace__name="acme-korea")
    record_event(trial, "applied", by=customer_actor(trial.customer), at=trial.created_at, to_status="trial")
    ReservationFactory(subscription=trial)
    return trial


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:billing_plan_changelist",
        "admin:subscriptions_subscription_changelist",
        "admin:subscriptions_lifecycleevent_changelist",
    ],
)
def test_changelists_load(admin_client, applied_trial, url_name):
    assert admin_client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize(
    "make_query",
    [
        pytest.param(lambda trial: {"q": "acme-korea"}, id="search-name"),
        pytest.param(lambda trial: {"q": trial.customer.email}, id="search-customer-email"),
        pytest.param(lambda trial: {"status__exact": "trial", "platform__exact": "VPC"}, id="filter-state-platform"),
        pytest.param(lambda trial: {"plan__id__exact": str(trial.plan.pk)}, id="filter-plan"),
    ],
)
def test_subscriptions_are_searched_by_name_and_email_and_filtered(admin_client, applied_trial, make_query):
    TrialSubscriptionFactory(platform="CLASSIC", plan_code="premium", workspace__name="zeta")

    response = admin_client.get(reverse("admin:subscriptions_subscription_changelist"), make_query(applied_trial))

    assert list(response.context["cl"].result_list) == [applied_trial]


def test_a_subscription_shows_its_public_id_events_and_reservations_read_only(admin_client, applied_trial):
    InvoiceFactory(subscription=applied_trial)

    response = admin_client.get(reverse("admin:subscriptions_subscription_change", args=[applied_trial.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert applied_trial.public_id in html
    assert "applied" in html
    assert 'name="status"' not in html  # state changes go through services, which log them (SPEC 4)
    assert response.context["has_change_permission"] is False


def test_operators_cannot_add_or_delete_subscriptions(admin_client, applied_trial):
    assert admin_client.get(reverse("admin:subscriptions_subscription_add")).status_code == 403
    delete = reverse("admin:subscriptions_subscription_delete", args=[applied_trial.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


def test_lifecycle_events_are_read_only(admin_client, applied_trial):
    event = LifecycleEvent.objects.get()

    assert admin_client.get(reverse("admin:subscriptions_lifecycleevent_change", args=[event.pk])).status_code == 200
    assert admin_client.get(reverse("admin:subscriptions_lifecycleevent_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:subscriptions_lifecycleevent_change", args=[event.pk]), {"kind": "tampered"}
    )
    delete = admin_client.post(reverse("admin:subscriptions_lifecycleevent_delete", args=[event.pk]), {"post": "yes"})
    assert change.status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.kind == "applied"


def _plan_form(**changes) -> dict:
    form = {
        "code": "basic",
        "name_en": "Basic",
        "name_ja": "",
        "name_ko": "",
        "tier": "2",
        "monthly_unit_price": "6000",
        "annual_unit_price": "5000",
        "features_en": "Everything in Lite",
        "features_ja": "",
        "features_ko": "",
        "notes_en": "",
        "notes_ja": "",
        "notes_ko": "",
        "is_active": "on",
    }
    return {**form, **changes}


def test_an_operator_edits_a_plans_features_one_per_line(admin_client):
    basic = plan("basic")
    url = reverse("admin:billing_plan_change", args=[basic.pk])
    assert "Everything in Lite\nMail: 30 GB per user" in admin_client.get(url).content.decode()

    response = admin_client.post(
        url,
        _plan_form(
            monthly_unit_price="6500",
            annual_unit_price="5500",
            features_en="Everything in Lite\r\n\r\n  Mail: 50 GB per user  \r\nDrive: 2 TB",
            notes_en="Now with more mail.",
        ),
    )

    assert response.status_code == 302
    basic.refresh_from_db()
    assert basic.features_en == ["Everything in Lite", "Mail: 50 GB per user", "Drive: 2 TB"]
    assert (basic.monthly_unit_price, basic.annual_unit_price) == (6500, 5500)


def test_an_operator_edits_a_plans_texts_per_language_and_the_console_reads_the_ui_language(admin_client):
    basic = plan("basic")
    url = reverse("admin:billing_plan_change", args=[basic.pk])
    page = admin_client.get(url).content.decode()
    assert "Liteのすべての機能" in page
    assert "Lite의 모든 기능" in page

    response = admin_client.post(
        url,
        _plan_form(
            name_ja="ベーシック",
            features_en="Mail: 50 GB per user",
            features_ja="メール: 50GB\r\nDrive: 2TB",
            notes_ja="メール付きの標準プラン",
            notes_en="The standard plan.",
        ),
    )

    assert response.status_code == 302
    basic.refresh_from_db()
    assert (basic.name_en, basic.name_ja, basic.name_ko) == ("Basic", "ベーシック", None)
    assert basic.features_ja == ["メール: 50GB", "Drive: 2TB"]
    assert basic.features_ko == []
    with translation.override("ja"):
        assert (basic.name, basic.features, basic.notes) == (
            "ベーシック",
            ["メール: 50GB", "Drive: 2TB"],
            "メール付きの標準プラン",
        )
    # Korean left empty: the English texts.
    with translation.override("ko"):
        assert (basic.name, basic.features, basic.notes) == ("Basic", ["Mail: 50 GB per user"], "The standard plan.")


def test_a_plan_with_an_annual_price_above_the_monthly_one_is_refused(admin_client):
    basic = plan("basic")

    response = admin_client.post(
        reverse("admin:billing_plan_change", args=[basic.pk]),
        _plan_form(monthly_unit_price="5000", annual_unit_price="6000"),
    )

    assert response.status_code == 200
    basic.refresh_from_db()
    assert (basic.monthly_unit_price, basic.annual_unit_price) == (6000, 5000)


def test_plans_cannot_be_deleted(admin_client):
    basic = plan("basic")

    response = admin_client.post(reverse("admin:billing_plan_delete", args=[basic.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Plan.objects.filter(pk=basic.pk).exists()


def test_operators_see_job_runs_read_only(admin_client):
    run = JobRun.objects.create(
        job="subscriptions.tasks.expire_trials",
        started_at=datetime(2026, 12, 31, 0, 0, tzinfo=UTC),
        as_of=datetime(2026, 12, 31, 0, 0, tzinfo=UTC),
        processed=7,
        errors=1,
        error_details=[{"step": "suspend_trial", "id": 3, "error": "RuntimeError('boom')"}],
    )

    listing = admin_client.get("/admin/subscriptions/jobrun/")
    detail = admin_client.get(f"/admin/subscriptions/jobrun/{run.pk}/change/")

    assert listing.status_code == 200
    assert "subscriptions.tasks.expire_trials" in listing.content.decode()
    assert detail.status_code == 200
    assert "RuntimeError" in detail.content.decode()
    assert admin_client.get("/admin/subscriptions/jobrun/add/").status_code == 403
