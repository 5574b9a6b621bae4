import importlib

import django.utils.timezone
from django.db import migrations, models

# SQLite rebuilds a table to add a column; its triggers that name the table must be lifted
# first and put back afterwards (see 0002), or the rebuild fails.
triggers = importlib.import_module("scans.migrations.0002_scan_date_not_before_birth")
lift = triggers.run({"sqlite": triggers.SQLITE_REVERSE})
restore = triggers.run({"sqlite": triggers.SQLITE})


class Migration(migrations.Migration):
    dependencies = [("scans", "0002_scan_date_not_before_birth")]

    operations = [
        migrations.RunPython(lift, restore),
        migrations.AddField(
            model_name="dexascan",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicaldexascan",
            name="updated_at",
            field=models.DateTimeField(
                blank=True, default=django.utils.timezone.now, editable=False
            ),
            preserve_default=False,
        ),
        migrations.RunPython(restore, lift),
    ]
