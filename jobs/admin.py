from django.contrib import admin

from .models import DailyRun, WorkerBeat


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnly):
    list_display = ("day", "job", "enqueued_at", "worker_id", "task_id")
    list_filter = ("job",)


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnly):
    list_display = ("worker_id", "host", "pid", "started_at", "seen_at")
