import hmac

from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from kombu import Connection
from kombu.exceptions import KombuError

from .cache import cache_ok
from .redirects import safe_next_path
from .shell import PLATFORMS, REGIONS


def home(request: HttpRequest) -> HttpResponse:
    return redirect("subscriptions:my-product")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 in the console's skeleton (templates/404.html: the UI language, the skip link, a way back; SPEC 14).
    Its header's forms return to the home page, not to the address asked for, which the page never repeats: it
    may name another customer's subscription (a foreign id is a 404 like any unknown one)."""
    return render(request, "404.html", {"next_path": reverse("home")}, status=404)


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


def _metrics_allowed(request: HttpRequest) -> bool:
    """Staff, or a scraper presenting ``Authorization: Bearer <METRICS_TOKEN>`` (no token set: staff only)."""
    if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), token)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format (SPEC 11): job durations, items processed, errors, the due backlog per job."""
    if not _metrics_allowed(request):
        response = HttpResponse("Forbidden: staff or a metrics token only.\n", status=403, content_type="text/plain")
        response["WWW-Authenticate"] = "Bearer"
        return response
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    from subscriptions.metrics import LifecycleCollector

    registry = CollectorRegistry(auto_describe=False)
    registry.register(LifecycleCollector(now=timezone.now()))
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
