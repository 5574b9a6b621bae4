from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin, served by our site (osteoclinic/admin_site.py)."""

    default = False  # named in INSTALLED_APPS; OsteoclinicConfig stays this app's config
    default_site = "osteoclinic.admin_site.ClinicAdminSite"


class OsteoclinicConfig(AppConfig):
    name = "osteoclinic"
    verbose_name = "OsteoClinic"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import mark_activity

        # The idle clock starts at sign-in, saved with the new session.
        def start_idle_clock(sender, request, user, **kwargs):
            if request is not None and hasattr(request, "session"):
                mark_activity(request)

        user_logged_in.connect(start_idle_clock, weak=False, dispatch_uid="osteoclinic.idle_clock")
