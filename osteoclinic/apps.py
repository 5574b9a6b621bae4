from django.apps import AppConfig


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
