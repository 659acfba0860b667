# Numbers for the invoices and credit notes issued before issue 18 (SPEC 12): in issue order, per kind and KST
# year of their issue date, and the counters left at the last number given, so new documents continue from there.

from django.db import migrations

# As billing.numbers.format_number writes them (a migration keeps its own copy of the rule it applies).
DIGITS = 6
BATCH = 1000


def number_issued_documents(apps, schema_editor):
    DocumentCounter = apps.get_model("billing", "DocumentCounter")
    for model_name, kind in (("Invoice", "INV"), ("CreditNote", "CN")):
        model = apps.get_model("billing", model_name)
        last: dict[int, int] = {}
        numbered = []
        # Issue order: the issue date, then the order the rows were written in.
        documents = model.objects.filter(number__isnull=True).order_by("issued_on", "created_at", "id")
        for document in documents.only("id", "issued_on").iterator(chunk_size=BATCH):
            year = document.issued_on.year
            last[year] = last.get(year, 0) + 1
            document.number = f"{kind}-{year}-{last[year]:0{DIGITS}d}"
            numbered.append(document)
            if len(numbered) == BATCH:
                model.objects.bulk_update(numbered, ["number"])
                numbered = []
        model.objects.bulk_update(numbered, ["number"])
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=kind, year=year, last=count) for year, count in sorted(last.items())]
        )


def forget_numbers(apps, schema_editor):
    for model_name in ("Invoice", "CreditNote"):
        apps.get_model("billing", model_name).objects.update(number=None)
    apps.get_model("billing", "DocumentCounter").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0009_document_numbers'),
    ]

    operations = [
        migrations.RunPython(number_issued_documents, forget_numbers),
    ]
