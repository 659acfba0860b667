from django.http import HttpRequest

from .shell import NAVER_WORKS_NAMESPACES, PLATFORMS, REGIONS, current_platform, current_region


def console_shell(request: HttpRequest) -> dict:
    """The header selectors of SPEC 2, read from the session."""
    return {
        "shell_regions": REGIONS,
        "shell_platforms": PLATFORMS,
        "shell_region": current_region(request),
        "shell_platform": current_platform(request),
        # The menu shows Services > Business Applications > NAVER WORKS expanded on the NAVER WORKS pages.
        "shell_menu_open": getattr(request.resolver_match, "namespace", "") in NAVER_WORKS_NAMESPACES,
    }
