"""Education editors may add, change and view pages; never delete them (they unpublish)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = "Education editors"
CODENAMES = ("add_educationpage", "change_educationpage", "view_educationpage")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; create them now to grant them.
    app_config = apps.get_app_config("education")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="education", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for editors in Group.objects.filter(name=EDITORS):
        editors.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="education", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0001_initial"),
        ("patients", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
