from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from .concurrency import EditGuardAdminMixin
from .models import AccessLogEntry, Fracture, HeightMeasurement, Patient, SymptomReport, Treatment
from .numbers import ADMIN_NUMBER_OVERRIDES

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")
# Clinical numbers are typed as reports print them (docs/clinical-rules.md §12).
NUMBERS = {models.DecimalField: ADMIN_NUMBER_OVERRIDES}


@admin.register(Patient)
class PatientAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "sex")
    search_fields = ("mrn", "family_name", "given_name")
    list_filter = ("sex", "menopause")
    formfield_overrides = NUMBERS


@admin.register(Fracture)
class FractureAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "patient",
        "date",
        "date_precision",
        "site",
        "vertebral_level",
        "mechanism",
        "genant_grade",
        "entered_in_error",
    )
    list_filter = ("site", "mechanism", "genant_grade", "detection", "brace", "entered_in_error")
    list_select_related = ("patient",)
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient",)
    date_hierarchy = "date"


@admin.register(HeightMeasurement)
class HeightMeasurementAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    list_display = ("patient", "date", "cm", "measured", "entered_in_error")
    formfield_overrides = NUMBERS
    list_filter = ("measured", "entered_in_error")
    list_select_related = ("patient",)
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient",)
    date_hierarchy = "date"


@admin.register(Treatment)
class TreatmentAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    list_display = ("patient", "name", "drug_class", "start", "stop", "entered_in_error")
    list_filter = ("drug_class", "entered_in_error")
    list_select_related = ("patient",)
    search_fields = (*PATIENT_SEARCH, "name")
    raw_id_fields = ("patient",)
    date_hierarchy = "start"


@admin.register(AccessLogEntry)
class AccessLogAdmin(admin.ModelAdmin):
    """Superusers read the access log; nobody edits or deletes it."""

    list_display = ("at", "username", "role", "patient", "action", "path", "ip_address")
    list_filter = ("action", "role")
    search_fields = ("username", "patient__mrn", "patient__family_name")
    date_hierarchy = "at"
    list_select_related = ("patient",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SymptomReport)
class SymptomReportAdmin(SimpleHistoryAdmin):
    list_display = ("reported_at", "patient", "pain", "source", "red_flags", "acknowledged_at")
    list_filter = ("source", "entered_in_error")
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient",)
