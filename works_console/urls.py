from django.contrib import admin
from django.urls import include, path, register_converter

from . import views
from .converters import PublicIdConverter

# Registered before the apps' URLconfs are imported (they use it): `<public_id:...>` in subscriptions, billing
# and workspaces.
register_converter(PublicIdConverter, "public_id")

handler404 = views.page_not_found

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The back office's own pages outside Django admin (`/metrics`); included by name, not imported: the shell
    # imports none of the apps (issue 19).
    path("", include("backoffice.urls")),
    path("shell/", views.shell_select, name="shell-select"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("naver-works/", include("subscriptions.urls")),
    path("works/", include("workspaces.urls")),
    path("billing/", include("billing.urls")),
]
