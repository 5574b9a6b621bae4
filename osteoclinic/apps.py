from django.apps import AppConfig


class OsteoclinicConfig(AppConfig):
    name = "osteoclinic"
    verbose_name = "OsteoClinic"
