import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from works_console.cache import CACHE_ERRORS

from . import services
from .forms import (
    ConsoleLoginForm,
    ConsolePasswordResetForm,
    ConsoleSetPasswordForm,
    PasswordChangeForm,
    ProfileForm,
    SignupForm,
)
from .services import sign_up_language

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    form_class = ConsoleLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("subscriptions:my-product")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            language=sign_up_language(get_language()),
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to the console. Your account has been created."))
        return redirect("subscriptions:my-product")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update_profile(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            email=form.cleaned_data["email"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your profile has been successfully updated."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_password(user=request.user, new_password=form.cleaned_data["new_password1"])
        logout(request)
        messages.info(
            request, _("Changing your password will log you out immediately. Use the new password to log back in.")
        )
        return redirect("accounts:login")
    return render(request, "accounts/password_change.html", {"form": form})


# --- password reset (SPEC 8) ---------------------------------------------------------------------------------

RESET_RATELIMIT_GROUP = "accounts.password_reset"


class PasswordResetView(auth_views.PasswordResetView):
    """`Email`, `Send reset link`. Known or not, the address gets the same answer (the "check your inbox" page).

    Throttled like the login (SPEC 8): PASSWORD_RESET_RATE_PER_EMAIL requests per address asked about and
    PASSWORD_RESET_RATE_PER_CLIENT per client address; past either, the form answers 429 and sends nothing.
    """

    form_class = ConsolePasswordResetForm
    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password-reset-done")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        email = (request.POST.get("email") or "").strip().lower()
        try:
            limited_by_email = is_ratelimited(
                request,
                group=RESET_RATELIMIT_GROUP,
                key=lambda _group, _request: f"email:{email}",
                rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
                method="POST",
                increment=True,
            )
            limited_by_client = is_ratelimited(
                request,
                group=RESET_RATELIMIT_GROUP,
                key="ip",
                rate=settings.PASSWORD_RESET_RATE_PER_CLIENT,
                method="POST",
                increment=True,
            )
        except CACHE_ERRORS as error:
            # Fail closed, unlike the name check: without its counters a reset form would send mail to any
            # address as often as asked. The customer is told to come back; nothing is sent (issue 11).
            logger.warning("password reset refused, the cache that throttles it is unavailable: %s", error)
            return self._refuse(_("Password reset is unavailable right now. Try again in a few minutes."), status=503)
        if limited_by_email or limited_by_client:
            return self._refuse(_("Too many reset requests. Wait 15 minutes and try again."), status=429)
        return super().post(request, *args, **kwargs)

    def _refuse(self, message: str, *, status: int) -> HttpResponse:
        form = self.get_form()
        form.is_valid()
        form.add_error(None, message)
        return self.render_to_response(self.get_context_data(form=form), status=status)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """`New password`, `New password (again)`, `Set password`; the link works once, for PASSWORD_RESET_TIMEOUT.

    The new password goes through services.user_change_password, so every session of the user ends at once,
    as with a password change (SPEC 8); the customer then logs in with it.
    """

    form_class = ConsoleSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.request.user.is_authenticated:
            logout(self.request)
        messages.success(self.request, _("Your password has been set. Log in with the new password."))
        return response
