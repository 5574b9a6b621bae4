from django.contrib import admin

from .models import InboundMessage, LocalCode, Sender


class LocalCodeInline(admin.TabularInline):
    model = LocalCode
    extra = 1


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ("application", "facility", "device", "active")
    list_filter = ("active",)
    search_fields = ("application", "facility")
    inlines = [LocalCodeInline]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "sending_application",
        "control_id",
        "status",
        "ack_code",
        "patient",
        "reason",
    )
    list_filter = ("status", "ack_code")
    search_fields = ("control_id", "sending_application", "patient__mrn")
    date_hierarchy = "received_at"
    list_select_related = ("patient",)

    # Messages are kept as received: read only here, never deleted.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
