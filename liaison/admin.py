from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Episode


@admin.register(Episode)
class EpisodeAdmin(SimpleHistoryAdmin):
    list_display = ["patient", "fracture", "identified_on", "closed", "entered_in_error"]
    list_filter = ["closed", "entered_in_error", "identified_by"]
    raw_id_fields = ["patient", "fracture", "dxa_scan"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    # Clinical records are never deleted: a mistake is marked entered in error.
    def has_delete_permission(self, request, obj=None):
        return False
