from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from .models import User
from .validators import PASSWORD_MAX_LENGTH, PASSWORD_TOO_LONG, validate_first_name, validate_last_name

EMAIL_ERROR_MESSAGES = {"invalid": _("Enter a valid email")}


def _helper(button: str) -> FormHelper:
    helper = FormHelper()
    helper.add_input(Submit("submit", button, css_class="btn-primary"))
    return helper


def _check_new_password(form: forms.Form, field: str, again: str, *, user: User) -> None:
    """A new password and its repetition: ``again`` must repeat ``field``, and ``field`` must pass Django's
    password validators for ``user``. Each error goes to its field (the sign-up and the password change)."""
    password, repeated = form.cleaned_data.get(field), form.cleaned_data.get(again)
    if password and repeated and password != repeated:
        form.add_error(again, _("The two passwords do not match."))
    if password:
        try:
            password_validation.validate_password(password, user)
        except forms.ValidationError as error:
            form.add_error(field, error)


class PasswordField(forms.CharField):
    """Every password field of the project, console and NAVER WORKS Admin alike: never stripped, masked, and at
    most PASSWORD_MAX_LENGTH characters, refused at the field before anything hashes it."""

    def __init__(self, *, autocomplete: str, render_value: bool = False, **kwargs) -> None:
        kwargs.setdefault("strip", False)
        kwargs.setdefault("max_length", PASSWORD_MAX_LENGTH)
        kwargs.setdefault(
            "widget", forms.PasswordInput(render_value=render_value, attrs={"autocomplete": autocomplete})
        )
        super().__init__(**kwargs)
        self.error_messages["max_length"] = PASSWORD_TOO_LONG


class EmailField(forms.EmailField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("error_messages", EMAIL_ERROR_MESSAGES)
        kwargs.setdefault("label", _("Email"))
        super().__init__(**kwargs)

    def clean(self, value: str) -> str:
        return super().clean(value).lower()


class ConsoleLoginForm(AuthenticationForm):
    """Email and password; django-axes counts the failures of this form (settings AXES_*)."""

    username = EmailField(widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    password = PasswordField(label=_("Password"), autocomplete="current-password")

    def __init__(self, request=None, *args, **kwargs) -> None:
        super().__init__(request, *args, **kwargs)
        self.helper = _helper(_("Log in"))
        self.error_messages["invalid_login"] = _("Enter a correct email and password.")


# Languages whose speakers write the family name first (issue 12): their forms ask for it first.
FAMILY_NAME_FIRST_LANGUAGES = ("ja", "ko")


def _family_name_first(form: forms.BaseForm) -> None:
    if (get_language() or "").split("-")[0] in FAMILY_NAME_FIRST_LANGUAGES:
        form.order_fields(["last_name", "first_name"])


class _NameFieldsMixin(forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        validators=[validate_first_name],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        validators=[validate_last_name],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _family_name_first(self)


class SignupForm(_NameFieldsMixin):
    email = EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = PasswordField(label=_("Password"), autocomplete="new-password")
    password2 = PasswordField(label=_("Password (again)"), autocomplete="new-password")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Sign up"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."), code="email_taken")
        return email

    def clean(self) -> dict:
        cleaned = super().clean()
        # The validators compare the password with the account it is for, which does not exist yet.
        candidate = User(
            email=cleaned.get("email", ""),
            first_name=cleaned.get("first_name", ""),
            last_name=cleaned.get("last_name", ""),
        )
        _check_new_password(self, "password1", "password2", user=candidate)
        return cleaned


class ProfileForm(forms.ModelForm):
    email = EmailField()
    # What the console writes to the customer in: mails and billing documents (User.language, SPEC 12). Each
    # language in its own name, as the header's language switcher shows them.
    language = forms.ChoiceField(
        label=_("Language of e-mails and documents"),
        choices=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _family_name_first(self)
        self.helper = _helper(_("Save"))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("An account with this email already exists."), code="email_taken")
        return email


class PasswordChangeForm(forms.Form):
    old_password = PasswordField(label=_("Current password"), autocomplete="current-password")
    new_password1 = PasswordField(label=_("New password"), autocomplete="new-password")
    new_password2 = PasswordField(label=_("New password (again)"), autocomplete="new-password")

    def __init__(self, user: User, *args, **kwargs) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Change password"))

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if not self.user.check_password(old_password):
            raise forms.ValidationError(_("Your current password is incorrect."), code="password_incorrect")
        return old_password

    def clean(self) -> dict:
        cleaned = super().clean()
        _check_new_password(self, "new_password1", "new_password2", user=self.user)
        return cleaned


class ConsolePasswordResetForm(PasswordResetForm):
    """SPEC 8, 9: `Email`, button `Send reset link`. The form only reads the address: the view queues the mail
    (accounts.services.password_reset_mail_send), so an unknown address gets the same answer in the same time."""

    email = EmailField(max_length=254, widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Send reset link"))


class ConsoleSetPasswordForm(SetPasswordForm):
    """SPEC 9: `New password`, `New password (again)`, button `Set password`; Django's validators apply."""

    error_messages = {**SetPasswordForm.error_messages, "password_mismatch": _("The two passwords do not match.")}
    # The project's password field (its maximum length, issue 11) in place of Django's.
    new_password1 = PasswordField(label=_("New password"), autocomplete="new-password")
    new_password2 = PasswordField(label=_("New password (again)"), autocomplete="new-password")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Set password"))

    def save(self, commit: bool = True) -> User:
        from . import services

        return services.user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])


class AdminLoginForm(AdminAuthenticationForm):
    """Django admin's login with the project's password field (its maximum length)."""

    password = PasswordField(label=_("Password"), autocomplete="current-password")
