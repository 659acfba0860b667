# Every invoice and credit note has its number from now on, never given twice (issue 18, SPEC 12).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0010_number_issued_documents'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invoice',
            name='number',
            field=models.CharField(max_length=20, verbose_name='number'),
        ),
        migrations.AlterField(
            model_name='creditnote',
            name='number',
            field=models.CharField(max_length=20, verbose_name='number'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(fields=('number',), name='billing_invoice_number_unique'),
        ),
        migrations.AddConstraint(
            model_name='creditnote',
            constraint=models.UniqueConstraint(fields=('number',), name='billing_credit_note_number_unique'),
        ),
    ]
