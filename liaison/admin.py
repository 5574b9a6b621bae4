from django.contrib import admin

from patients.clinical_admin import ClinicalRecordAdmin

from .models import Episode


@admin.register(Episode)
class EpisodeAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "fracture", "identified_on", "closed", "entered_in_error"]
    list_filter = ["closed", "entered_in_error", "identified_by"]
    raw_id_fields = ["patient", "fracture", "dxa_scan"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
