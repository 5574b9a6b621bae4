from django.contrib import admin, messages

from .models import Message, Status
from .services import message_retry


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "recipient",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "response",
    )
    list_filter = ("status", "kind")
    search_fields = ("recipient", "subject", "reason", "about")
    date_hierarchy = "created_at"
    actions = ["send_again"]

    # The outbox is a record of what was sent: read only, never deleted here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # The action changes messages: offered to those who could send them (superusers).
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("send_again", None)
        return actions

    @admin.action(description="Send the selected messages again now")
    def send_again(self, request, queryset):
        count = 0
        for message in queryset.exclude(status=Status.SENT):
            message_retry(message=message)
            count += 1
        self.message_user(
            request,
            f"{count} message{'s' if count != 1 else ''} enqueued to be sent again.",
            messages.SUCCESS,
        )
