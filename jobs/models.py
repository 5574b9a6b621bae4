"""What the workers leave behind besides their tasks: who is alive, and each day's daily jobs."""

from django.db import models


class WorkerBeat(models.Model):
    """A worker's last sign of life, written by its clock on every tick."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    # Set when the worker shut down cleanly (Ctrl+C, SIGTERM, --batch done).
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self):
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"


class DailyRun(models.Model):
    """One daily job on one day: the unique pair is what keeps a job to once a day, however
    many workers' clocks reach for it."""

    job = models.CharField(max_length=64)
    day = models.DateField()
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    worker_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="one_daily_run_a_day")]

    def __str__(self):
        return f"{self.job} on {self.day:%Y-%m-%d}"
