"""The 5-step application wizard through the test client (SPEC 5.1, 9)."""

import re
import threading
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse

from billing.catalog import ensure_catalog
from subscriptions.forms import previewed_account_id
from subscriptions.models import LifecycleEvent, Status, Subscription
from subscriptions.services import apply as apply_service
from tests.accounts.factories import UserFactory
from tests.subscriptions.factories import TrialSubscriptionFactory, plan
from tests.workspaces.factories import WorkspaceFactory
from workspaces.models import AccountType, Member, Workspace

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plan_catalog(db):
    # Step 1 lists the plans in the database; a transactional test elsewhere may have flushed the seeded rows.
    ensure_catalog()


APPLY = reverse("subscriptions:apply")
MANAGEMENT = "apply_wizard-current_step"
INFO = {
    "account_type": "group",
    "group_name": "acme-korea",
    "domain_name": "",
    "admin_id": "admin",
    "admin_password": "works2026ok",
    "admin_password_confirmation": "works2026ok",
    "company_name": "Acme Korea",
    "company_phone_country": "KR",
    "company_phone": "02-1234-5678",
}


def post_step(client: Client, step: str, data: dict | None = None, *, goto: str | None = None):
    payload = {MANAGEMENT: step} | {f"{step}-{name}": value for name, value in (data or {}).items()}
    if goto is not None:
        payload["wizard_goto_step"] = goto
    return client.post(APPLY, payload)


def reach_information(client: Client, plan_code: str = "basic"):
    client.get(APPLY)
    post_step(client, "plan", {"plan": plan_code})
    return post_step(client, "terms", {"agree": "on"})


def reach_review(client: Client, info: dict | None = None):
    reach_information(client)
    return post_step(client, "info", info or INFO)


def nothing_created() -> bool:
    return not (
        Workspace.objects.exists()
        or Member.objects.exists()
        or Subscription.objects.exists()
        or LifecycleEvent.objects.exists()
    )


def current_step(response) -> str:
    return response.context["wizard"]["steps"].current


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(APPLY)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={APPLY}"


def test_step_1_shows_the_offered_plans_as_cards_with_features(customer_client):
    lite = plan("lite")
    lite.is_active = False
    lite.save(update_fields=["is_active"])

    response = customer_client.get(APPLY)

    assert response.status_code == 200
    assert current_step(response) == "plan"
    choices = [label for _value, label in response.context["form"].fields["plan"].choices]
    assert choices == ["Basic", "Premium"]
    html = response.content.decode()
    assert "Mail: 30 GB per user, with your own domain" in html
    assert "₩10,000" in html
    assert '<button type="submit" class="btn btn-primary px-4">Agree to terms</button>' in html


def test_the_whole_wizard_creates_workspace_admin_account_and_trial(customer, customer_client):
    with time_machine.travel(datetime(2026, 12, 1, 14, 30, tzinfo=UTC), tick=False):  # 23:30 KST
        customer_client.get(APPLY)
        terms = post_step(customer_client, "plan", {"plan": "premium"})
        info = post_step(customer_client, "terms", {"agree": "on"})
        review = post_step(customer_client, "info", INFO)
        submitted = post_step(customer_client, "review")

    assert current_step(terms) == "terms"
    assert current_step(info) == "info"
    assert current_step(review) == "review"
    subscription = Subscription.objects.get()
    assert submitted.status_code == 302
    assert submitted["Location"] == f"{APPLY}?complete={subscription.public_id}"
    assert subscription.customer == customer
    assert subscription.plan.code == "premium"
    assert subscription.status == Status.TRIAL
    assert (subscription.applied_on, subscription.trial_last_day) == (date(2026, 12, 1), date(2026, 12, 30))
    assert subscription.grace_last_day == date(2027, 1, 29)
    assert (subscription.name, subscription.admin_account_id) == ("acme-korea", "admin@acme-korea")
    assert (subscription.region, subscription.platform) == ("KR", "VPC")
    workspace = Workspace.objects.get()
    assert (workspace.name, workspace.kind, workspace.company_name) == ("acme-korea", "group", "Acme Korea")
    assert workspace.company_phone.as_e164 == "+82212345678"
    admin = Member.objects.get()
    assert (admin.workspace, admin.login_id, admin.is_admin) == (workspace, "admin", True)
    assert admin.password.startswith("argon2$")
    assert check_password("works2026ok", admin.password)
    assert LifecycleEvent.objects.get().kind == "applied"


def test_just_after_midnight_kst_the_trial_starts_on_the_new_day(customer_client):
    with time_machine.travel(datetime(2026, 12, 1, 15, 10, tzinfo=UTC), tick=False):  # 00:10 KST on Dec 2
        reach_review(customer_client)
        post_step(customer_client, "review")

    subscription = Subscription.objects.get()
    assert (subscription.applied_on, subscription.trial_last_day) == (date(2026, 12, 2), date(2026, 12, 31))


def test_the_review_shows_everything_with_the_password_masked(customer_client):
    response = reach_review(customer_client)

    html = response.content.decode()
    assert response.context["plan"].code == "basic"
    assert response.context["info"]["account_id"] == "admin@acme-korea"
    assert '<dd class="col-sm-7 font-monospace" data-review="account-id">admin@acme-korea</dd>' in html
    assert "Acme Korea" in html
    assert "+82 2-1234-5678" in html
    assert "••••••••" in html
    assert "works2026ok" not in html
    assert "Domain ownership must be verified." not in html
    assert '<button type="submit" class="btn btn-primary px-4">Submit application</button>' in html


def test_the_review_of_a_domain_account_warns_about_ownership_verification(customer_client):
    response = reach_review(customer_client, INFO | {"account_type": "domain", "domain_name": "Acme.한국"})

    html = response.content.decode()
    assert response.context["info"]["name"] == "acme.xn--3e0b707e"
    assert response.context["info"]["account_id"] == "admin@acme.xn--3e0b707e"
    assert "Domain ownership must be verified." in html
    assert "the service cannot be used normally" in html


def test_the_completion_page_leads_to_the_naver_works_login(customer_client):
    reach_review(customer_client)
    submitted = post_step(customer_client, "review")

    response = customer_client.get(submitted["Location"])

    html = response.content.decode()
    assert response.status_code == 200
    assert "Application complete" in html
    login = reverse("workspaces:login")
    assert f'href="{login}">Set up company info</a>' in html


def test_the_completion_page_of_another_customers_subscription_is_a_404(customer_client):
    other = TrialSubscriptionFactory(customer=UserFactory())

    response = customer_client.get(f"{APPLY}?complete={other.public_id}")

    assert response.status_code == 404


def test_going_back_from_the_review_keeps_all_input_but_never_shows_the_password_again(customer_client):
    reach_review(customer_client)

    response = post_step(customer_client, "review", goto="info")

    form = response.context["form"]
    html = response.content.decode()
    assert current_step(response) == "info"
    assert not form.errors
    assert {name: form[name].value() for name in INFO} == INFO
    assert "works2026ok" not in html
    assert 'name="info-admin_password" autocomplete="new-password"' in html
    assert "data-password-kept" in html


def test_the_kept_password_counts_when_step_3_is_sent_again_with_blank_password_fields(customer_client):
    reach_review(customer_client)
    post_step(customer_client, "review", goto="info")

    response = post_step(customer_client, "info", {**INFO, "admin_password": "", "admin_password_confirmation": ""})

    assert current_step(response) == "review"
    assert "works2026ok" not in response.content.decode()
    response = post_step(customer_client, "review", {})
    assert response.status_code == 302
    member = Member.objects.get(workspace__name=INFO["group_name"], is_admin=True)
    assert check_password("works2026ok", member.password)


def test_a_new_password_typed_after_back_replaces_the_kept_one(customer_client):
    reach_review(customer_client)
    post_step(customer_client, "review", goto="info")

    post_step(
        customer_client,
        "info",
        {**INFO, "admin_password": "seoul2027go", "admin_password_confirmation": "seoul2027go"},
    )
    post_step(customer_client, "review", {})

    member = Member.objects.get(workspace__name=INFO["group_name"], is_admin=True)
    assert check_password("seoul2027go", member.password)


def test_steps_2_to_4_show_the_chosen_plan(customer_client):
    customer_client.get(APPLY)
    shown = {
        "terms": post_step(customer_client, "plan", {"plan": "premium"}),
        "info": post_step(customer_client, "terms", {"agree": "on"}),
        "review": post_step(customer_client, "info", INFO),
    }

    for step, response in shown.items():
        assert current_step(response) == step
        assert re.search(r"data-chosen-plan>[^<]*<strong>Premium</strong>", response.content.decode()), step


def test_going_back_from_step_3_keeps_what_was_typed_even_if_incomplete(customer_client):
    reach_information(customer_client)
    typed = {"account_type": "domain", "domain_name": "example.com", "admin_id": "boss", "company_name": "Acme"}

    back_at_terms = post_step(customer_client, "info", typed, goto="terms")
    forward_again = post_step(customer_client, "terms", {"agree": "on"})

    assert current_step(back_at_terms) == "terms"
    assert back_at_terms.context["form"]["agree"].value() is True
    form = forward_again.context["form"]
    assert current_step(forward_again) == "info"
    assert not form.is_bound  # shown as typed, without errors for the fields not filled yet
    assert {name: form[name].value() for name in typed} == typed
    assert nothing_created()


def test_going_back_to_step_1_keeps_the_chosen_plan(customer_client):
    reach_information(customer_client, plan_code="premium")
    post_step(customer_client, "info", INFO, goto="terms")

    response = post_step(customer_client, "terms", {"agree": "on"}, goto="plan")

    assert current_step(response) == "plan"
    assert response.context["form"]["plan"].value() == "premium"
    assert 'value="premium" id="id_plan-plan_2" checked' in response.content.decode()


def test_the_terms_must_be_accepted(customer_client):
    customer_client.get(APPLY)
    post_step(customer_client, "plan", {"plan": "basic"})

    response = post_step(customer_client, "terms", {})

    assert current_step(response) == "terms"
    assert response.context["form"].errors == {"agree": ["You must agree to the terms to apply."]}


def test_a_step_sent_with_a_file_is_refused_and_nothing_is_kept(customer_client):
    customer_client.get(APPLY)

    response = customer_client.post(
        APPLY, {MANAGEMENT: "plan", "plan-plan": "basic", "attachment": SimpleUploadedFile("a.txt", b"hello")}
    )

    assert (response.status_code, response.content) == (400, b"This form takes no files.")
    assert current_step(customer_client.get(APPLY)) == "plan"


def test_a_plan_must_be_chosen_among_the_offered_ones(customer_client):
    customer_client.get(APPLY)

    response = post_step(customer_client, "plan", {"plan": "enterprise"})

    assert current_step(response) == "plan"
    assert response.context["form"].errors == {"plan": ["This plan is no longer offered."]}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param(
            {"group_name": "Acme"},
            "group_name",
            "A group name must be in lowercase: uppercase letters are not allowed.",
            id="group-uppercase",
        ),
        pytest.param(
            {"group_name": "a"},
            "group_name",
            "A group name must have 2 to 22 characters (it has 1).",
            id="group-short",
        ),
        pytest.param(
            {"group_name": "a" * 23},
            "group_name",
            "A group name must have 2 to 22 characters (it has 23).",
            id="group-long",
        ),
        pytest.param(
            {"group_name": "acme_korea"},
            "group_name",
            "A group name may contain only lowercase letters (a-z), digits (0-9) and hyphens (-).",
            id="group-underscore",
        ),
        pytest.param(
            {"group_name": "-acme"},
            "group_name",
            "A group name cannot start or end with a hyphen (-).",
            id="group-leading-hyphen",
        ),
        pytest.param(
            {"group_name": "acme--korea"},
            "group_name",
            "A group name cannot contain two hyphens in a row (--).",
            id="group-double-hyphen",
        ),
        pytest.param(
            {"group_name": "line"},
            "group_name",
            "“line” is a reserved name. Choose another group name.",
            id="group-reserved",
        ),
        pytest.param(
            {"group_name": "my-lineworks"},
            "group_name",
            "A group name cannot contain “lineworks”.",
            id="group-reserved-fragment",
        ),
        pytest.param({"group_name": ""}, "group_name", "Enter a group name.", id="group-missing"),
        pytest.param(
            {"account_type": "domain", "domain_name": "localhost"},
            "domain_name",
            "Enter a full domain name, such as example.com.",
            id="domain-one-label",
        ),
        pytest.param(
            {"account_type": "domain", "domain_name": "exa mple.com"},
            "domain_name",
            "A domain name may contain only letters, digits, hyphens (-) and dots (.).",
            id="domain-space",
        ),
        pytest.param(
            {"account_type": "domain", "domain_name": ""}, "domain_name", "Enter a domain name.", id="domain-missing"
        ),
        pytest.param(
            {"account_type": "email"},
            "account_type",
            "Select a valid choice. email is not one of the available choices.",
            id="account-type-unknown",
        ),
        pytest.param(
            {"admin_id": "Admin"},
            "admin_id",
            "An ID must be in lowercase: uppercase letters are not allowed.",
            id="admin-id-uppercase",
        ),
        pytest.param(
            {"admin_id": "a"}, "admin_id", "An ID must have 2 to 40 characters (it has 1).", id="admin-id-short"
        ),
        pytest.param(
            {"admin_id": "ad min"},
            "admin_id",
            "An ID may contain only lowercase letters (a-z), digits (0-9), dots (.), hyphens (-) and underscores (_).",
            id="admin-id-space",
        ),
        pytest.param(
            {"admin_password": "wk2026", "admin_password_confirmation": "wk2026"},
            "admin_password",
            "The password must have 8 to 40 characters (it has 6).",
            id="password-short",
        ),
        pytest.param(
            {"admin_password": "worksonly", "admin_password_confirmation": "worksonly"},
            "admin_password",
            "The password must contain at least one letter and at least one digit.",
            id="password-no-digit",
        ),
        pytest.param(
            {"admin_password": "Works2026ok", "admin_password_confirmation": "Works2026ok"},
            "admin_password",
            "The password must be in lowercase: uppercase letters are not allowed.",
            id="password-uppercase",
        ),
        pytest.param(
            {"admin_password": "works2028abc", "admin_password_confirmation": "works2028abc"},
            "admin_password",
            "The password cannot contain 3 sequential letters or digits (such as “abc”, “cba”, “123” or “321”).",
            id="password-sequential",
        ),
        pytest.param(
            {"admin_password": "wooo2026ok", "admin_password_confirmation": "wooo2026ok"},
            "admin_password",
            "The password cannot contain the same character 3 or more times in a row (such as “aaa” or “111”).",
            id="password-repeated",
        ),
        pytest.param(
            {"admin_password_confirmation": "works2026no"},
            "admin_password_confirmation",
            "The two passwords do not match.",
            id="password-mismatch",
        ),
        pytest.param({"company_name": ""}, "company_name", "This field is required.", id="company-name-missing"),
        pytest.param(
            {"company_phone": "12345"},
            "company_phone",
            "Enter a valid phone number of South Korea, such as 02-1234-5678.",
            id="phone-invalid",
        ),
        pytest.param({"company_phone": ""}, "company_phone", "This field is required.", id="phone-missing"),
        pytest.param(
            {"company_phone_country": "XX"},
            "company_phone_country",
            "Choose a country from the list.",
            id="country-bad",
        ),
        pytest.param(
            {"company_phone_country": "JP", "company_phone": "02-1234-5678"},
            "company_phone",
            "Enter a valid phone number of Japan, such as 03-1234-5678.",
            id="phone-not-of-the-country",
        ),
    ],
)
def test_each_invalid_entry_is_refused_at_its_field_and_nothing_is_created(customer_client, changes, field, message):
    reach_information(customer_client)

    response = post_step(customer_client, "info", INFO | changes)

    assert response.status_code == 200
    assert current_step(response) == "info"
    assert response.context["form"].errors == {field: [message]}
    assert message in response.content.decode()
    assert nothing_created()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({}, "group_name", "This group name is already in use.", id="group"),
        pytest.param(
            {"account_type": "domain", "domain_name": "ACME.example"},
            "domain_name",
            "This domain name is already in use.",
            id="domain-any-case",
        ),
    ],
)
def test_a_name_in_use_is_refused_at_step_3(customer_client, changes, field, message):
    WorkspaceFactory(name="acme-korea")
    WorkspaceFactory(kind=AccountType.DOMAIN, name="acme.example")
    reach_information(customer_client)

    response = post_step(customer_client, "info", INFO | changes)

    assert response.context["form"].errors == {field: [message]}
    assert not Subscription.objects.exists()
    assert Workspace.objects.count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"domain_name": "not a domain!"}, id="group-ignores-domain"),
        pytest.param({"domain_name": "x" * 600}, id="group-ignores-an-overlong-domain"),
        pytest.param(
            {"account_type": "domain", "domain_name": "acme.example", "group_name": "BAD NAME"},
            id="domain-ignores-group",
        ),
    ],
)
def test_the_name_field_the_account_type_does_not_choose_is_ignored(customer_client, changes):
    reach_information(customer_client)

    response = post_step(customer_client, "info", INFO | changes)

    assert current_step(response) == "review"


def test_a_name_taken_between_review_and_submit_sends_back_to_step_3(customer_client):
    reach_review(customer_client)
    WorkspaceFactory(name="acme-korea")

    response = post_step(customer_client, "review")

    assert response.status_code == 200
    assert current_step(response) == "info"
    assert response.context["form"].errors == {"group_name": ["This group name is already in use."]}
    assert not Subscription.objects.exists()
    assert not Member.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_losing_the_race_at_submit_shows_the_name_error_at_step_3_and_keeps_the_input(customer_client, monkeypatch):
    """Another customer's application commits the same name after this one was checked, before its insert."""
    real_workspace_create = apply_service.workspace_create

    def competitor_commits_first(**kwargs):
        def other_application() -> None:
            WorkspaceFactory(name=kwargs["name"])
            connections.close_all()

        competitor = threading.Thread(target=other_application)
        competitor.start()
        competitor.join(timeout=10)
        return real_workspace_create(**kwargs)

    reach_review(customer_client)
    monkeypatch.setattr(apply_service, "workspace_create", competitor_commits_first)

    response = post_step(customer_client, "review")

    assert response.status_code == 200
    assert current_step(response) == "info"
    form = response.context["form"]
    assert form.errors == {"group_name": ["This group name is already in use."]}
    assert form["company_name"].value() == "Acme Korea"
    assert not Subscription.objects.exists()
    assert not Member.objects.exists()
    assert not LifecycleEvent.objects.exists()
    assert list(Workspace.objects.values_list("name", flat=True)) == ["acme-korea"]
    # The wizard still holds everything: a new name goes straight through to a trial.
    monkeypatch.undo()
    post_step(customer_client, "info", INFO | {"group_name": "acme-korea-2"})
    assert post_step(customer_client, "review").status_code == 302
    assert Subscription.objects.get().name == "acme-korea-2"


def test_a_new_get_restarts_the_wizard(customer_client):
    reach_review(customer_client)

    response = customer_client.get(APPLY)

    assert current_step(response) == "plan"
    assert response.context["form"]["plan"].value() is None


def test_the_applied_trial_is_recorded_under_the_shell_selection(customer_client):
    customer_client.post(reverse("shell-select"), {"platform": "CLASSIC"})
    reach_review(customer_client)

    post_step(customer_client, "review")

    assert Subscription.objects.get().platform == "CLASSIC"


def test_a_forged_jump_to_the_last_step_is_sent_back_to_step_1(customer_client):
    customer_client.get(APPLY)

    response = post_step(customer_client, "review")

    assert response.status_code == 200
    assert current_step(response) == "plan"
    assert nothing_created()


def test_a_post_without_the_wizard_management_data_is_a_bad_request(customer_client):
    customer_client.get(APPLY)

    response = customer_client.post(APPLY, {"plan-plan": "basic"})

    assert response.status_code == 400
    assert nothing_created()


# --- the phone number's country (SPEC 5.1, issue 12) ----------------------------------------------------------


@pytest.mark.parametrize(("language", "country"), [("en", "KR"), ("ko", "KR"), ("ja", "JP")])
def test_step_3_country_defaults_to_the_ui_language(customer_client, language, country):
    customer_client.get(APPLY, HTTP_ACCEPT_LANGUAGE=language)
    post_step(customer_client, "plan", {"plan": "basic"})

    response = customer_client.post(APPLY, {MANAGEMENT: "terms", "terms-agree": "on"}, HTTP_ACCEPT_LANGUAGE=language)

    assert current_step(response) == "info"
    assert response.context["form"]["company_phone_country"].value() == country
    assert f'<option value="{country}" selected>' in response.content.decode()


def test_a_japanese_number_in_the_japanese_ui_is_stored_as_japanese(customer_client):
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}
    customer_client.get(APPLY, **ja)
    customer_client.post(APPLY, {MANAGEMENT: "plan", "plan-plan": "basic"}, **ja)
    customer_client.post(APPLY, {MANAGEMENT: "terms", "terms-agree": "on"}, **ja)
    info = INFO | {"company_phone_country": "JP", "company_phone": "03-1234-5678"}
    review = customer_client.post(APPLY, {MANAGEMENT: "info"} | {f"info-{k}": v for k, v in info.items()}, **ja)

    assert current_step(review) == "review"
    assert '<dd class="col-sm-7" data-review="company-phone">+81 3-1234-5678</dd>' in review.content.decode()

    customer_client.post(APPLY, {MANAGEMENT: "review"}, **ja)

    workspace = Workspace.objects.get()
    assert workspace.company_phone.as_e164 == "+81312345678"


def test_the_same_digits_with_korea_chosen_are_a_korean_number(customer_client):
    reach_review(customer_client, INFO | {"company_phone_country": "KR", "company_phone": "031-234-5678"})

    post_step(customer_client, "review")

    assert Workspace.objects.get().company_phone.as_e164 == "+82312345678"


def test_an_international_number_of_the_chosen_country_is_accepted(customer_client):
    review = reach_review(customer_client, INFO | {"company_phone_country": "JP", "company_phone": "+81 3-1234-5678"})

    assert current_step(review) == "review"
    assert review.context["info"]["company_phone"].as_e164 == "+81312345678"


def test_going_back_to_step_3_keeps_the_country(customer_client):
    reach_review(customer_client, INFO | {"company_phone_country": "JP", "company_phone": "03-1234-5678"})

    back = post_step(customer_client, "review", goto="info")

    assert current_step(back) == "info"
    assert back.context["form"]["company_phone_country"].value() == "JP"
    assert back.context["form"]["company_phone"].value() == "03-1234-5678"


# --- the account ID preview of step 3 (issue 20) ----------------------------------------------------------------

ACCOUNT_ID_PREVIEW = reverse("subscriptions:account-id-preview")


@pytest.mark.parametrize(
    ("account_type", "name", "admin_id", "account_id"),
    [
        pytest.param("group", "acme-korea", "admin", "admin@acme-korea", id="group"),
        pytest.param("group", " acme-korea ", " admin ", "admin@acme-korea", id="stripped-as-the-fields-do"),
        pytest.param("group", "AB", "Admin!", None, id="both-refused"),
        pytest.param("group", "ab", "Admin!", None, id="id-refused"),
        pytest.param("group", "AB", "admin", None, id="uppercase-group-refused"),
        pytest.param("group", "bad--name", "admin", None, id="double-hyphen"),
        pytest.param("group", "admin", "admin", None, id="reserved-group"),
        pytest.param("group", "a", "admin", None, id="group-too-short"),
        pytest.param("group", "acme", "a" * 41, None, id="id-too-long"),
        pytest.param("group", "", "admin", None, id="no-name"),
        pytest.param("group", "acme", "", None, id="no-id"),
        pytest.param("domain", "Example.COM", "boss", "boss@example.com", id="domain-lowercased"),
        pytest.param("domain", "acme.한국", "boss", "boss@acme.한국", id="idn-as-people-write-it"),
        pytest.param("domain", "example", "boss", None, id="domain-without-a-dot"),
        pytest.param("domain", "acme-korea", "admin", None, id="group-name-as-a-domain"),
        pytest.param("other", "acme", "admin", None, id="unknown-account-type"),
        pytest.param("group", "ac\x00me", "admin", None, id="nul"),
    ],
)
def test_the_account_id_preview_is_true_or_a_placeholder(account_type, name, admin_id, account_id):
    assert previewed_account_id(account_type=account_type, name=name, admin_id=admin_id) == account_id


def test_the_preview_endpoint_answers_the_true_id_or_the_placeholder(customer_client):
    true = customer_client.get(ACCOUNT_ID_PREVIEW, {"account_type": "group", "name": "ab", "admin_id": "admin"})
    refused = customer_client.get(ACCOUNT_ID_PREVIEW, {"account_type": "group", "name": "AB", "admin_id": "Admin!"})
    domain = customer_client.get(ACCOUNT_ID_PREVIEW, {"account_type": "domain", "name": "", "admin_id": "admin"})

    assert (
        true.content.decode()
        .strip()
        .endswith('<span class="font-monospace fw-semibold" data-account-id="true">admin@ab</span>')
    )
    assert (
        refused.content.decode()
        .strip()
        .endswith('<span class="font-monospace text-secondary" data-account-id="placeholder">ID@group</span>')
    )
    assert 'data-account-id="placeholder">ID@domain</span>' in domain.content.decode()
    assert "Admin!" not in refused.content.decode()


def test_the_preview_endpoint_needs_a_login(client):
    assert client.get(
        ACCOUNT_ID_PREVIEW, {"account_type": "group", "name": "ab", "admin_id": "admin"}
    ).status_code == (403)


def test_step_3_sent_back_with_errors_previews_no_refused_account_id(customer_client):
    reach_information(customer_client)

    refused = post_step(customer_client, "info", INFO | {"group_name": "AB", "admin_id": "Admin!"})
    half = post_step(customer_client, "info", INFO | {"admin_id": "admin", "admin_password_confirmation": "other2026"})

    assert current_step(refused) == current_step(half) == "info"
    assert 'data-account-id="placeholder">ID@group</span>' in refused.content.decode()
    assert "Admin!@" not in refused.content.decode()
    assert 'data-account-id="true">admin@acme-korea</span>' in half.content.decode()


def test_opening_the_wizard_reads_three_queries_and_writes_no_session(customer_client, django_assert_num_queries):
    # given a wizard opened once, then left at step 2
    customer_client.get(APPLY)
    post_step(customer_client, "plan", {"plan": "basic"})
    customer_client.get(APPLY)  # starts again: the session forgets step 1's choice (written once)

    # when it is opened again, nothing of it changes: session, customer, the plans (one plain SELECT), no UPDATE
    with django_assert_num_queries(3) as queries:
        response = customer_client.get(APPLY)

    assert current_step(response) == "plan"
    assert not [query for query in queries.captured_queries if query["sql"].startswith(("UPDATE", "DECLARE"))]


def test_a_step_still_keeps_what_was_chosen_when_the_session_saves_only_changes(customer_client):
    customer_client.get(APPLY)
    post_step(customer_client, "plan", {"plan": "premium"})

    response = post_step(customer_client, "terms", {"agree": "on"})

    assert current_step(response) == "info"
    assert "Premium" in response.content.decode()
