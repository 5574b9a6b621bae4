"""A scan's date is never before the patient's birth: enforced by the database itself.

A CHECK constraint cannot look at another table, so triggers guard both sides: inserting or
updating a scan, and changing a patient's date of birth. A violation raises an integrity error
on SQLite and PostgreSQL alike, as any other constraint does.
"""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER scan_date_not_before_birth_insert
    BEFORE INSERT ON scans_dexascan FOR EACH ROW
    WHEN NEW.date < (SELECT date_of_birth FROM patients_patient WHERE id = NEW.patient_id)
    BEGIN SELECT RAISE(ABORT, 'scan_date_not_before_birth'); END
    """,
    """
    CREATE TRIGGER scan_date_not_before_birth_update
    BEFORE UPDATE OF date, patient_id ON scans_dexascan FOR EACH ROW
    WHEN NEW.date < (SELECT date_of_birth FROM patients_patient WHERE id = NEW.patient_id)
    BEGIN SELECT RAISE(ABORT, 'scan_date_not_before_birth'); END
    """,
    """
    CREATE TRIGGER patient_birth_not_after_scans
    BEFORE UPDATE OF date_of_birth ON patients_patient FOR EACH ROW
    WHEN EXISTS (SELECT 1 FROM scans_dexascan WHERE patient_id = NEW.id AND date < NEW.date_of_birth)
    BEGIN SELECT RAISE(ABORT, 'scan_date_not_before_birth'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS scan_date_not_before_birth_insert",
    "DROP TRIGGER IF EXISTS scan_date_not_before_birth_update",
    "DROP TRIGGER IF EXISTS patient_birth_not_after_scans",
]

POSTGRES = [
    """
    CREATE FUNCTION scan_date_not_before_birth() RETURNS trigger AS $$
    BEGIN
      IF NEW.date < (SELECT date_of_birth FROM patients_patient WHERE id = NEW.patient_id) THEN
        RAISE EXCEPTION 'scan_date_not_before_birth' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER scan_date_not_before_birth BEFORE INSERT OR UPDATE OF date, patient_id
    ON scans_dexascan FOR EACH ROW EXECUTE FUNCTION scan_date_not_before_birth()
    """,
    """
    CREATE FUNCTION patient_birth_not_after_scans() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM scans_dexascan
                 WHERE patient_id = NEW.id AND date < NEW.date_of_birth) THEN
        RAISE EXCEPTION 'scan_date_not_before_birth' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER patient_birth_not_after_scans BEFORE UPDATE OF date_of_birth
    ON patients_patient FOR EACH ROW EXECUTE FUNCTION patient_birth_not_after_scans()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS patient_birth_not_after_scans ON patients_patient",
    "DROP FUNCTION IF EXISTS patient_birth_not_after_scans()",
    "DROP TRIGGER IF EXISTS scan_date_not_before_birth ON scans_dexascan",
    "DROP FUNCTION IF EXISTS scan_date_not_before_birth()",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("scans", "0001_initial"), ("patients", "0003_clinical_record")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
