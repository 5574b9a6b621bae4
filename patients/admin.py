from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "sex")
    search_fields = ("mrn", "family_name", "given_name")
    list_filter = ("sex", "menopause")
