from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import health
from .redirects import safe_next_path
from .shell import PLATFORMS, REGIONS


def home(request: HttpRequest) -> HttpResponse:
    return redirect("subscriptions:my-product")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 in the console's skeleton (templates/404.html: the UI language, the skip link, a way back; SPEC 14).
    Its header's forms return to the home page, not to the address asked for, which the page never repeats: it
    may name another customer's subscription (a foreign id is a 404 like any unknown one)."""
    return render(request, "404.html", {"next_path": reverse("home")}, status=404)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and compose. Only the database makes the web tier unhealthy (503): without
    the cache or the broker the pages still serve (rate limits degrade, jobs wait), so the answer is 200
    "degraded", naming what is down, and a balancer keeps sending traffic. Each dependency has 300 ms to answer,
    and the answer is kept a few seconds (works_console/health.py): an outage never holds a web worker."""
    checks = health.checks()
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
