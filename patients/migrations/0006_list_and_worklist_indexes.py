from django.db import migrations, models

# Indexes only: adding one never rebuilds a table, so no trigger needs lifting (see scans 0003).


class Migration(migrations.Migration):
    dependencies = [("patients", "0005_access_log")]

    operations = [
        migrations.AddIndex(
            model_name="fracture",
            index=models.Index(fields=["site", "date"], name="fracture_by_site_date"),
        ),
        migrations.AddIndex(
            model_name="patient",
            index=models.Index(fields=["family_name", "given_name", "mrn"], name="patient_by_name"),
        ),
        migrations.AddIndex(
            model_name="symptomreport",
            index=models.Index(
                condition=models.Q(("acknowledged_at__isnull", True), ("entered_in_error", False)),
                fields=["reported_at", "id"],
                name="symptom_unacknowledged",
            ),
        ),
    ]
