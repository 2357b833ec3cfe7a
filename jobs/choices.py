"""The choices of the jobs app: a job's kind and status."""

from django.db import models


class Kind(models.TextChoices):
    CREATE_DIDS = "create_dids", "New DIDs"
    MASS_EDIT = "mass_edit", "Mass Edit"
    EXPORT_XLSX = "export_xlsx", "Export DIDs (XLSX)"
    EXPORT_CSV = "export_csv", "Export DIDs (CSV)"
    IMPORT_CHECK = "import_check", "Import DIDs (dry run)"
    IMPORT_APPLY = "import_apply", "Import DIDs"
    REVERT = "revert", "Revert"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
