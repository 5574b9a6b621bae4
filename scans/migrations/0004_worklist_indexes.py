from django.db import migrations, models

# Indexes only: adding one never rebuilds scans_dexascan, so its SQLite triggers stay in place
# (unlike the new column of 0003).


class Migration(migrations.Migration):
    dependencies = [("scans", "0003_scan_updated_at")]

    operations = [
        migrations.AddIndex(
            model_name="dexascan",
            index=models.Index(
                condition=models.Q(
                    ("entered_in_error", False), models.Q(("status", "released"), _negated=True)
                ),
                fields=["date", "id"],
                name="scan_unreleased_by_date",
            ),
        ),
        migrations.AddIndex(
            model_name="patientstatus",
            index=models.Index(
                condition=models.Q(("significant_loss", True)),
                fields=["-latest_scan_date", "patient"],
                name="status_loss_by_scan_date",
            ),
        ),
        migrations.AddIndex(
            model_name="patientstatus",
            index=models.Index(
                condition=models.Q(("on_treatment", False), ("treatment_indicated", True)),
                fields=["-latest_scan_date", "patient"],
                name="status_untreated_by_scan_date",
            ),
        ),
    ]
