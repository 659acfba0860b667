"""Company phone numbers with an explicit country (SPEC 5.1, 7.2; issue 12 point 2)."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.subscriptions.factories import TrialSubscriptionFactory
from workspaces.forms import CompanyForm
from workspaces.models import Workspace
from workspaces.phones import (
    default_phone_country,
    parse_phone_in_country,
    phone_country_choices,
    phone_example,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("number", "country", "e164"),
    [
        pytest.param("03-1234-5678", "JP", "+81312345678", id="tokyo"),
        pytest.param("03-1234-5678", "KR", "+82312345678", id="gyeonggi"),
        pytest.param("02-1234-5678", "KR", "+82212345678", id="seoul"),
        pytest.param("090-1234-5678", "JP", "+819012345678", id="jp-mobile"),
        pytest.param("+81 3 1234 5678", "JP", "+81312345678", id="jp-international"),
        pytest.param("(212) 555-2368", "US", "+12125552368", id="us"),
    ],
)
def test_a_number_is_parsed_in_its_chosen_country(number, country, e164):
    assert parse_phone_in_country(number, country).as_e164 == e164


@pytest.mark.parametrize(
    ("number", "country"),
    [
        pytest.param("02-1234-5678", "JP", id="not-a-japanese-number"),
        pytest.param("12", "KR", id="too-short"),
        pytest.param("not a phone", "KR", id="letters"),
    ],
)
def test_a_number_not_valid_in_its_country_is_refused(number, country):
    with pytest.raises(ValidationError) as excinfo:
        parse_phone_in_country(number, country)

    assert excinfo.value.code == "invalid_phone"


def test_a_number_of_another_country_is_refused_naming_both_countries():
    with pytest.raises(ValidationError) as excinfo:
        parse_phone_in_country("+82 2-1234-5678", "JP")

    assert excinfo.value.code == "phone_of_another_country"
    assert excinfo.value.messages == [
        "This is a number of South Korea. Choose South Korea as the country, or enter a number of Japan."
    ]


def test_the_refusal_names_the_country_in_the_ui_language():
    with translation.override("ja"), pytest.raises(ValidationError) as excinfo:
        parse_phone_in_country("12", "JP")

    assert excinfo.value.params["country"] == "日本"
    assert excinfo.value.params["example"] == "03-1234-5678"


# --- one example per country, the same in the help text and in the error (issue 20) ---------------------------


@pytest.mark.parametrize("country", ["KR", "JP", "US", "DE"])
def test_each_countrys_example_is_a_valid_number_there_and_the_one_its_error_shows(country):
    example = phone_example(country)

    with pytest.raises(ValidationError) as excinfo:
        parse_phone_in_country("12", country)

    assert parse_phone_in_country(example, country).is_valid()
    assert excinfo.value.params["example"] == example


@pytest.mark.parametrize(
    ("language", "help_text"),
    [
        pytest.param(
            "en", "As dialled in the chosen country, such as 02-1234-5678 in Korea or 03-1234-5678 in Japan.", id="en"
        ),
        pytest.param("ja", "選択した国での番号を入力します（例: 韓国 02-1234-5678、日本 03-1234-5678）。", id="ja"),
        pytest.param(
            "ko", "선택한 국가에서 거는 번호를 입력합니다(예: 한국 02-1234-5678, 일본 03-1234-5678).", id="ko"
        ),
    ],
)
@pytest.mark.parametrize("country", ["KR", "JP"])
def test_the_phone_error_gives_the_example_of_the_help_text(language, help_text, country):
    with translation.override(language):
        form = CompanyForm({"company_name": "Acme", "company_phone_country": country, "company_phone": "12"})
        form.is_valid()
        [error] = form.errors["company_phone"]
        shown_help = str(form["company_phone"].help_text)

    assert shown_help == help_text
    assert phone_example(country) in error
    assert phone_example(country) in shown_help


@pytest.mark.parametrize(("language", "country"), [("en", "KR"), ("ko", "KR"), ("ja", "JP"), (None, "KR")])
def test_the_default_country_follows_the_language(language, country):
    assert default_phone_country(language) == country


def test_countries_are_named_in_the_ui_language_with_their_calling_code():
    assert ("JP", "Japan +81") in phone_country_choices("en")
    assert ("JP", "日本 +81") in phone_country_choices("ja")
    assert ("KR", "대한민국 +82") in phone_country_choices("ko")


# --- NAVER WORKS Admin company form (SPEC 7.2) and Django admin -----------------------------------------------


@pytest.fixture
def trial():
    subscription = TrialSubscriptionFactory(applied_on=date(2026, 12, 1))
    Workspace.objects.filter(pk=subscription.workspace_id).update(
        company_set_up_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    )
    return subscription


def test_the_company_form_stores_a_japanese_number_and_shows_it_internationally(trial, works_login):
    client = works_login(f"admin@{trial.workspace.name}")

    saved = client.post(
        "/works/company/",
        {
            "company_name": "Acme Tokyo",
            "company_phone_country": "JP",
            "company_phone": "03-1234-5678",
            "company_address": "",
        },
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    home = client.get("/works/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    edit = client.get("/works/company/").content.decode()

    assert saved.status_code == 302
    workspace = Workspace.objects.get(pk=trial.workspace_id)
    assert workspace.company_phone.as_e164 == "+81312345678"
    assert "<dd>+81 3-1234-5678</dd>" in home
    # Editing again shows the number's own country (not the English UI's default) and its national form.
    assert '<option value="JP" selected>' in edit
    assert 'value="03-1234-5678"' in edit


def test_the_company_form_refuses_a_number_of_another_country_and_changes_nothing(trial, works_login):
    client = works_login(f"admin@{trial.workspace.name}")

    response = client.post(
        "/works/company/",
        {"company_name": "Acme Tokyo", "company_phone_country": "JP", "company_phone": "02-1234-5678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "company_phone": ["Enter a valid phone number of Japan, such as 03-1234-5678."]
    }
    workspace = Workspace.objects.get(pk=trial.workspace_id)
    assert (workspace.company_name, workspace.company_phone.as_e164) == ("Acme Korea", "+82212345678")


def test_django_admin_shows_the_phone_in_its_international_form(admin_client):
    workspace = TrialSubscriptionFactory(workspace__company_phone="+81312345678").workspace

    html = admin_client.get(reverse("admin:workspaces_workspace_change", args=[workspace.pk])).content.decode()

    assert 'value="+81 3-1234-5678"' in html
