"""The operators' Django admin (SPEC 11): the index is a dashboard of the business (subscriptions.dashboard)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorksAdminSite(admin.AdminSite):
    site_header = _("Works Console operations")
    site_title = _("Works Console admin")
    index_title = _("Dashboard")
    index_template = "admin/dashboard.html"

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        from subscriptions.dashboard import dashboard

        extra_context = {**(extra_context or {}), "dashboard": dashboard(now=timezone.now())}
        return super().index(request, extra_context)
