"""E-mails rendered once per template and language, then filled per recipient (SPEC 6 reminders at batch speed).

Rendering a Django template costs far more than building the message: a job that mails a chunk of 1,000
customers renders each (template, language) once, with a placeholder in place of every per-recipient value, and
then only substitutes the values into the rendered strings. Translations and template logic therefore may not
depend on the values (they are plain, pre-formatted strings: names, ISO dates, amounts). A template may have an
HTML part (`<name>.html` beside `<name>.txt`): the message is then multipart, with the values HTML-escaped there.
"""

import re
from dataclasses import dataclass
from typing import Self

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape

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
