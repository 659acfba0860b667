"""The two roles of SPEC 13 as groups. `Support` reads everything and may extend a trial, resend a reminder,
withdraw a reservation (and retry a run's failed items); `Billing` does all that, and converts and cancels on
behalf, waives penalties, grants credit and changes plan prices. backoffice/permissions.py says which action needs
which permission; superusers have every permission."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# The apps whose rows operators read (a model added later gets its view permission in a migration of its own).
READ_APPS = ["accounts", "billing", "subscriptions", "workspaces", "django_celery_beat"]
SUPPORT = [
    ("subscriptions", "extend_trial"),
    ("subscriptions", "resend_reminder"),
    ("subscriptions", "withdraw_reservation"),
    ("subscriptions", "retry_failed_items"),
]
BILLING = [
    *SUPPORT,
    ("subscriptions", "convert_on_behalf"),
    ("subscriptions", "cancel_on_behalf"),
    ("subscriptions", "waive_penalty"),
    ("billing", "add_customercredit"),  # Grant credit
    ("billing", "change_plan"),  # plan prices
]


def _ensure_permissions(apps) -> None:
    # On a fresh database permissions are created after the last migration (post_migrate): make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_roles(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reading = list(Permission.objects.filter(content_type__app_label__in=READ_APPS, codename__startswith="view_"))

    def permissions(pairs):
        return [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in pairs
        ]

    for name, pairs in [("Support", SUPPORT), ("Billing", BILLING)]:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*reading, *permissions(pairs))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Support", "Billing"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
        ("django_celery_beat", "__latest__"),
        ("accounts", "0001_initial"),
        ("billing", "0008_credit_note"),
        ("subscriptions", "0005_reservation_superseded_and_operator_permissions"),
        ("workspaces", "0004_admin_login_failures"),
        ("backoffice", "0001_second_factor_failures"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
