"""The seeded plan catalog (SPEC 3): KRW per user per month, VAT excluded. Operators edit it in Django admin."""

from django.db import migrations

CATALOG = [
    {
        "code": "lite",
        "name": "Lite",
        "tier": 1,
        "annual_unit_price": 3000,
        "monthly_unit_price": 3600,
        "features": [
            "Message, Board, Calendar, Contacts, Task, Survey",
            "Video calls with up to 4 participants",
            "Drive: 100 GB shared by the company",
            "Mail not included",
        ],
        "notes": "For small teams that mainly chat and share schedules.",
    },
    {
        "code": "basic",
        "name": "Basic",
        "tier": 2,
        "annual_unit_price": 5000,
        "monthly_unit_price": 6000,
        "features": [
            "Everything in Lite",
            "Mail: 30 GB per user, with your own domain",
            "Video calls with up to 200 participants",
            "Drive: 1 TB shared by the company",
        ],
        "notes": "The standard plan for companies that need mail.",
    },
    {
        "code": "premium",
        "name": "Premium",
        "tier": 3,
        "annual_unit_price": 10000,
        "monthly_unit_price": 12000,
        "features": [
            "Everything in Basic",
            "Mail and Drive: 100 GB per user",
            "Audit logs, data loss prevention and mobile device management",
            "Shared drive: 1 TB plus 10 GB per user",
        ],
        "notes": "For organizations with security and compliance needs.",
    },
]


def seed(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    for entry in CATALOG:
        Plan.objects.update_or_create(code=entry["code"], defaults=entry)


def unseed(apps, schema_editor):
    apps.get_model("billing", "Plan").objects.filter(code__in=[e["code"] for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
