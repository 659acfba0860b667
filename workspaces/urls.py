from django.urls import path

from . import views

app_name = "workspaces"

# Included at /works/ (SPEC 9: `/works/login/` is stable). Everything but customer-export is NAVER WORKS Admin,
# with its own session; customer-export is the console customer's download from My Product (SPEC 7.3).
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("", views.home, name="home"),
    path("company/", views.company_setup, name="company-setup"),
    path("members/add/", views.member_add, name="member-add"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member-remove"),
    path("units/add/", views.unit_add, name="unit-add"),
    path("units/<int:unit_id>/remove/", views.unit_remove, name="unit-remove"),
    path("groups/add/", views.group_add, name="group-add"),
    path("groups/<int:group_id>/remove/", views.group_remove, name="group-remove"),
    path("groups/<int:group_id>/members/add/", views.group_member_add, name="group-member-add"),
    path(
        "groups/<int:group_id>/members/<int:member_id>/remove/",
        views.group_member_remove,
        name="group-member-remove",
    ),
    path("group-name/", views.rename, name="rename"),
    path("domain/verify/", views.verify_domain, name="verify-domain"),
    path("export/", views.export, name="export"),
    path("export/<public_id:public_id>/", views.customer_export, name="customer-export"),
]
