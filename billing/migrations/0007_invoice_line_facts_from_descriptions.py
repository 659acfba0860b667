"""Invoice lines stored before issue 12 get their facts back from their language-neutral descriptions, so their
text is rendered in the reader's language too: usage `"<plan> <first day> – <last day>"` and the English penalty
text `"Early termination on <day> (term <start> – <end>)"`. A line that matches neither keeps its description."""

import re
from datetime import date

from django.db import migrations

USAGE = re.compile(r"^(?P<plan>.+) (?P<start>\d{4}-\d{2}-\d{2}) – (?P<end>\d{4}-\d{2}-\d{2})$")
PENALTY = re.compile(
    r"^Early termination on (?P<day>\d{4}-\d{2}-\d{2}) \(term (?P<start>\d{4}-\d{2}-\d{2}) – (?P<end>\d{4}-\d{2}-\d{2})\)$"
)


def backfill(apps, schema_editor):
    InvoiceLine = apps.get_model("billing", "InvoiceLine")
    Plan = apps.get_model("billing", "Plan")
    plans = {plan.name: plan.pk for plan in Plan.objects.all()}
    for line in InvoiceLine.objects.filter(starts_on__isnull=True).iterator():
        if line.kind == "usage" and (found := USAGE.match(line.description)):
            line.plan_id = plans.get(line.plan_name or found["plan"])
        elif line.kind == "penalty" and (found := PENALTY.match(line.description)):
            line.cancellation_date = date.fromisoformat(found["day"])
        else:
            continue
        line.starts_on, line.ends_on = date.fromisoformat(found["start"]), date.fromisoformat(found["end"])
        line.save(update_fields=["plan", "starts_on", "ends_on", "cancellation_date"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_invoice_line_facts")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
