"""Every e-mail the console sends: plain text and HTML (multipart/alternative), in the customer's language.

A mail is three templates beside each other: ``emails/<name>_subject.txt``, ``emails/<name>.txt`` and
``emails/<name>.html`` (which extends ``emails/base.html``), rendered with the customer's ``User.language``
active, whatever language the request or job that sends it runs in.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def mail_language(customer) -> str:
    return getattr(customer, "language", "") or settings.LANGUAGE_CODE


def render_mail(name: str, context: dict, *, customer, to: str | None = None) -> EmailMultiAlternatives:
    """The mail ``name`` to ``customer`` (at ``to``, else the customer's e-mail), not sent yet."""
    context = {"customer": customer, **context}
    with translation.override(mail_language(customer)):
        # One line, whatever the template's line breaks: a header cannot hold a newline.
        subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to or customer.email])
    message.attach_alternative(html, "text/html")
    return message
