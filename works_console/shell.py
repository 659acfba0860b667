"""The console shell (SPEC 2): Region and Platform, kept in the session."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

REGIONS = {"KR": _("Korea")}
PLATFORMS = {"VPC": "VPC", "CLASSIC": "Classic"}
DEFAULT_REGION = "KR"
DEFAULT_PLATFORM = "VPC"
# URL namespaces of the pages under Services > Business Applications > NAVER WORKS.
NAVER_WORKS_NAMESPACES = frozenset({"subscriptions", "billing"})


def current_region(request: HttpRequest) -> str:
    region = request.session.get("region", DEFAULT_REGION) if hasattr(request, "session") else DEFAULT_REGION
    return region if region in REGIONS else DEFAULT_REGION


def current_platform(request: HttpRequest) -> str:
    platform = request.session.get("platform", DEFAULT_PLATFORM) if hasattr(request, "session") else DEFAULT_PLATFORM
    return platform if platform in PLATFORMS else DEFAULT_PLATFORM
