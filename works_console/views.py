from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from kombu import Connection
from kombu.exceptions import KombuError

from .cache import cache_ok
from .redirects import safe_next_path
from .shell import PLATFORMS, REGIONS


def home(request: HttpRequest) -> HttpResponse:
    return redirect("subscriptions:my-product")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _broker_ok() -> bool:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except (KombuError, OSError):
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and compose. Only the database makes the web tier unhealthy (503): without
    the cache or the broker the pages still serve (rate limits degrade, jobs wait), so the answer is 200
    "degraded", naming what is down, and a balancer keeps sending traffic."""
    checks = {"database": _database_ok(), "cache": cache_ok(), "broker": _broker_ok()}
    if not checks["database"]:
        status = "unavailable"
    elif all(checks.values()):
        status = "ok"
    else:
        status = "degraded"
    body = {"status": status} | {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(body, status=503 if status == "unavailable" else 200)


@require_POST
def shell_select(request: HttpRequest) -> HttpResponseRedirect:
    """Keep the header's Region and Platform in the session (SPEC 2)."""
    if request.POST.get("region") in REGIONS:
        request.session["region"] = request.POST["region"]
    if request.POST.get("platform") in PLATFORMS:
        request.session["platform"] = request.POST["platform"]
    return HttpResponseRedirect(
        safe_next_path(request, request.POST.get("next")) or reverse("subscriptions:my-product")
    )
