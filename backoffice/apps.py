from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


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
