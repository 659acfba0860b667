"""Request guards that no single view can own (issues 11, 21)."""

from collections.abc import Callable

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse

# What reading a request's form body can raise: a charset other than UTF-8 on an urlencoded body (BadRequest), a
# broken multipart body, a body or a field count over Django's limits (SuspiciousOperation's subclasses).
UNREADABLE_BODY = (BadRequest, SuspiciousOperation, MultiPartParserError, UnicodeError)


class UnreadableBodyMiddleware:
    """A form body that cannot be read is a 400, answered before anything reads it (issue 21).

    Django raises when `request.POST` is first read, wherever that happens: in the CSRF check, in a view, and again
    in the 400 handler's own CSRF check, which turned a bad charset into a 500 on every URL. Reading the body here,
    early in the stack, answers such a request once, in plain text; every later reader finds it parsed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 (parsed now, on purpose)
            except UNREADABLE_BODY:
                return HttpResponseBadRequest(
                    "The request body cannot be read: send a form as UTF-8.", content_type="text/plain"
                )
        return self.get_response(request)


class AdminBadInputMiddleware:
    """Bad input that Django admin hands to the database unchecked is a 400, never a 500:

    - a NUL byte in the query string (list filters `?status__exact=%00`, search): PostgreSQL refuses a NUL in a
      string with an error the admin does not catch;
    - an action on selected rows whose ids are not ids of the model (`_selected_action=abc` on an integer key):
      the admin filters `pk__in` with them and the field raises;
    - a date drill-down (`date_hierarchy`) with a number out of a date's range (`?applied_on__year=9999`, or
      `99999999999999999999`): the admin builds datetimes from it and catches only the ValueError of a date that
      does not exist, not the OverflowError of its own arithmetic (issue 21).

    Every ModelAdmin is covered, third-party ones (axes, celery beat) too. The console's own views check their
    parameters themselves (a public id that is not one is a 404).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(reverse("admin:index")) and _has_nul(request):
            return HttpResponseBadRequest("A query parameter contains a NUL character.", content_type="text/plain")
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        # ModelAdmin.get_urls() marks its views with the ModelAdmin they belong to.
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None:
            return None
        if model_admin.date_hierarchy and _date_drilldown_overflows(request, model_admin.date_hierarchy):
            return HttpResponseBadRequest("The date filter is not a date.", content_type="text/plain")
        if request.method != "POST" or ACTION_CHECKBOX_NAME not in request.POST:
            return None
        primary_key = model_admin.model._meta.pk
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                if "\x00" in value:
                    raise ValidationError("NUL")
                primary_key.to_python(value)
        except ValidationError:
            return HttpResponseBadRequest("The selected rows are not rows of this list.", content_type="text/plain")
        return None


def _has_nul(request: HttpRequest) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


# The date parts a drill-down accepts. Django admin refuses a date that does not exist (a ValueError it catches),
# but not a number too large for a machine integer (an OverflowError), nor a year whose next year, month or day is
# past 9999 or whose first instant in the time zone is before year 1 (its own arithmetic overflows).
_DATE_DRILLDOWN_PARTS = {"year": range(2, 9999), "month": range(1, 13), "day": range(1, 32)}


def _date_drilldown_overflows(request: HttpRequest, field: str) -> bool:
    for part, accepted in _DATE_DRILLDOWN_PARTS.items():
        for value in request.GET.getlist(f"{field}__{part}"):
            try:
                if int(value) not in accepted:
                    return True
            except ValueError:
                continue  # not a number: the admin's own check refuses it
    return False
