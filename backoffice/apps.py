from django.contrib.admin.apps import AdminConfig


class WorksAdminConfig(AdminConfig):
    """Django admin with the operators' dashboard as its index (works_console.admin_site)."""

    default_site = "works_console.admin_site.WorksAdminSite"
