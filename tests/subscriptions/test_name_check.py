"""`Check availability`: /naver-works/name-check/ (SPEC 5.1, 9), JSON, rate-limited per user and per address."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from subscriptions.views import NAME_CHECK_RATE
from tests.accounts.factories import UserFactory
from tests.workspaces.factories import WorkspaceFactory
from workspaces.models import AccountType, Workspace

pytestmark = pytest.mark.django_db

NAME_CHECK = reverse("subscriptions:name-check")
LIMIT = int(NAME_CHECK_RATE.split("/")[0])
# A fixed instant in the middle of a minute: the rate-limit window cannot roll over during a test.
FROZEN = datetime(2026, 12, 1, 3, 0, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("query", "available", "message"),
    [
        pytest.param({"group_name": "acme-korea"}, True, "This group name is available.", id="group-free"),
        pytest.param({"domain_name": "Acme.Example"}, True, "This domain name is available.", id="domain-free"),
        pytest.param({"domain_name": "회사.한국"}, True, "This domain name is available.", id="domain-idna"),
        pytest.param(
            {"group_name": "Acme"},
            False,
            "A group name must be in lowercase: uppercase letters are not allowed.",
            id="group-uppercase",
        ),
        pytest.param(
            {"group_name": "acme--korea"},
            False,
            "A group name cannot contain two hyphens in a row (--).",
            id="group-double-hyphen",
        ),
        pytest.param(
            {"group_name": "admin"},
            False,
            "“admin” is a reserved name. Choose another group name.",
            id="group-reserved",
        ),
        pytest.param(
            {"domain_name": "example"},
            False,
            "Enter a full domain name, such as example.com.",
            id="domain-one-label",
        ),
        pytest.param({"group_name": ""}, False, "Enter a group name.", id="group-empty"),
        pytest.param({"domain_name": "  "}, False, "Enter a domain name.", id="domain-blank"),
    ],
)
def test_the_answer_says_whether_a_name_is_valid_and_free(customer_client, query, available, message):
    response = customer_client.get(NAME_CHECK, query)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"available": available, "message": message}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param({"group_name": "acme-korea"}, "This group name is already in use.", id="group"),
        pytest.param({"domain_name": "ACME.example."}, "This domain name is already in use.", id="domain-normalized"),
        pytest.param({"domain_name": "회사.한국"}, "This domain name is already in use.", id="domain-idna"),
    ],
)
def test_a_name_in_use_is_not_available(customer_client, query, message):
    WorkspaceFactory(name="acme-korea")
    WorkspaceFactory(kind=AccountType.DOMAIN, name="acme.example")
    WorkspaceFactory(kind=AccountType.DOMAIN, name="xn--vf4b131b.xn--3e0b707e")

    response = customer_client.get(NAME_CHECK, query)

    assert response.json() == {"available": False, "message": message}
    assert Workspace.objects.count() == 3


@pytest.mark.parametrize(
    "query",
    [pytest.param({}, id="neither"), pytest.param({"group_name": "acme", "domain_name": "acme.com"}, id="both")],
)
def test_exactly_one_name_must_be_given(customer_client, query):
    response = customer_client.get(NAME_CHECK, query)

    assert response.status_code == 400
    assert response.json() == {"available": False, "message": "Give either a group name or a domain name."}


def test_anonymous_callers_are_refused_with_json(client):
    response = client.get(NAME_CHECK, {"group_name": "acme-korea"})

    assert response.status_code == 403
    assert response.json() == {"available": False, "message": "Log in to check a name."}


def test_only_get_is_allowed(customer_client):
    assert customer_client.post(NAME_CHECK, {"group_name": "acme-korea"}).status_code == 405


def test_htmx_gets_the_same_answer_as_an_html_fragment(customer_client):
    response = customer_client.get(NAME_CHECK, {"group_name": "acme-korea"}, headers={"hx-request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert 'class="name-check-result text-success" data-available="true"' in html
    assert "This group name is available." in html
    assert "HX-Request" in response["Vary"]


def test_a_customer_is_limited_whatever_the_address(customer_client):
    with time_machine.travel(FROZEN, tick=False):
        answers = [
            customer_client.get(NAME_CHECK, {"group_name": f"team-{n}"}, REMOTE_ADDR=f"10.0.0.{n}").status_code
            for n in range(LIMIT)
        ]
        refused = customer_client.get(NAME_CHECK, {"group_name": "team-x"}, REMOTE_ADDR="10.0.1.1")

    assert answers == [200] * LIMIT
    assert refused.status_code == 429
    assert refused.json() == {
        "available": False,
        "message": "Too many availability checks. Wait a minute and try again.",
    }


def test_an_address_is_limited_whatever_the_customer():
    clients = []
    for _n in range(LIMIT + 1):
        client = Client(REMOTE_ADDR="192.0.2.7")
        client.force_login(UserFactory())
        clients.append(client)

    with time_machine.travel(FROZEN, tick=False):
        answers = [client.get(NAME_CHECK, {"group_name": "acme-korea"}).status_code for client in clients[:LIMIT]]
        refused = clients[LIMIT].get(NAME_CHECK, {"group_name": "acme-korea"})
        elsewhere = clients[LIMIT].get(NAME_CHECK, {"group_name": "acme-korea"}, REMOTE_ADDR="198.51.100.9")

    assert answers == [200] * LIMIT
    assert refused.status_code == 429
    assert elsewhere.status_code == 200


def test_the_limit_is_reset_by_the_next_window(customer_client):
    with time_machine.travel(FROZEN, tick=False):
        for _n in range(LIMIT):
            customer_client.get(NAME_CHECK, {"group_name": "acme-korea"})
        assert customer_client.get(NAME_CHECK, {"group_name": "acme-korea"}).status_code == 429

    with time_machine.travel(datetime(2026, 12, 1, 3, 2, 20, tzinfo=UTC), tick=False):
        response = customer_client.get(NAME_CHECK, {"group_name": "acme-korea"})

    assert response.status_code == 200


def test_htmx_gets_the_limit_message_as_a_fragment_too(customer_client):
    with time_machine.travel(FROZEN, tick=False):
        for _n in range(LIMIT):
            customer_client.get(NAME_CHECK, {"group_name": "acme-korea"})
        response = customer_client.get(NAME_CHECK, {"group_name": "acme-korea"}, headers={"hx-request": "true"})

    assert response.status_code == 429
    assert "Too many availability checks. Wait a minute and try again." in response.content.decode()
