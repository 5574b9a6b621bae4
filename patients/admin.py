from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import models
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin

from .access_report import access_log_csv_response
from .authorship import user_has_authored
from .clinical_admin import ClinicalRecordAdmin
from .concurrency import EditGuardAdminMixin
from .models import (
    AccessLogEntry,
    ClinicDetails,
    Fracture,
    HeightMeasurement,
    Patient,
    SecureMessage,
    SymptomReport,
    Treatment,
)
from .numbers import ADMIN_NUMBER_OVERRIDES

PATIENT_SEARCH = ("patient__mrn", "patient__family_name", "patient__given_name")
# Clinical numbers are typed as reports print them (docs/clinical-rules.md §12).
NUMBERS = {models.DecimalField: ADMIN_NUMBER_OVERRIDES}


@admin.register(Patient)
class PatientAdmin(EditGuardAdminMixin, ClinicalRecordAdmin):
    patient_path = "pk"

    list_display = ("mrn", "family_name", "given_name", "date_of_birth", "sex")
    search_fields = ("mrn", "family_name", "given_name")
    list_filter = ("sex", "menopause")
    formfield_overrides = NUMBERS


@admin.register(Fracture)
class FractureAdmin(EditGuardAdminMixin, ClinicalRecordAdmin):
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
class HeightMeasurementAdmin(EditGuardAdminMixin, ClinicalRecordAdmin):
    list_display = ("patient", "date", "cm", "measured", "entered_in_error")
    formfield_overrides = NUMBERS
    list_filter = ("measured", "entered_in_error")
    list_select_related = ("patient",)
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient",)
    date_hierarchy = "date"


@admin.register(Treatment)
class TreatmentAdmin(EditGuardAdminMixin, ClinicalRecordAdmin):
    list_display = ("patient", "name", "drug_class", "start", "stop", "entered_in_error")
    list_filter = ("drug_class", "entered_in_error")
    list_select_related = ("patient",)
    search_fields = (*PATIENT_SEARCH, "name")
    raw_id_fields = ("patient",)
    date_hierarchy = "start"


@admin.register(AccessLogEntry)
class AccessLogAdmin(admin.ModelAdmin):
    """Superusers read the access log, filter it and download it; nobody edits or deletes it."""

    list_display = (
        "at",
        "username",
        "user_full_name",
        "role",
        "patient",
        "action",
        "outcome",
        "path",
        "ip_address",
    )
    list_filter = ("outcome", "action", "role")
    search_fields = ("username", "user_full_name", "patient__mrn", "patient__family_name")
    date_hierarchy = "at"
    list_select_related = ("patient",)
    actions = ["download_csv"]

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

    @admin.action(description="Download the selected entries as CSV")
    def download_csv(self, request, queryset):
        return access_log_csv_response(queryset.select_related("patient"))


@admin.register(SymptomReport)
class SymptomReportAdmin(ClinicalRecordAdmin):
    list_display = ("reported_at", "patient", "pain", "source", "red_flags", "acknowledged_at")
    list_filter = ("source", "entered_in_error")
    search_fields = PATIENT_SEARCH
    raw_id_fields = ("patient",)


@admin.register(SecureMessage)
class SecureMessageAdmin(ClinicalRecordAdmin):
    """Messages are part of the record: read here, never edited or deleted."""

    list_display = ("sent_at", "patient", "sender", "author_name", "subject", "read_at", "done_at")
    list_filter = ("sender",)
    list_select_related = ("patient",)
    search_fields = (*PATIENT_SEARCH, "subject")
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ClinicDetails)
class ClinicDetailsAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    """The clinic's one record: contact details for patients and the release rule."""

    fieldsets = (
        (
            "How patients reach the clinic",
            {"fields": ("name", "phone", "email", "address", "hours", "emergency")},
        ),
        ("Releasing results to the portal", {"fields": ("release_rule", "release_after_days")}),
    )

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser and not ClinicDetails.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One record: the list opens it.
        if request.user.is_superuser:
            if not ClinicDetails.objects.exists():
                return redirect("admin:patients_clinicdetails_add")
            return redirect("admin:patients_clinicdetails_change", ClinicDetails.ONLY_ID)
        return super().changelist_view(request, extra_context)


class ClinicUserAdmin(UserAdmin):
    """Users who have made changes or looked at records are deactivated, never deleted."""

    actions = ["deactivate"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and user_has_authored(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Deactivate the selected users (their name stays on their work)")
    def deactivate(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        for user in users:
            user.is_active = False
            user.save(update_fields=["is_active"])
        self.message_user(request, f"Deactivated {len(users)} user(s); they can no longer sign in.")


admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)
