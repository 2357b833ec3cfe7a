"""Long work that runs in the Celery worker while the browser shows its progress."""

from django.conf import settings
from django.db import models


class Job(models.Model):
    class Kind(models.TextChoices):
        CREATE_DIDS = "create_dids", "New DIDs"
        MASS_EDIT = "mass_edit", "Mass Edit"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

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

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, round(100 * self.done / self.total))
