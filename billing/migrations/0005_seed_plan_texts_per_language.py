"""The seeded plans' texts per language (issue 12): English from the columns they had, Japanese and Korean from
billing.catalog; a plan an operator added keeps its English texts, to be translated in Django admin."""

from django.db import migrations

from billing.catalog import CATALOG, TRANSLATED_FIELDS, per_language_fields


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    seeded = {entry["code"]: entry for entry in CATALOG}
    for plan in Plan.objects.all():
        for name in TRANSLATED_FIELDS:
            setattr(plan, f"{name}_en", getattr(plan, name))
        if plan.code in seeded:
            texts = per_language_fields({**seeded[plan.code], **{name: getattr(plan, name) for name in TRANSLATED_FIELDS}})
            for field, value in texts.items():
                setattr(plan, field, value)
        plan.save()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_plan_name_features_notes_per_language")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
