"""Password reset (SPEC 8, 9): Django's token views, a one-hour link in the customer's language, every session
ended, the same answer for unknown addresses, throttled. Mails are read from a real SMTP server (tests.smtp)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests.accounts.factories import UserFactory
from tests.conftest import USER_PASSWORD
from tests.smtp import parts

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "a-brand-new-passphrase-7"
LINK = re.compile(r"http://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def ask_for_link(client: Client, email: str, **headers):
    return client.post(RESET, {"email": email}, **headers)


def link_in(message) -> str:
    return LINK.search(parts(message)["text/plain"]).group(1)


def test_the_reset_page_has_the_spec_labels(client):
    response = client.get(RESET)

    assert [str(field.label) for field in response.context["form"]] == ["Email"]
    assert 'value="Send reset link"' in response.content.decode()


def test_the_login_page_links_to_the_reset(client):
    html = client.get(reverse("accounts:login")).content.decode()

    assert f'<a href="{RESET}">Forgot your password?</a>' in html


def test_a_known_address_gets_a_multipart_mail_in_the_customers_language(client, smtp_inbox):
    UserFactory(email="sakura@example.jp", first_name="さくら", language="ja")

    response = ask_for_link(client, "Sakura@Example.jp", HTTP_ACCEPT_LANGUAGE="en")

    assert (response.status_code, response["Location"]) == (302, reverse("accounts:password-reset-done"))
    [message] = smtp_inbox.messages
    assert smtp_inbox.recipients == [["sakura@example.jp"]]
    assert message["Subject"] == "NAVER Cloud Platformコンソールのパスワード再設定"
    texts = parts(message)
    assert texts["text/plain"].startswith("さくら 様")
    assert "1時間以内" in texts["text/plain"]
    path = link_in(message)
    assert f'href="http://testserver{path}"' in texts["text/html"]
    assert '<html lang="ja">' in texts["text/html"]


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, smtp_inbox):
    UserFactory(email="known@example.com")

    unknown = ask_for_link(client, "nobody@example.com")
    known = ask_for_link(Client(), "known@example.com")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert smtp_inbox.recipients == [["known@example.com"]]
    done = client.get(unknown["Location"]).content.decode()
    assert "If an account uses this email, a link to set a new password is on its way." in done


def test_the_link_sets_a_new_password_and_ends_every_session(client, smtp_inbox):
    user = UserFactory(email="minji@example.com")
    other_device = Client()
    other_device.force_login(user)
    ask_for_link(client, "minji@example.com")

    form_page = client.get(link_in(smtp_inbox.messages[0]), follow=True)
    html = form_page.content.decode()
    assert [str(field.label) for field in form_page.context["form"]] == ["New password", "New password (again)"]
    assert 'value="Set password"' in html
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert (done.status_code, done["Location"]) == (302, reverse("accounts:login"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The session opened before the reset is over at its next request.
    assert other_device.get(reverse("subscriptions:my-product")).status_code == 302
    assert SESSION_KEY not in other_device.session


def test_the_link_works_once(client, smtp_inbox):
    user = UserFactory(email="minji@example.com")
    ask_for_link(client, "minji@example.com")
    path = link_in(smtp_inbox.messages[0])
    form_page = client.get(path, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(path, follow=True)
    refused = Client().post(
        again.redirect_chain[-1][0] if again.redirect_chain else path,
        {"new_password1": "yet-another-passphrase-8", "new_password2": "yet-another-passphrase-8"},
    )

    assert "This link is no longer valid" in again.content.decode()
    assert "This link is no longer valid" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(("minutes", "valid"), [(59, True), (61, False)])
def test_the_link_is_valid_for_one_hour(client, smtp_inbox, minutes, valid):
    UserFactory(email="minji@example.com")
    ask_for_link(client, "minji@example.com")
    path = link_in(smtp_inbox.messages[0])

    # A KST zone-aware destination: time-machine then also fakes the local clock the token generator reads.
    with time_machine.travel(timezone.localtime() + timedelta(minutes=minutes)):
        page = Client().get(path, follow=True)

    assert ("This link is no longer valid" not in page.content.decode()) is valid
    assert ('value="Set password"' in page.content.decode()) is valid


def test_mismatched_new_passwords_are_refused_and_change_nothing(client, smtp_inbox):
    user = UserFactory(email="minji@example.com")
    ask_for_link(client, "minji@example.com")
    form_page = client.get(link_in(smtp_inbox.messages[0]), follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"new_password2": ["The two passwords do not match."]}
    user.refresh_from_db()
    assert user.check_password(USER_PASSWORD)


def test_requests_for_one_address_are_throttled_whether_it_is_known_or_not(client, smtp_inbox, settings):
    UserFactory(email="minji@example.com")
    answers = [ask_for_link(client, "minji@example.com").status_code for _ in range(6)]
    unknown = [ask_for_link(client, "nobody@example.com").status_code for _ in range(6)]

    assert answers == [302] * 5 + [429]
    assert unknown == [302] * 5 + [429]
    assert len(smtp_inbox.messages) == 5
    refused = ask_for_link(client, "minji@example.com")
    assert "Too many reset requests. Wait 15 minutes and try again." in refused.content.decode()
    assert len(smtp_inbox.messages) == 5


def test_requests_from_one_client_are_throttled_across_addresses(client, smtp_inbox):
    UserFactory(email="last@example.com")
    for number in range(20):
        ask_for_link(client, f"someone{number}@example.com")

    refused = ask_for_link(client, "last@example.com")

    assert refused.status_code == 429
    assert smtp_inbox.messages == []
    assert User.objects.get(email="last@example.com").check_password(USER_PASSWORD)
