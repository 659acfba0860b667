"""The operators' sign-in, after the password (SPEC 9 `operator sign-in`, SPEC 13): enrol an authenticator app
(QR code and `Secret key`, `Authentication code`, `Activate`, then the ten recovery codes once), or type its
current code (`Authentication code`, `Verify`)."""

import django_otp
from axes.helpers import get_client_ip_address
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.throttling import login_refused, minutes_until_retry
from works_console.forms import add_service_error
from works_console.redirects import safe_next_path

from .second_factor import (
    Attempt,
    authenticator_of,
    code_failures,
    enrolment_device,
    is_operator,
    needs_second_factor,
    qr_code_svg,
    second_factor_activate,
    second_factor_verify,
    secret_key,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Authentication code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def second_factor_url(request: HttpRequest) -> str:
    """The second-factor step, keeping where the operator was going."""
    next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next"))
    url = reverse("admin:second_factor")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def second_factor_view(site, request: HttpRequest) -> HttpResponse:
    """Enrol (no confirmed authenticator yet) or verify; a staff session only counts once this is done."""
    user = request.user
    next_path = safe_next_path(request, request.POST.get("next") or request.GET.get("next")) or reverse("admin:index")
    if is_operator(user):
        return redirect(next_path)
    if not needs_second_factor(user):
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': next_path})}")
    attempt = Attempt(user=user, ip_address=get_client_ip_address(request) or "", now=timezone.now())
    device = authenticator_of(user)
    enrolling = device is None
    if enrolling:
        device = enrolment_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        failures = code_failures(attempt)
        if login_refused(failures):
            form.is_valid()
            form.add_error(
                None,
                _("Too many wrong codes. Try again in %(minutes)d minutes.")
                % {"minutes": minutes_until_retry(failures, now=attempt.now)},
            )
            status = 429
        elif form.is_valid():
            code = form.cleaned_data["code"]
            try:
                if enrolling:
                    codes = second_factor_activate(device=device, code=code, attempt=attempt)
                    verified = device
                else:
                    verified = second_factor_verify(code=code, attempt=attempt)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                request.session.cycle_key()  # a new session id for the raised privilege
                django_otp.login(request, verified)
                if not enrolling:
                    return redirect(next_path)
                # Shown once, in the answer to the activation: never stored in the clear, never shown again.
                context = {
                    **site.each_context(request),
                    "title": _("Your recovery codes"),
                    "codes": codes,
                    "next": next_path,
                }
                return TemplateResponse(request, "admin/second_factor_recovery_codes.html", context)
    context = {
        **site.each_context(request),
        "title": _("Set up two-step sign-in") if enrolling else _("Two-step sign-in"),
        "form": form,
        "enrolling": enrolling,
        "next": next_path,
        "button": _("Activate") if enrolling else _("Verify"),
    }
    if enrolling:
        context.update(secret_key=secret_key(device), qr_code=qr_code_svg(device, title=_("QR code to scan")))
    return TemplateResponse(request, "admin/second_factor.html", context, status=status)
