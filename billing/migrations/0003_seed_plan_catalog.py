"""The seeded plan catalog (SPEC 3): KRW per user per month, VAT excluded. Operators edit it in Django admin."""

from django.db import migrations

from billing.catalog import CATALOG


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for entry in CATALOG:
        Plan.objects.update_or_create(code=entry["code"], defaults=entry)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(code__in=[e["code"] for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
