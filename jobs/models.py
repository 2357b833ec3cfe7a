"""Long work that runs in the Celery worker while the browser shows its progress."""

from django.conf import settings
from django.db import models

from .choices import Kind, Status


class Job(models.Model):
    Kind = Kind
    Status = Status

    kind = models.CharField(max_length=32, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user's reseller (None: platform admin). Another reseller's job is a 404.
    reseller = models.ForeignKey(
        "accounts.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.BigIntegerField(default=0)
    done = models.BigIntegerField(default=0)
    stage = models.CharField(max_length=120, blank=True, default="")
    message = models.TextField(blank=True, default="")
    ok = models.BooleanField(default=False)
    back_url = models.CharField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the running worker (each progress step, and every JOB_HEARTBEAT_SECONDS):
    # a Running job whose heartbeat is older than JOB_STALE_AFTER lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The worker's database session (pid and start, as in pg_stat_activity) while it runs:
    # a restarted or stale job ends that session so that its locks go at once.
    backend_pid = models.IntegerField(null=True, blank=True)
    backend_start = models.DateTimeField(null=True, blank=True)
    # An export's file (under EXPORT_DIR) and the name it downloads as; removed after
    # JOB_FILE_TTL, or with the job.
    file_path = models.CharField(max_length=500, blank=True, default="")
    file_name = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "status"], name="job_user_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, round(100 * self.done / self.total))
