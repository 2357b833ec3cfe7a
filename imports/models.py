"""One "Import DIDs" run: the uploaded file, the user's choices, and what came of it.

The rows themselves never live here: they are read from the file into a temporary table for
each dry run and each apply (``imports.services``). This row only keeps the choices, the
counts, the first refusals and the progress a browser polls.
"""

import uuid

from django.conf import settings
from django.db import models

from .choices import Kind, Status


class ImportJob(models.Model):
    Status = Status
    Kind = Kind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The user's reseller (None: a platform admin's import). Scopes who may see the job.
    reseller = models.ForeignKey(
        "accounts.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    file_path = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    delimiter = models.CharField(max_length=1, blank=True, default="")
    has_header = models.BooleanField(default=True)
    # Step 1: operator (id), status, after_hold, tag, notes.
    defaults = models.JSONField(default=dict, blank=True)
    # Step 2: one field name (or "" for Skip) per file column.
    mapping = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    # What is running or ran last: "check" (dry run), "all" or "valid" (apply).
    mode = models.CharField(max_length=8, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    # The first refusals: [{"row": 7, "field": "DID", "text": "..."}].
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True, default="")
    change_set = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The header and first rows, read once at upload (a bounded read) for step 2.
    preview = models.JSONField(default=list, blank=True)
    # The background job (``jobs.Job``) of the run under way or last run in the worker: its
    # status, stage, progress and heartbeat. A small file runs in the request, without one.
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["reseller", "-id"], name="importjob_reseller"),
            models.Index(fields=["user", "status"], name="importjob_user_status"),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name}"
