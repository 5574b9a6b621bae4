from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from patients.admin_inputs import NamedTabularInline
from patients.clinical_admin import ClinicalRecordAdmin
from patients.concurrency import EditGuardAdminMixin
from patients.numbers import ADMIN_NUMBER_OVERRIDES

from .models import Device, DexaScan, SiteMeasurement, VertebraMeasurement

# Clinical numbers are typed as reports print them (docs/clinical-rules.md §12).
NUMBERS = {models.DecimalField: ADMIN_NUMBER_OVERRIDES}


@admin.register(Device)
class DeviceAdmin(EditGuardAdminMixin, SimpleHistoryAdmin):
    list_display = ("manufacturer", "model", "serial", "location", "active")
    list_filter = ("manufacturer", "active")
    search_fields = ("serial", "model", "location")


class SiteMeasurementInline(NamedTabularInline):
    model = SiteMeasurement
    extra = 0
    formfield_overrides = NUMBERS
    can_delete = False  # a wrong value is corrected, and the history keeps the old one


class VertebraMeasurementInline(NamedTabularInline):
    model = VertebraMeasurement
    extra = 0
    formfield_overrides = NUMBERS
    can_delete = False  # a wrong value is corrected, and the history keeps the old one


@admin.register(DexaScan)
class DexaScanAdmin(EditGuardAdminMixin, ClinicalRecordAdmin):
    edit_guard_merge = False  # its measurements are edited on the same page
    list_display = ("date", "patient", "device", "status", "entered_in_error")
    list_filter = ("status", "entered_in_error", "device__manufacturer")
    search_fields = ("patient__mrn", "patient__family_name")
    raw_id_fields = ("patient",)
    date_hierarchy = "date"
    inlines = [SiteMeasurementInline, VertebraMeasurementInline]
    readonly_fields = ("checked_warnings", "checked_by", "checked_at")
