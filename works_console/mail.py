"""Every e-mail the console sends: plain text and HTML (multipart/alternative), in the customer's language.

A mail is three templates beside each other: ``emails/<name>_subject.txt``, ``emails/<name>.txt`` and
``emails/<name>.html`` (which extends ``emails/base.html``), rendered with the customer's language
(``customer_language``: ``User.language``) active, whatever language the request or job that sends it runs in.

A job that mails a whole chunk (the reminders) renders each (template, language) once instead
(``render_mail_template``), with a placeholder in place of every per-recipient value, and then only substitutes
the values into the rendered strings: rendering a Django template costs far more than building the message.
Such templates read plain, pre-formatted variables (names, ISO dates, amounts), never the rows themselves; the
HTML part gets the values escaped.
"""

import re
from dataclasses import dataclass
from typing import Self

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.html import escape


def customer_language(customer, *, default: str | None = None) -> str:
    """The language a customer is written to in (mails, billing documents): ``User.language``, stored at sign-up
    from the UI language and changed on the profile; without one offered, ``default`` (the language of the request
    that asked for the mail), else the site's."""
    offered = dict(settings.LANGUAGES)
    language = getattr(customer, "language", "") or ""
    if language in offered:
        return language
    return default if default in offered else settings.LANGUAGE_CODE


def render_mail(
    name: str, context: dict, *, customer, to: str | None = None, default_language: str | None = None
) -> EmailMultiAlternatives:
    """The mail ``name`` to ``customer`` (at ``to``, else the customer's e-mail), not sent yet, in
    ``customer_language(customer, default=default_language)``."""
    context = {"customer": customer, "first_name": customer.first_name, **context}
    with translation.override(customer_language(customer, default=default_language)):
        # One line, whatever the template's line breaks: a header cannot hold a newline.
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to or customer.email])
    message.attach_alternative(html, "text/html")
    return message


# --- one rendering per (template, language), filled per recipient ---------------------------------------------

PLACEHOLDER = re.compile(r"\u27e6(\w+)\u27e7")  # ⟦name⟧: nothing in a template or a translation looks like it


def placeholder(field: str) -> str:
    return f"\u27e6{field}\u27e7"


@dataclass(frozen=True)
class Filled:
    """A rendered string cut at its placeholders: literal, field, literal, field, ..., literal."""

    parts: tuple[str, ...]

    @classmethod
    def parse(cls, rendered: str) -> Self:
        return cls(tuple(PLACEHOLDER.split(rendered)))

    def fill(self, values: dict[str, str]) -> str:
        parts = list(self.parts)
        parts[1::2] = [values[field] for field in parts[1::2]]
        return "".join(parts)


@dataclass(frozen=True)
class MailTemplate:
    subject: Filled
    text: Filled
    html: Filled | None

    def message(self, values: dict[str, str], *, to: list[str], from_email: str) -> EmailMessage:
        # A header holds one line: a value with a line break would otherwise be refused by EmailMessage.
        subject = " ".join(self.subject.fill(values).split())
        if self.html is None:
            return EmailMessage(subject, self.text.fill(values), from_email, to)
        message = EmailMultiAlternatives(subject, self.text.fill(values), from_email, to)
        message.attach_alternative(self.html.fill({key: escape(value) for key, value in values.items()}), "text/html")
        return message


def render_mail_template(name: str, *, language: str, fields: tuple[str, ...]) -> MailTemplate:
    """Render `emails/<name>_subject.txt`, `emails/<name>.txt` and, if present, `emails/<name>.html` once in
    `language`, with a placeholder for each of `fields` (the values every recipient gets filled in)."""
    context = {field: placeholder(field) for field in fields}
    with translation.override(language):
        subject = get_template(f"emails/{name}_subject.txt").render(context)
        text = get_template(f"emails/{name}.txt").render(context)
        try:
            html = get_template(f"emails/{name}.html").render(context)
        except TemplateDoesNotExist:
            html = None
    return MailTemplate(
        subject=Filled.parse(subject.strip()),
        text=Filled.parse(text),
        html=Filled.parse(html) if html is not None else None,
    )
