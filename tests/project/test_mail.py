"""works_console.mail: a template rendered once per language, filled per recipient, with an optional HTML part."""

import pytest
from django.core.mail import EmailMultiAlternatives
from django.test import override_settings

from works_console.mail import render_mail_template

TEMPLATES = {
    "emails/greeting_subject.txt": "{% load i18n %}{% translate 'Language' %}: hello {{ name }}",
    "emails/greeting.txt": "Dear {{ name }}, you owe {{ total }} KRW.",
    "emails/greeting.html": "<p>Dear <b>{{ name }}</b>, you owe {{ total }} KRW.</p>",
    "emails/plain_subject.txt": "About {{ name }}",
    "emails/plain.txt": "Only text for {{ name }}.",
}
LOCMEM = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]},
    }
]


@override_settings(TEMPLATES=LOCMEM)
def test_a_template_with_an_html_part_gives_a_multipart_mail_with_escaped_values_in_html_only():
    template = render_mail_template("greeting", language="ja", fields=("name", "total"))

    message = template.message({"name": "A&B <Ltd>", "total": "3,960"}, to=["a@example.com"], from_email="x@e.com")

    assert isinstance(message, EmailMultiAlternatives)
    assert message.subject == "言語: hello A&B <Ltd>"
    assert message.body == "Dear A&B <Ltd>, you owe 3,960 KRW."
    assert message.alternatives[0].content == "<p>Dear <b>A&amp;B &lt;Ltd&gt;</b>, you owe 3,960 KRW.</p>"
    assert message.alternatives[0].mimetype == "text/html"


@override_settings(TEMPLATES=LOCMEM)
def test_one_rendering_fills_many_recipients_and_a_line_break_never_reaches_the_subject():
    template = render_mail_template("plain", language="en", fields=("name",))

    first = template.message({"name": "acme"}, to=["a@example.com"], from_email="x@e.com")
    second = template.message({"name": "two\nlines"}, to=["b@example.com"], from_email="x@e.com")

    assert (first.subject, first.body) == ("About acme", "Only text for acme.")
    assert (second.subject, second.body) == ("About two lines", "Only text for two\nlines.")
    assert not isinstance(first, EmailMultiAlternatives)


@override_settings(TEMPLATES=LOCMEM)
def test_a_value_missing_for_a_placeholder_is_an_error_not_a_blank():
    template = render_mail_template("plain", language="en", fields=("name",))

    with pytest.raises(KeyError):
        template.message({}, to=["a@example.com"], from_email="x@e.com")
