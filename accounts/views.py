import logging
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage, is_ratelimited
from kombu.exceptions import OperationalError as KombuOperationalError

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
from .tasks import send_password_reset_mail

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    form_class = ConsoleLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


SIGNUP_RATELIMIT_GROUP = "accounts.signup"


def _signup_wait_minutes(request: HttpRequest) -> int | None:
    """Minutes until this client address may try to sign up again, or None while it may (SPEC 8): at most
    SIGNUP_RATE_PER_CLIENT attempts, created or refused. Sign-up is the one page that says whether an address has
    an account, as without a confirmation mail it must; the limit keeps it from being a lookup service. The
    counters live in the cache: when it is down the sign-up goes on, with a warning (a customer who cannot sign up
    is lost; the database still refuses a second account for an address)."""
    try:
        usage = get_usage(
            request,
            group=SIGNUP_RATELIMIT_GROUP,
            key="ip",
            rate=settings.SIGNUP_RATE_PER_CLIENT,
            method="POST",
            increment=True,
        )
    except CACHE_ERRORS as error:
        logger.warning("sign-up rate limit skipped, the cache is unavailable: %s", error)
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return max(1, math.ceil(usage["time_left"] / 60))


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("subscriptions:my-product")
    wait = _signup_wait_minutes(request) if request.method == "POST" else None
    if wait is not None:
        # The form is not validated: its errors would say whether the address has an account.
        messages.error(
            request, _("Too many sign-ups from your network. Try again in %(minutes)d minutes.") % {"minutes": wait}
        )
        typed = {name: request.POST.get(name, "") for name in ("first_name", "last_name", "email")}
        return render(request, "accounts/signup.html", {"form": SignupForm(initial=typed)}, status=429)
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
# Queueing the mail tries the broker twice, briefly: a broker that is down costs the page a moment, not seconds.
QUEUE_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


class PasswordResetView(auth_views.PasswordResetView):
    """`Email`, `Send reset link`. Known or not, the address gets the same answer (the "check your inbox" page) in
    the same time: the page only queues the mail, and the task looks the address up after the response
    (accounts.tasks.send_password_reset_mail), so nothing the page does depends on whether an account exists.

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

    def form_valid(self, form: ConsolePasswordResetForm) -> HttpResponse:
        try:
            send_password_reset_mail.apply_async(
                kwargs={
                    "email": form.cleaned_data["email"],
                    "domain": self.request.get_host(),
                    "use_https": self.request.is_secure(),
                    "language": get_language() or settings.LANGUAGE_CODE,
                },
                retry_policy=QUEUE_RETRY_POLICY,
            )
        except KombuOperationalError as error:
            # The broker is down: the mail is lost, and the page still answers as for any address (the customer
            # asks again later). Logged, never shown: an error here would tell which addresses have an account.
            logger.error("password reset mail not queued, the broker is unavailable: %s", error)
        return HttpResponseRedirect(self.get_success_url())

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
