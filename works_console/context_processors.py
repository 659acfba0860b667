from django.http import HttpRequest

from .shell import PLATFORMS, REGIONS, current_platform, current_region


def console_shell(request: HttpRequest) -> dict:
    """The header selectors of SPEC 2, read from the session."""
    return {
        "shell_regions": REGIONS,
        "shell_platforms": PLATFORMS,
        "shell_region": current_region(request),
        "shell_platform": current_platform(request),
    }
