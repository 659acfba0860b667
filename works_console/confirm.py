"""A confirmation step for destructive one-click actions (SPEC 10; issue 12): remove, rename, withdraw.

The action's form posts as before. Without ``confirmed=1`` the view answers with a confirmation page instead
of acting: the same form again, with the message, the action's button and a way back. That works without
JavaScript and with the keyboard; static/js/confirm.js shows the same question in a modal before the first
post (the form's ``data-confirm`` message) and then posts ``confirmed=1`` directly.

A question that depends on what is typed (the group rename names the new name, once it passed every rule) is
asked by the server: the form has ``data-confirm-check``, confirm.js posts it first with the header
``X-Confirm-Check: 1``, and the view, where it would answer with the confirmation page, answers with the
question as JSON instead; any other answer (the page with the field's errors) is the form's own to show, so
confirm.js then posts the form as it is.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

CONFIRMED = "confirmed"
CHECK_HEADER = "X-Confirm-Check"


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRMED) == "1"


def is_check(request: HttpRequest) -> bool:
    """confirm.js asks whether the form would be confirmed, and with which question."""
    return request.headers.get(CHECK_HEADER) == "1"


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The question a destructive action asks: one text for the modal and for the no-JavaScript page."""

    title: str
    message: str
    button: str

    def attrs(self) -> SafeString:
        """The data attributes of the action's form that static/js/confirm.js reads."""
        return format_html(
            'data-confirm-title="{}" data-confirm="{}" data-confirm-button="{}" data-confirm-back="{}"',
            self.title,
            self.message,
            self.button,
            gettext("Back"),
        )

    def page(
        self,
        request: HttpRequest,
        *,
        template: str,
        back_url: str,
        fields: dict[str, str] | None = None,
        context: dict | None = None,
    ) -> HttpResponse:
        """The no-JavaScript confirmation: posts the same fields to the same URL, with ``confirmed=1``. To
        confirm.js's check (``data-confirm-check``), the question itself, as JSON, for its modal."""
        if is_check(request):
            return JsonResponse(
                {"title": self.title, "message": self.message, "button": self.button, "back": gettext("Back")}
            )
        return render(
            request,
            template,
            {
                "confirm_title": self.title,
                "confirm_message": self.message,
                "confirm_button": self.button,
                "confirm_action": request.path,
                "confirm_fields": sorted((fields or {}).items()),
                "confirm_back_url": back_url,
                **(context or {}),
            },
        )


def confirm_filter(questions: dict):
    """A template filter `{{ subject|confirm:"name" }}` giving the form the data attributes of that question."""

    def confirm(subject, name: str) -> SafeString:
        return questions[name](subject).attrs()

    return confirm
