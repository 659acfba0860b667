from django.urls import path

from . import action_views, views

app_name = "subscriptions"

# SPEC 9: stable URLs; subscriptions are addressed by their opaque public id.
urlpatterns = [
    path("my-product/", views.my_product, name="my-product"),
    path("my-product/apply/", views.ApplyWizard.as_view(), name="apply"),
    path("name-check/", views.name_check, name="name-check"),
    path("my-product/apply/account-id/", views.account_id_preview, name="account-id-preview"),
    path("my-product/<public_id:public_id>/convert/", action_views.convert, name="convert"),
    path(
        "my-product/<public_id:public_id>/withdraw-conversion/",
        action_views.withdraw_conversion,
        name="withdraw-conversion",
    ),
    path("my-product/<public_id:public_id>/renewal/", action_views.change_renewal, name="renewal"),
    path("my-product/<public_id:public_id>/upgrade/", action_views.UpgradeWizard.as_view(), name="upgrade"),
    path("my-product/<public_id:public_id>/licences/", action_views.increase_licences, name="licences"),
    path("my-product/<public_id:public_id>/admin/", action_views.open_admin, name="open-admin"),
    path("my-product/<public_id:public_id>/cancel/", action_views.cancel, name="cancel"),
    path("my-product/<public_id:public_id>/cancel/penalty/", action_views.cancel_penalty, name="cancel-penalty"),
    path(
        "my-product/<public_id:public_id>/withdraw-cancellation/",
        action_views.withdraw_cancellation,
        name="withdraw-cancellation",
    ),
]
