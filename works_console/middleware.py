"""Request guards that no single view can own (issue 11)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse


class AdminNulQueryMiddleware:
    """A NUL byte in Django admin's query string (list filters `?status__exact=%00`, search `?q=%00`) is a 400.

    The admin hands those values to the database, and PostgreSQL refuses a NUL in a string with an error that
    the admin does not catch (a 500). Every ModelAdmin is covered, third-party ones (axes, celery beat) too.
    The console's own views check their parameters themselves (a public id that is not one is a 404).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(reverse("admin:index")) and _has_nul(request):
            return HttpResponseBadRequest("A query parameter contains a NUL character.", content_type="text/plain")
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())
