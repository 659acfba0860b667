"""Mail in development: Django's console backend, readable by a person.

Django's own console backend prints the message as it would travel, so a text part in UTF-8 comes out
quoted-printable: long lines are cut with a trailing ``=`` and every ``=`` reads ``=3D``. A link copied from it
is broken (the password-reset link led to a 404). This one prints the headers a reader needs, the text part
decoded, and one line per HTML alternative and attachment, so what a customer would read is what is printed and
a link copies whole.
"""

from email.message import EmailMessage as MimeMessage

from django.core.mail import EmailMessage
from django.core.mail.backends.console import EmailBackend

SEPARATOR = "-" * 79
HEADERS = ("Subject", "From", "To", "Cc", "Reply-To", "Date")


def readable_mail(message: EmailMessage) -> str:
    """``message`` as a person reads it: headers, the decoded text part, then what else it carries."""
    mime: MimeMessage = message.message()
    lines = [f"{name}: {mime[name]}" for name in HEADERS if mime[name]]
    if message.bcc:
        lines.append(f"Bcc: {', '.join(message.bcc)}")
    text = mime.get_body(preferencelist=("plain",))
    others = [part for part in mime.walk() if not part.is_multipart() and part is not text]
    for part in others:
        name = part.get_filename()
        size = len(part.get_payload(decode=True) or b"")
        described = f"{name} ({part.get_content_type()}, {size:,} bytes)" if name else part.get_content_type()
        lines.append(f"{'Attachment' if name else 'Alternative'}: {described}")
    body = text.get_content() if text is not None else "(no text part)\n"
    return "\n".join(lines) + "\n\n" + body.rstrip("\n") + "\n"


class ReadableConsoleBackend(EmailBackend):
    """EMAIL_BACKEND for development: each mail written to the console (stdout) as ``readable_mail``."""

    def write_message(self, message: EmailMessage) -> None:
        self.stream.write(f"{SEPARATOR}\n{readable_mail(message)}{SEPARATOR}\n")
