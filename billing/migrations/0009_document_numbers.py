# Document numbers and kept PDFs (issue 18, SPEC 12): the counters, and the columns, empty until 0010 fills them.

import billing.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0008_credit_note'),
    ]

    operations = [
        migrations.CreateModel(
            name='DocumentCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('INV', 'Invoice'), ('CN', 'Credit note')], max_length=3, verbose_name='kind')),
                ('year', models.PositiveSmallIntegerField(verbose_name='year')),
                ('last', models.PositiveIntegerField(verbose_name='last number')),
            ],
            options={
                'verbose_name': 'document counter',
                'verbose_name_plural': 'document counters',
                'constraints': [models.UniqueConstraint(fields=('kind', 'year'), name='billing_one_counter_per_kind_and_year')],
            },
        ),
        migrations.AddField(
            model_name='invoice',
            name='number',
            field=models.CharField(max_length=20, null=True, verbose_name='number'),
        ),
        migrations.AddField(
            model_name='creditnote',
            name='number',
            field=models.CharField(max_length=20, null=True, verbose_name='number'),
        ),
        migrations.AddField(
            model_name='invoice',
            name='pdf',
            field=models.FileField(blank=True, db_default='', default='', editable=False, max_length=200, upload_to=billing.models.pdf_upload_to, verbose_name='PDF'),
        ),
        migrations.AddField(
            model_name='creditnote',
            name='pdf',
            field=models.FileField(blank=True, db_default='', default='', editable=False, max_length=200, upload_to=billing.models.pdf_upload_to, verbose_name='PDF'),
        ),
    ]
