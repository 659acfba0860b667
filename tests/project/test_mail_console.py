"""Mails in development (issue 19): printed on the console as a person reads them, so the password-reset link
copied from `make run`'s output works (Django's own console backend prints it quoted-printable: a 404)."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.celery_queue import run_queued_tasks
from works_console.mail_backends import ReadableConsoleBackend, readable_mail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_queue")]
ROOT = Path(__file__).resolve().parents[2]
RESET = reverse("accounts:password-reset")
NEW_PASSWORD = "a-brand-new-passphrase-7"
# A link as a reader copies it from a terminal: from its start to the end of its line.
COPIED_LINK = re.compile(r"^http://testserver(/\S*)$", re.MULTILINE)


def test_the_reset_link_copied_from_the_console_sets_a_new_password(client, settings, capsys):
    settings.EMAIL_BACKEND = "works_console.mail_backends.ReadableConsoleBackend"
    customer = UserFactory(email="dana@example.com", first_name="Dana")

    client.post(RESET, {"email": "dana@example.com"})
    run_queued_tasks()  # the reset mail goes out from a task, after the answer (issue 21)
    printed = capsys.readouterr().out
    [path] = COPIED_LINK.findall(printed)
    form = client.get(path)
    done = client.post(form["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert "Content-Transfer-Encoding" not in printed
    assert "=3D" not in printed
    assert (form.status_code, form["Location"]) == (302, path.rsplit("/", 2)[0] + "/set-password/")
    assert (done.status_code, done["Location"]) == (302, reverse("accounts:login"))
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_djangos_own_console_backend_breaks_the_reset_link_that_is_why_ours_prints_it_decoded(client, settings):
    stream = StringIO()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    UserFactory(email="dana@example.com", first_name="Dana")
    client.post(RESET, {"email": "dana@example.com"})
    run_queued_tasks()

    DjangoConsoleBackend(stream=stream).send_messages(mail.outbox)
    [copied] = COPIED_LINK.findall(stream.getvalue().split("text/html")[0])

    # Quoted-printable cuts the link with a soft line break (a trailing "="): its first line is what gets copied,
    # and it never reaches the form that sets a new password.
    assert copied.endswith("=")
    assert 'name="new_password1"' not in client.get(copied, follow=True).content.decode()


def test_a_mail_is_printed_with_its_headers_its_text_decoded_and_a_line_per_attachment():
    message = EmailMultiAlternatives(
        "請求書を発行しました",
        "山田 様\n\n請求書 INV-2027-000001 を発行しました。金額: 3,960円\nhttp://127.0.0.1:8000/billing/?a=1&b=2\n",
        "Works Console <no-reply@works-console.local>",
        ["yamada@example.jp"],
        cc=["accounting@example.jp"],
    )
    message.attach_alternative("<p>山田 様</p>", "text/html")
    message.attach("INV-2027-000001.pdf", b"%PDF-1.7 x", "application/pdf")

    printed = readable_mail(message)

    headers, body = printed.split("\n\n", 1)
    assert headers.splitlines()[:4] == [
        "Subject: 請求書を発行しました",
        "From: Works Console <no-reply@works-console.local>",
        "To: yamada@example.jp",
        "Cc: accounting@example.jp",
    ]
    assert headers.splitlines()[-2:] == [
        "Alternative: text/html",
        "Attachment: INV-2027-000001.pdf (application/pdf, 10 bytes)",
    ]
    assert body == (
        "山田 様\n\n請求書 INV-2027-000001 を発行しました。金額: 3,960円\nhttp://127.0.0.1:8000/billing/?a=1&b=2\n"
    )


def test_the_console_backend_writes_each_mail_between_separator_lines():
    stream = StringIO()
    message = EmailMultiAlternatives("Hello", "Body line\n", "from@example.com", ["to@example.com"])

    sent = ReadableConsoleBackend(stream=stream).send_messages([message, message])

    assert sent == 2
    lines = stream.getvalue().splitlines()
    assert lines.count("-" * 79) == 4
    assert lines[1:4] == ["Subject: Hello", "From: from@example.com", "To: to@example.com"]


def test_development_prints_mails_with_the_readable_backend_unless_a_backend_is_set():
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_BACKEND"}
    env |= {"DJANGO_SETTINGS_MODULE": "works_console.settings", "DJANGO_DEBUG": "true"}

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_BACKEND)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split()[-1] == "works_console.mail_backends.ReadableConsoleBackend"
