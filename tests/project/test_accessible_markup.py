"""The markup SPEC 14 asks of every page, without a browser: a form sent with errors answers with one error summary
at the top (a heading, one link per field in error leading to that field, described by the field's message) while
each field keeps its own message, marked invalid and described by it; the page's language is the UI's; a skip
link leads to the content.

The browser tests (tests/browser/test_accessibility.py, test_keyboard_journeys.py) check the same in Chromium,
with axe-core and the keyboard; these name the form kinds one by one: crispy's, an action page laid out by hand,
a NAVER WORKS Admin add form.
"""

import re

import pytest
from django.test import Client
from django.utils import timezone

from tests.subscriptions.factories import TrialSubscriptionFactory
from tests.workspaces.factories import ADMIN_PASSWORD
from works_console.dates import kst_date

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r'<div class="alert alert-danger error-summary"[^>]*data-error-summary>(.*?)</div>', re.S)


def summary_links(html: str) -> dict[str, str]:
    """The error summary's links: the id each leads to -> its text. Exactly one summary on the page."""
    [summary] = SUMMARY.findall(html)
    links = re.findall(r'<a class="alert-link" href="#([^"]+)" aria-describedby="([^"]+)">([^<]+)</a>', summary)
    for target, described_by, _label in links:
        assert described_by == f"{target.removesuffix('_0')}_error"  # the field's own message
    return {target: label for target, _described_by, label in links}


def field_tag(html: str, field_id: str) -> str:
    [tag] = re.findall(rf'<(?:input|select|textarea)[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    return tag


def assert_field_in_error(html: str, field_id: str) -> None:
    tag = field_tag(html, field_id)
    assert 'aria-invalid="true"' in tag
    assert f"{field_id}_error" in re.search(r'aria-describedby="([^"]*)"', tag).group(1).split()
    assert f'id="{field_id}_error"' in html  # the field's own message is still there


def test_a_crispy_form_sent_with_errors_has_its_summary_with_a_link_per_field(client):
    response = client.post(
        "/accounts/signup/",
        {"first_name": "A1", "last_name": "Kim", "email": "not-an-email", "password1": "", "password2": ""},
    )
    html = response.content.decode()
    links = summary_links(html)
    assert set(links) == {"id_first_name", "id_email", "id_password1", "id_password2"}
    assert links["id_email"] == "Email"
    assert html.count("Enter a valid email") == 1  # at the field, the link only points to it
    for field_id in links:
        assert_field_in_error(html, field_id)
    assert "<form" in html and "novalidate" in re.search(r"<form[^>]*>", html[html.index("<main") :]).group(0)


def test_the_forms_own_error_is_in_the_summary_without_a_link(client):
    html = client.post("/accounts/login/", {"username": "nobody@example.com", "password": "wrong-1"}).content.decode()
    [summary] = SUMMARY.findall(html)
    assert "Enter a correct email and password." in summary
    assert summary_links(html) == {}


def test_an_action_page_laid_out_by_hand_has_the_same_summary(customer_client, customer):
    trial = TrialSubscriptionFactory(customer=customer, applied_on=kst_date(timezone.now()))
    response = customer_client.post(
        f"/naver-works/my-product/{trial.public_id}/cancel/",
        {"cancellation_date": "2000-01-01", "confirmation_phrase": "cancel it"},
    )
    html = response.content.decode()
    links = summary_links(html)
    assert set(links) == {"id_cancellation_date", "id_confirmation_phrase"}
    for field_id in links:
        assert_field_in_error(html, field_id)


def test_a_naver_works_admin_add_form_has_its_summary(db):
    subscription = TrialSubscriptionFactory(
        applied_on=kst_date(timezone.now()), workspace__company_set_up_at=timezone.now()
    )
    client = Client()
    client.post("/works/login/", {"account_id": subscription.admin_account_id, "password": ADMIN_PASSWORD})
    html = client.post("/works/members/add/", {"member-login_id": "Bad Id!"}, follow=True).content.decode()
    links = summary_links(html)
    assert {"id_member-login_id", "id_member-name", "id_member-password"} <= set(links)


@pytest.mark.parametrize(("accept_language", "lang"), [("en", "en"), ("ja", "ja"), ("ko", "ko")])
@pytest.mark.parametrize("path", ["/accounts/login/", "/works/login/", "/no-such-page/"])
def test_every_page_has_the_ui_language_and_a_skip_link(client, path, accept_language, lang):
    html = client.get(path, HTTP_ACCEPT_LANGUAGE=accept_language).content.decode()
    assert f'<html lang="{lang}">' in html
    body = html[html.index("<body") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link' in first_link and 'href="#main"' in first_link
    assert '<main class="' in body and 'id="main"' in body


def test_the_not_found_page_never_repeats_the_address_asked_for(customer_client):
    # A foreign subscription's id is a 404 like an unknown one: the page names neither (its forms go home).
    response = customer_client.get("/naver-works/my-product/SomeOnesElse123/convert/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "SomeOnesElse123" not in html
    assert 'name="next" value="/"' in html
