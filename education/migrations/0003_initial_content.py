"""The initial education pages, published, from education/content/*.md.

The files are read when the migration runs. Only slugs that do not exist yet are created, so a
page an editor has changed is never overwritten; a later migration that adds content files can
call `load_content` the same way.
"""

from django.db import migrations

from education.loader import load_content


def load(apps, schema_editor):
    load_content(
        apps.get_model("education", "EducationPage"),
        apps.get_model("education", "HistoricalEducationPage"),
    )


class Migration(migrations.Migration):
    dependencies = [("education", "0002_editor_permissions")]

    # Reversing leaves the pages: they may have been edited since, and history keeps them.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
