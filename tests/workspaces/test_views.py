import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse

from subscriptions.models import Status, Subscription
from tests.conftest import USER_PASSWORD
from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import (
    ADMIN_PASSWORD,
    DomainWorkspaceFactory,
    MemberFactory,
    OrgUnitFactory,
    WorkGroupFactory,
)
from workspaces.decorators import SESSION_MEMBER_KEY
from workspaces.models import Member, OrgUnit, WorkGroup, Workspace

pytestmark = pytest.mark.django_db

LOGIN_URL = "/works/login/"
CONFIRMED = {"confirmed": "1"}  # the answer of the confirmation step of a destructive action
INVALID_LOGIN = "Enter a correct account ID and password."


def _set_up(subscription: Subscription) -> Subscription:
    Workspace.objects.filter(pk=subscription.workspace_id).update(
        company_set_up_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    )
    subscription.workspace.refresh_from_db()
    return subscription


@pytest.fixture
def trial() -> Subscription:
    return _set_up(TrialSubscriptionFactory(applied_on=date(2026, 12, 1)))


@pytest.fixture
def admin_client(trial, works_login) -> Client:
    return works_login(f"admin@{trial.workspace.name}")


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _shown_messages(response) -> list[str]:
    """The messages the page a redirect led to showed (and so consumed)."""
    return [str(message) for message in response.context["messages"]]


def _post_login(client: Client, account_id: str, password: str):
    return client.post(LOGIN_URL, {"account_id": account_id, "password": password})


# --- login (SPEC 7.1) ------------------------------------------------------------------------------------------


def test_login_page_has_the_spec_labels():
    response = Client().get(LOGIN_URL)

    content = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert reverse("workspaces:login") == LOGIN_URL
    assert '<label for="id_account_id" class="form-label requiredField"> Account ID </label>' in content
    assert '<label for="id_password" class="form-label requiredField"> Password </label>' in content
    assert 'type="submit" name="submit" value="Start"' in content


def test_first_login_leads_to_company_setup_then_home():
    subscription = TrialSubscriptionFactory()
    client = Client()

    login = _post_login(client, f"admin@{subscription.workspace.name}", ADMIN_PASSWORD)
    home = client.get(login["Location"])
    setup_page = client.get(home["Location"])
    saved = client.post(
        home["Location"],
        {
            "company_name": "Acme Seoul",
            "company_phone_country": "KR",
            "company_phone": "02-555-0199",
            "company_address": "Jung-gu, Seoul",
        },
    )
    home_page = client.get(saved["Location"])

    assert (login.status_code, login["Location"]) == (302, "/works/")
    assert (home.status_code, home["Location"]) == (302, "/works/company/")
    assert setup_page.status_code == 200
    assert 'value="Acme Korea"' in setup_page.content.decode()  # prefilled from the application
    assert (saved.status_code, saved["Location"]) == (302, "/works/")
    assert home_page.status_code == 200
    assert "Acme Seoul" in home_page.content.decode()
    workspace = Workspace.objects.get(pk=subscription.workspace_id)
    assert (workspace.company_name, workspace.company_address) == ("Acme Seoul", "Jung-gu, Seoul")
    assert workspace.company_phone.as_e164 == "+8225550199"
    assert workspace.company_set_up_at is not None


def test_company_setup_refuses_an_invalid_phone_at_the_field(admin_client, trial):
    response = admin_client.post(
        "/works/company/",
        {
            "company_name": "Acme Seoul",
            "company_phone_country": "KR",
            "company_phone": "not a phone",
            "company_address": "",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "company_phone": ["Enter a valid phone number of South Korea, such as 02-1234-5678."]
    }
    trial.workspace.refresh_from_db()
    assert trial.workspace.company_name == "Acme Korea"


def test_later_logins_go_straight_home(trial):
    client = Client()

    login = _post_login(client, f"admin@{trial.workspace.name}", ADMIN_PASSWORD)
    home = client.get(login["Location"])

    assert home.status_code == 200
    assert home.context["member"].login_id == "admin"


def test_login_follows_a_safe_next_url_only(trial):
    client = Client()

    inside = client.post(
        f"{LOGIN_URL}?next=/works/company/",
        {"account_id": f"admin@{trial.workspace.name}", "password": ADMIN_PASSWORD},
    )
    client.post(reverse("workspaces:logout"))
    outside = client.post(
        f"{LOGIN_URL}?next=https://evil.example/",
        {"account_id": f"admin@{trial.workspace.name}", "password": ADMIN_PASSWORD},
    )

    assert inside["Location"] == "/works/company/"
    assert outside["Location"] == "/works/"


@pytest.mark.parametrize(
    ("account_id", "password"),
    [
        pytest.param("admin@{name}", "wrong2026ok", id="wrong-password"),
        pytest.param("ghost@{name}", ADMIN_PASSWORD, id="unknown-id"),
    ],
)
def test_wrong_password_and_unknown_id_get_the_same_message(trial, account_id, password):
    client = Client()

    response = _post_login(client, account_id.format(name=trial.workspace.name), password)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [INVALID_LOGIN]
    assert SESSION_MEMBER_KEY not in client.session
    assert Member.objects.get(workspace=trial.workspace).last_login_at is None


def test_failed_logins_are_throttled_per_account_and_address(trial):
    client = Client()
    account_id = f"admin@{trial.workspace.name}"
    failures = [_post_login(client, account_id, "wrong2026ok").status_code for _ in range(5)]

    throttled = _post_login(client, account_id, ADMIN_PASSWORD)

    assert failures == [200] * 5
    assert throttled.status_code == 429
    assert len(throttled.context["form"].non_field_errors()) == 1
    assert throttled.context["form"].non_field_errors()[0].startswith("Too many failed logins. Try again in ")
    assert SESSION_MEMBER_KEY not in client.session
    assert Member.objects.get(workspace=trial.workspace).last_login_at is None


def test_throttling_one_account_leaves_another_account_alone(trial):
    other = _set_up(TrialSubscriptionFactory())
    client = Client()
    for _ in range(5):
        _post_login(client, f"admin@{trial.workspace.name}", "wrong2026ok")

    response = _post_login(client, f"admin@{other.workspace.name}", ADMIN_PASSWORD)

    assert (response.status_code, response["Location"]) == (302, "/works/")


@override_settings(LOGIN_FAILURE_LIMITS={"account_and_address": 5, "account": 20, "address": 3})
def test_one_address_trying_many_accounts_is_throttled(trial):
    client = Client()
    for index in range(3):
        _post_login(client, f"guess{index}@{trial.workspace.name}", "wrong2026ok")

    response = _post_login(client, f"admin@{trial.workspace.name}", ADMIN_PASSWORD)

    assert response.status_code == 429
    assert SESSION_MEMBER_KEY not in client.session


def test_suspended_workspace_is_refused_with_the_conversion_deadline(trial):
    Subscription.objects.filter(pk=trial.pk).update(status=Status.SUSPENDED)
    client = Client()

    response = _post_login(client, f"admin@{trial.workspace.name}", ADMIN_PASSWORD)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This workspace is suspended because its trial has ended. Convert it to a paid plan by 2027-01-29 to keep it."
    ]
    assert SESSION_MEMBER_KEY not in client.session


def test_terminated_workspace_is_refused(trial):
    Subscription.objects.filter(pk=trial.pk).update(status=Status.TERMINATED)
    client = Client()

    response = _post_login(client, f"admin@{trial.workspace.name}", ADMIN_PASSWORD)

    assert response.context["form"].non_field_errors() == [
        "This workspace has been terminated and can no longer be used."
    ]
    assert SESSION_MEMBER_KEY not in client.session


def test_open_session_ends_at_its_next_request_once_suspended(admin_client, trial):
    assert admin_client.get("/works/").status_code == 200

    Subscription.objects.filter(pk=trial.pk).update(status=Status.SUSPENDED)
    response = admin_client.get("/works/")

    assert (response.status_code, response["Location"]) == (302, LOGIN_URL)
    assert _messages(response) == [
        "This workspace is suspended because its trial has ended. Convert it to a paid plan by 2027-01-29 to keep it."
    ]
    assert SESSION_MEMBER_KEY not in admin_client.session


def test_open_session_ends_once_terminated_and_nothing_is_written(admin_client, trial):
    Subscription.objects.filter(pk=trial.pk).update(status=Status.TERMINATED)

    response = admin_client.post(
        "/works/members/add/",
        {"member-login_id": "late", "member-name": "Late", "member-password": "seoul2027go"},
    )

    assert (response.status_code, response["Location"]) == (302, LOGIN_URL)
    assert _messages(response) == ["This workspace has been terminated and can no longer be used."]
    assert list(Member.objects.filter(workspace=trial.workspace).values_list("login_id", flat=True)) == ["admin"]


def test_open_session_ends_once_the_member_is_removed(trial, works_login):
    member = MemberFactory(workspace=trial.workspace, login_id="staff")
    client = works_login(member.account_id)
    Member.objects.filter(pk=member.pk).delete()

    response = client.get("/works/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next=/works/")
    assert _messages(response) == ["Your NAVER WORKS Admin session has ended. Log in again."]


def test_unverified_domain_refuses_members_and_admits_the_admin(works_login):
    subscription = _set_up(TrialSubscriptionFactory(workspace=DomainWorkspaceFactory()))
    member = MemberFactory(workspace=subscription.workspace, login_id="staff")
    client = Client()

    refused = _post_login(client, member.account_id, ADMIN_PASSWORD)
    admin_home = works_login(f"admin@{subscription.workspace.name}").get("/works/")

    assert refused.context["form"].non_field_errors() == [
        "The ownership of this domain has not been verified yet. "
        "Until the admin verifies it, only the admin account can log in."
    ]
    assert SESSION_MEMBER_KEY not in client.session
    content = admin_home.content.decode()
    assert subscription.workspace.verification_token in content
    assert ">Verify now</button>" in content


def test_member_sees_their_account_and_cannot_administer(trial, works_login):
    member = MemberFactory(workspace=trial.workspace, login_id="staff", name="Staff Kim")
    client = works_login(member.account_id)

    home = client.get("/works/")
    attempt = client.post("/works/units/add/", {"unit-name": "Sneaky"})

    assert home.templates[0].name == "workspaces/member_home.html"
    assert "Staff Kim" in home.content.decode()
    assert (attempt.status_code, attempt["Location"]) == (302, "/works/")
    assert _messages(attempt) == ["Only the workspace admin can do this."]
    assert not OrgUnit.objects.filter(workspace=trial.workspace).exists()


def test_admin_pages_need_the_admin_login():
    response = Client().get("/works/")

    assert (response.status_code, response["Location"]) == (302, f"{LOGIN_URL}?next=/works/")


def test_admin_session_is_independent_of_the_console_login(admin_client, customer_client, trial):
    console_page = admin_client.get(reverse("subscriptions:my-product"))
    customer_client.post(LOGIN_URL, {"account_id": f"admin@{trial.workspace.name}", "password": ADMIN_PASSWORD})
    customer_client.post(reverse("workspaces:logout"))
    still_customer = customer_client.get(reverse("subscriptions:my-product"))

    assert (console_page.status_code, console_page["Location"]) == (
        302,
        "/accounts/login/?next=/naver-works/my-product/",
    )
    assert still_customer.status_code == 200
    assert SESSION_MEMBER_KEY not in customer_client.session


def test_logout_ends_the_admin_session(admin_client):
    response = admin_client.post(reverse("workspaces:logout"))

    assert (response.status_code, response["Location"]) == (302, LOGIN_URL)
    assert admin_client.get("/works/").status_code == 302


# --- members, units, groups (SPEC 7.2) -------------------------------------------------------------------------


def test_admin_adds_a_member(admin_client, trial):
    unit = OrgUnitFactory(workspace=trial.workspace, name="Sales")

    response = admin_client.post(
        "/works/members/add/",
        {
            "member-login_id": "jiwoo.kim",
            "member-name": "Kim Jiwoo",
            "member-password": "seoul2027go",
            "member-org_unit": str(unit.pk),
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/works/")
    assert _messages(response) == [f"Member jiwoo.kim@{trial.workspace.name} added."]
    member = Member.objects.get(workspace=trial.workspace, login_id="jiwoo.kim")
    assert (member.name, member.org_unit, member.is_admin) == ("Kim Jiwoo", unit, False)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        pytest.param(
            {"member-login_id": "Jiwoo", "member-name": "Kim", "member-password": "seoul2027go"},
            {"login_id": ["An ID must be in lowercase: uppercase letters are not allowed."]},
            id="id-uppercase",
        ),
        pytest.param(
            {"member-login_id": "jiwoo", "member-name": "Kim", "member-password": "aaa12345x"},
            {
                "password": [
                    "The password cannot contain the same character 3 or more times in a row (such as “aaa” or “111”)."
                ]
            },
            id="password-repeated",
        ),
        pytest.param(
            {"member-login_id": "jiwoo", "member-name": "", "member-password": "seoul2027go"},
            {"name": ["This field is required."]},
            id="name-missing",
        ),
        pytest.param(
            {
                "member-login_id": "jiwoo",
                "member-name": "Kim",
                "member-password": "seoul2027go",
                "member-org_unit": "x",
            },
            {"org_unit": ["Select a valid choice. That choice is not one of the available choices."]},
            id="unit-garbage",
        ),
        pytest.param(
            {"member-login_id": "admin", "member-name": "Kim", "member-password": "seoul2027go"},
            {"login_id": ["The ID admin@{name} is already in use."]},
            id="id-taken",
        ),
    ],
)
def test_member_add_shows_refusals_at_the_field_and_adds_nobody(admin_client, trial, data, errors):
    response = admin_client.post("/works/members/add/", data)

    assert response.status_code == 200
    expected = {
        field: [message.format(name=trial.workspace.name) for message in messages]
        for field, messages in errors.items()
    }
    assert response.context["member_form"].errors == expected
    assert list(Member.objects.filter(workspace=trial.workspace).values_list("login_id", flat=True)) == ["admin"]


@override_settings(TRIAL_MEMBER_LIMIT=1)
def test_member_add_over_the_trial_cap_is_refused_at_the_form(admin_client, trial):
    response = admin_client.post(
        "/works/members/add/",
        {"member-login_id": "jiwoo", "member-name": "Kim", "member-password": "seoul2027go"},
    )

    assert response.status_code == 200
    assert response.context["member_form"].non_field_errors() == [
        "A trial workspace can have at most 1 members, the admin included."
    ]
    assert Member.objects.filter(workspace=trial.workspace).count() == 1


def test_admin_removes_a_member_but_never_the_admin(admin_client, trial):
    member = MemberFactory(workspace=trial.workspace, login_id="staff")
    admin = Member.objects.get(workspace=trial.workspace, is_admin=True)

    removed = admin_client.post(f"/works/members/{member.pk}/remove/", CONFIRMED, follow=True)
    refused = admin_client.post(f"/works/members/{admin.pk}/remove/", CONFIRMED, follow=True)

    assert _shown_messages(removed) == [f"Member staff@{trial.workspace.name} removed."]
    assert _shown_messages(refused) == ["The admin account cannot be removed."]
    assert list(Member.objects.live().filter(workspace=trial.workspace).values_list("login_id", flat=True)) == [
        "admin"
    ]
    # The removed member is gone from the page and its row waits for the purge (SPEC 3).
    home = admin_client.get("/works/")
    assert home.status_code == 200
    assert f"staff@{trial.workspace.name}" not in home.content.decode()
    assert Member.objects.get(pk=member.pk).removed_at is not None
    assert admin_client.post(f"/works/members/{member.pk}/remove/").status_code == 404


def test_another_workspaces_objects_are_not_found(admin_client):
    stranger = MemberFactory()
    unit = OrgUnitFactory()
    group = WorkGroupFactory()

    statuses = [
        admin_client.post(f"/works/members/{stranger.pk}/remove/").status_code,
        admin_client.post(f"/works/units/{unit.pk}/remove/").status_code,
        admin_client.post(f"/works/groups/{group.pk}/remove/").status_code,
        admin_client.post(f"/works/groups/{group.pk}/members/add/", {"member": stranger.pk}).status_code,
    ]

    assert statuses == [404, 404, 404, 404]
    assert Member.objects.filter(pk=stranger.pk).exists()
    assert OrgUnit.objects.filter(pk=unit.pk).exists()
    assert WorkGroup.objects.filter(pk=group.pk).exists()


def test_admin_builds_units_and_groups(admin_client, trial):
    admin_client.post("/works/units/add/", {"unit-name": "Sales"})
    sales = OrgUnit.objects.get(workspace=trial.workspace, name="Sales")
    admin_client.post("/works/units/add/", {"unit-name": "Seoul", "unit-parent": sales.pk})
    admin_client.post("/works/groups/add/", {"group-name": "Design"})
    group = WorkGroup.objects.get(workspace=trial.workspace, name="Design")
    member = MemberFactory(workspace=trial.workspace, login_id="staff")
    admin_client.post(f"/works/groups/{group.pk}/members/add/", {"member": member.pk})

    home = admin_client.get("/works/")

    assert list(OrgUnit.objects.filter(workspace=trial.workspace).values_list("name", "parent__name")) == [
        ("Sales", None),
        ("Seoul", "Sales"),
    ]
    assert list(group.members.all()) == [member]
    assert [row.path for row in home.context["overview"].org_units] == [("Sales",), ("Sales", "Seoul")]


def test_group_member_add_with_a_bad_member_is_a_message_not_an_error(admin_client, trial):
    group = WorkGroupFactory(workspace=trial.workspace, name="Design")

    response = admin_client.post(f"/works/groups/{group.pk}/members/add/", {"member": "nobody"})

    assert (response.status_code, response["Location"]) == (302, "/works/")
    assert _messages(response) == ["Choose a member to add to the group “Design”."]
    assert group.members.count() == 0


def test_duplicate_unit_is_refused_at_the_field(admin_client, trial):
    OrgUnitFactory(workspace=trial.workspace, name="Sales")

    response = admin_client.post("/works/units/add/", {"unit-name": "Sales"})

    assert response.status_code == 200
    assert response.context["unit_form"].errors == {"name": ["There is already a unit named “Sales” here."]}
    assert OrgUnit.objects.filter(workspace=trial.workspace).count() == 1


def test_post_only_urls_refuse_get(admin_client):
    assert admin_client.get("/works/members/add/").status_code == 405


@pytest.mark.parametrize(
    ("language", "state"),
    [
        pytest.param("en", "Basic · Trial until 2026-12-30", id="en"),
        pytest.param("ja", "Basic · 体験版(2026-12-30まで)", id="ja"),
        pytest.param("ko", "Basic · 체험판(2026-12-30까지)", id="ko"),
    ],
)
def test_the_header_names_the_trial_and_its_last_day_once(admin_client, trial, language, state):
    html = admin_client.get("/works/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    header = " ".join(re.search(r'<p class="page-breadcrumb">(.*?)</p>', html, re.S).group(1).split())
    assert re.sub(r"<[^>]+>", "", header).endswith(f" · {state}")


# --- group name, domain, export --------------------------------------------------------------------------------


def test_group_name_changes_once_per_24_hours(admin_client, trial):
    with time_machine.travel(datetime(2026, 12, 5, 1, 0, tzinfo=UTC), tick=False):
        first = admin_client.post("/works/group-name/", {"rename-new_name": "renamed-team", **CONFIRMED}, follow=True)
    with time_machine.travel(datetime(2026, 12, 6, 0, 59, tzinfo=UTC), tick=False):
        too_soon = admin_client.post("/works/group-name/", {"rename-new_name": "again-team", **CONFIRMED})
    with time_machine.travel(datetime(2026, 12, 6, 1, 0, tzinfo=UTC), tick=False):
        next_day = admin_client.post("/works/group-name/", {"rename-new_name": "again-team", **CONFIRMED})

    assert _shown_messages(first) == ["The group name is now renamed-team. Your account ID is admin@renamed-team."]
    assert too_soon.status_code == 200
    assert too_soon.context["rename_form"].errors == {
        "new_name": [
            "The group name was changed at 2026-12-05 10:00 (KST). "
            "It can be changed again from 2026-12-06 10:00 (KST)."
        ]
    }
    assert next_day.status_code == 302
    trial.refresh_from_db()
    assert (trial.name, trial.admin_account_id) == ("again-team", "admin@again-team")
    assert admin_client.get("/works/").status_code == 200  # the session follows the renamed workspace


def test_group_name_taken_is_refused(admin_client, trial):
    TrialSubscriptionFactory(workspace__name="taken-team")

    response = admin_client.post("/works/group-name/", {"rename-new_name": "taken-team", **CONFIRMED})

    assert response.context["rename_form"].errors == {"new_name": ["The name “taken-team” is already in use."]}
    trial.workspace.refresh_from_db()
    assert trial.workspace.name_changed_at is None


def test_verify_now_looks_up_the_configured_resolver(dns_server, works_login):
    subscription = _set_up(TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="acme.example")))
    client = works_login("admin@acme.example")
    dns_server.zone["acme.example"] = ["v=spf1 -all"]

    missing = client.post("/works/domain/verify/", follow=True)
    dns_server.zone["acme.example"] = ["v=spf1 -all", subscription.workspace.verification_token]
    found = client.post("/works/domain/verify/", follow=True)

    assert _shown_messages(missing) == [
        "No TXT record of acme.example has the verification value yet. DNS changes can take a while to spread: "
        "check the record and try again later."
    ]
    assert _shown_messages(found) == ["The domain acme.example is verified. Every member can log in now."]
    subscription.workspace.refresh_from_db()
    assert subscription.workspace.domain_verified_at is not None


def test_admin_exports_the_workspace_as_a_json_attachment(admin_client, trial):
    MemberFactory(workspace=trial.workspace, login_id="staff")

    response = admin_client.get("/works/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{trial.workspace.name}-export.json"'
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["format"] == "works-console-export/1"
    assert [member["login_id"] for member in data["members"]] == ["admin", "staff"]
    assert "argon2" not in response.content.decode()


def test_customer_exports_their_own_workspace(customer, customer_client):
    subscription = TrialSubscriptionFactory(customer=customer)

    response = customer_client.get(f"/works/export/{subscription.public_id}/")

    assert reverse("workspaces:customer-export", args=[subscription.public_id]) == (
        f"/works/export/{subscription.public_id}/"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{subscription.workspace.name}-export.json"'
    assert json.loads(response.content)["subscription"]["id"] == subscription.public_id


def test_customer_export_of_another_customers_subscription_is_not_found(customer_client):
    subscription = TrialSubscriptionFactory()

    response = customer_client.get(f"/works/export/{subscription.public_id}/")

    assert response.status_code == 404


def test_customer_export_needs_the_console_login():
    subscription = TrialSubscriptionFactory()

    response = Client().get(f"/works/export/{subscription.public_id}/")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next=/works/export/{subscription.public_id}/",
    )


def test_customer_export_after_the_purge_says_the_data_is_gone(customer, customer_client):
    subscription = TrialSubscriptionFactory(customer=customer, status=Status.TERMINATED)
    Workspace.objects.filter(pk=subscription.workspace_id).delete()

    response = customer_client.get(f"/works/export/{subscription.public_id}/")

    assert (response.status_code, response["Location"]) == (302, reverse("subscriptions:my-product"))
    assert _messages(response) == [
        f"The data of {subscription.name} has been deleted for good; there is nothing left to export."
    ]


def test_admin_home_queries_do_not_grow_with_members(admin_client, trial, django_assert_max_num_queries):
    admin_client.get("/works/")  # warm the session
    units = [OrgUnitFactory(workspace=trial.workspace) for _ in range(3)]
    groups = [WorkGroupFactory(workspace=trial.workspace) for _ in range(3)]
    for index in range(30):
        member = MemberFactory(workspace=trial.workspace, org_unit=units[index % 3])
        groups[index % 3].members.add(member)

    with django_assert_max_num_queries(16):
        response = admin_client.get("/works/")

    assert response.status_code == 200
    assert response.context["overview"].member_count == 31


def test_console_customer_password_is_not_a_works_password(customer):
    response = _post_login(Client(), customer.email, USER_PASSWORD)

    assert response.context["form"].non_field_errors() == [INVALID_LOGIN]


# --- confirmation of destructive actions (SPEC 10, issue 12) ----------------------------------------------------


def _confirmation_page(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert '<input type="hidden" name="confirmed" value="1">' in html
    assert '<a class="btn btn-outline-secondary" role="button" href="/works/">Back</a>' in html
    return html


def test_removing_a_member_unit_or_group_asks_first_and_changes_nothing(admin_client, trial):
    member = MemberFactory(workspace=trial.workspace, login_id="staff")
    unit = OrgUnitFactory(workspace=trial.workspace, name="Sales")
    group = WorkGroupFactory(workspace=trial.workspace, name="Design")

    pages = [
        _confirmation_page(admin_client.post(f"/works/members/{member.pk}/remove/")),
        _confirmation_page(admin_client.post(f"/works/units/{unit.pk}/remove/")),
        _confirmation_page(admin_client.post(f"/works/groups/{group.pk}/remove/")),
    ]

    assert f"Remove member staff@{trial.workspace.name}?" in pages[0]
    assert f'<form method="post" action="/works/members/{member.pk}/remove/"' in pages[0]
    assert "Remove unit Sales?" in pages[1]
    assert "Remove group Design?" in pages[2]
    assert all('class="btn btn-danger px-4" autofocus>Remove</button>' in page for page in pages)
    assert Member.objects.filter(pk=member.pk).exists()
    assert OrgUnit.objects.filter(pk=unit.pk).exists()
    assert WorkGroup.objects.filter(pk=group.pk).exists()


def test_confirmed_removal_of_a_unit_and_a_group(admin_client, trial):
    unit = OrgUnitFactory(workspace=trial.workspace, name="Sales")
    group = WorkGroupFactory(workspace=trial.workspace, name="Design")

    admin_client.post(f"/works/units/{unit.pk}/remove/", CONFIRMED)
    admin_client.post(f"/works/groups/{group.pk}/remove/", CONFIRMED)

    assert not OrgUnit.objects.filter(pk=unit.pk).exists()
    assert not WorkGroup.objects.filter(pk=group.pk).exists()


def test_renaming_asks_first_naming_the_new_name_carried_to_the_confirmation(admin_client, trial):
    response = admin_client.post("/works/group-name/", {"rename-new_name": "renamed-team"})

    html = _confirmation_page(response)
    assert '<h1 class="h4 mb-3" id="confirm-title">Rename to renamed-team?</h1>' in html
    assert (
        "<p data-confirm-message>You cannot change it again for 24 hours. Every account ID of this workspace will "
        "end with renamed-team, and the old name becomes free for others.</p>"
    ) in html
    assert '<input type="hidden" name="rename-new_name" value="renamed-team">' in html
    assert 'class="btn btn-danger px-4" autofocus>Change group name</button>' in html
    trial.workspace.refresh_from_db()
    assert (trial.workspace.name, trial.workspace.name_changed_at) == (trial.name, None)


def test_the_modal_gets_the_question_of_the_checked_name_from_the_server(admin_client, trial):
    response = admin_client.post(
        "/works/group-name/", {"rename-new_name": "renamed-team"}, headers={"X-Confirm-Check": "1"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "title": "Rename to renamed-team?",
        "message": "You cannot change it again for 24 hours. Every account ID of this workspace will end with "
        "renamed-team, and the old name becomes free for others.",
        "button": "Change group name",
        "back": "Back",
    }
    trial.workspace.refresh_from_db()
    assert (trial.workspace.name, trial.workspace.name_changed_at) == (trial.name, None)


def test_the_question_is_asked_in_the_admins_language(admin_client, trial):
    response = admin_client.post(
        "/works/group-name/",
        {"rename-new_name": "renamed-team"},
        headers={"X-Confirm-Check": "1"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )

    assert response.json()["title"] == "グループ名をrenamed-teamに変更しますか?"
    assert response.json()["message"].startswith("変更後24時間は再び変更できません。")


@pytest.mark.parametrize("check", [False, True], ids=["posted", "checked-by-the-modal"])
@pytest.mark.parametrize(
    ("new_name", "message"),
    [
        pytest.param("Bad--Name", "A group name must be in lowercase: uppercase letters are not allowed.", id="case"),
        pytest.param("bad--name", "A group name cannot contain two hyphens in a row (--).", id="hyphens"),
        pytest.param("taken-team", "The name “taken-team” is already in use.", id="taken"),
        pytest.param("same", "This is already the group name.", id="same"),
    ],
)
def test_a_name_that_cannot_be_taken_is_refused_at_the_field_before_any_confirmation(
    admin_client, trial, new_name, message, check
):
    TrialSubscriptionFactory(workspace__name="taken-team")
    new_name = trial.workspace.name if new_name == "same" else new_name

    response = admin_client.post(
        "/works/group-name/", {"rename-new_name": new_name}, headers={"X-Confirm-Check": "1"} if check else {}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response.context["rename_form"].errors == {"new_name": [message]}
    assert "confirm-title" not in response.content.decode()
    trial.workspace.refresh_from_db()
    assert trial.workspace.name_changed_at is None


def test_a_rename_within_24_hours_is_refused_at_the_field_before_any_confirmation(admin_client, trial):
    with time_machine.travel(datetime(2026, 12, 5, 1, 0, tzinfo=UTC), tick=False):
        admin_client.post("/works/group-name/", {"rename-new_name": "renamed-team", **CONFIRMED})
    with time_machine.travel(datetime(2026, 12, 5, 13, 0, tzinfo=UTC), tick=False):
        response = admin_client.post("/works/group-name/", {"rename-new_name": "again-team"})

    assert response.context["rename_form"].errors == {
        "new_name": [
            "The group name was changed at 2026-12-05 10:00 (KST). "
            "It can be changed again from 2026-12-06 10:00 (KST)."
        ]
    }
    assert "confirm-title" not in response.content.decode()
    assert Workspace.objects.get(pk=trial.workspace_id).name == "renamed-team"


def test_admin_home_forms_carry_the_modal_questions(admin_client, trial):
    MemberFactory(workspace=trial.workspace, login_id="staff")

    html = admin_client.get("/works/").content.decode()

    assert f'data-confirm-title="Remove member staff@{trial.workspace.name}?"' in html
    assert html.count('data-confirm-back="Back"') == 1
    # The rename's question names the new name: the server checks it first and asks then.
    assert '<form method="post" action="/works/group-name/" novalidate data-confirm-check>' in html


# --- names as people write them, the way back to the console (issue 12) ----------------------------------------


def test_a_unicode_domain_shows_in_unicode_with_the_ascii_form_for_dns(works_login):
    _set_up(TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="xn--r8jz45g.jp")))
    client = works_login("admin@例え.jp")

    html = client.get("/works/").content.decode()

    assert "Publish this TXT record at 例え.jp with your DNS provider, then verify." in html
    assert '<code class="txt-value" data-dns-name>xn--r8jz45g.jp</code>' in html
    assert '<span class="workspace-name text-truncate d-none d-sm-inline">· 例え.jp</span>' in html
    assert "admin@例え.jp" in html


def test_an_ascii_domain_has_no_separate_dns_form(works_login):
    _set_up(TrialSubscriptionFactory(workspace=DomainWorkspaceFactory(name="acme.example")))

    html = works_login("admin@acme.example").get("/works/").content.decode()

    assert "data-dns-name" not in html


def test_the_login_page_pre_fills_the_account_id_in_unicode(client):
    html = client.get(LOGIN_URL, {"account_id": "admin@xn--r8jz45g.jp"}).content.decode()

    assert 'value="admin@例え.jp"' in html


def test_admin_pages_link_back_to_the_console(admin_client):
    html = admin_client.get("/works/").content.decode()

    assert f'href="{reverse("subscriptions:my-product")}">Back to the console</a>' in html
