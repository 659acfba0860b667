from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static import apps as static_apps
from django_otp.plugins.otp_totp import apps as totp_apps


class BackofficeConfig(AppConfig):
    """The operators' room (issue 19): the admin site and its dashboard, the operator actions, the customer page,
    the metrics, the second factor and the roles. It imports the domain apps; none of them imports it."""

    name = "backoffice"
    verbose_name = _("Back office")
    default = True


class OperatorsAdminConfig(admin_apps.AdminConfig):
    """Django admin with the operators' dashboard as its index (backoffice.site)."""

    default_site = "backoffice.site.WorksAdminSite"
    default = False


class AuthenticatorAppsConfig(totp_apps.DefaultConfig):
    """django-otp's TOTP devices, named for the operators who may delete a lost one (SPEC 13)."""

    verbose_name = _("Second factor: authenticator apps")
    default = False


class RecoveryCodesConfig(static_apps.DefaultConfig):
    """django-otp's static devices: the ten recovery codes of each staff account (SPEC 13)."""

    verbose_name = _("Second factor: recovery codes")
    default = False
