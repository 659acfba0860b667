"""The NAVER WORKS Admin session (SPEC 7.1), kept apart from the console customer's login.

A workspace member is not a console user: the session stores the member and workspace ids under keys of its
own, next to (and independent of) a console login in the same browser. Every request of an admin page loads
the member again and re-applies the login rules, so a session ends at its next request once the workspace is
suspended, terminated or purged, or the member is removed.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from .models import Member
from .selectors import member_access_error, session_member

SESSION_MEMBER_KEY = "works_member_id"
SESSION_WORKSPACE_KEY = "works_workspace_id"
SESSION_HASH_KEY = "works_member_hash"


def _member_hash(member: Member) -> str:
    # Like Django's session auth hash: a new password hash (or a re-used id) invalidates the session.
    return salted_hmac("workspaces.session", member.password, algorithm="sha256").hexdigest()


def works_login(request: HttpRequest, member: Member) -> None:
    # A new session key against fixation; cycle_key keeps the data, so a console login in the same browser stays.
    request.session.cycle_key()
    request.session[SESSION_MEMBER_KEY] = member.pk
    request.session[SESSION_WORKSPACE_KEY] = member.workspace_id
    request.session[SESSION_HASH_KEY] = _member_hash(member)


def works_logout(request: HttpRequest) -> None:
    for key in (SESSION_MEMBER_KEY, SESSION_WORKSPACE_KEY, SESSION_HASH_KEY):
        request.session.pop(key, None)


def current_member(request: HttpRequest) -> Member | None:
    """The member of this session if the session is still valid for them (not yet the access rules)."""
    member = session_member(
        member_id=request.session.get(SESSION_MEMBER_KEY), workspace_id=request.session.get(SESSION_WORKSPACE_KEY)
    )
    if member is None or not constant_time_compare(request.session.get(SESSION_HASH_KEY, ""), _member_hash(member)):
        return None
    return member


def works_member_required(view=None, *, admin_only: bool = True):
    """Let the request through for a signed-in member the login rules still admit (SPEC 7.1, 7.2); with
    `admin_only`, for the workspace admin only. Sets ``request.works_member``."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapped(request: HttpRequest, *args, **kwargs):
            member = current_member(request)
            if member is None:
                had_session = SESSION_MEMBER_KEY in request.session
                works_logout(request)
                if had_session:
                    messages.info(request, _("Your NAVER WORKS Admin session has ended. Log in again."))
                # After logging in again, come back here; a form post cannot be replayed, so go home instead.
                next_url = request.get_full_path() if request.method == "GET" else reverse("workspaces:home")
                return redirect_to_login(next_url, reverse("workspaces:login"))
            error = member_access_error(member)
            if error is not None:
                works_logout(request)
                for message in error.messages:
                    messages.error(request, message)
                return redirect("workspaces:login")
            if admin_only and not member.is_admin:
                messages.error(request, _("Only the workspace admin can do this."))
                return redirect("workspaces:home")
            request.works_member = member
            return view_func(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view is not None else decorator
