"""The choices of the imports app: an import's status and its file's kind."""

from django.db import models


class Status(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded"
    MAPPED = "mapped", "Columns chosen"
    DRY_RUN = "dry_run", "Checked (dry run)"
    RUNNING = "running", "Running"
    DONE = "done", "Applied"
    FAILED = "failed", "Failed"


class Kind(models.TextChoices):
    CSV = "csv", "CSV"
    XLS = "xls", "Excel 97-2003 (.xls)"
    XLSX = "xlsx", "Excel (.xlsx)"
