import uuid

from django.conf import settings
from django.db import models


class AuditRecord(models.Model):
    """One change to one object. All records of one user action share ``change_set``.

    ``username`` is copied so the record survives the user's deletion; ``reseller_id`` is
    copied so a reseller's log is filtered without joins.
    """

    change_set = models.UUIDField(default=uuid.uuid4, db_index=True)
    created_at = models.DateTimeField(db_default=models.functions.Now())
    # No database constraint or index: a million-row action must not queue a million FK
    # checks; ``username`` is the durable record and Django still nulls it on user deletion.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=48)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField(null=True)
    object_repr = models.CharField(max_length=200, blank=True, default="")
    reseller_id = models.BigIntegerField(null=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            # Ascending ids: new rows append at the right edge of each group (a descending
            # index splits pages at its left edge on every bulk insert); newest-first lists
            # scan these backwards.
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_id"),
            models.Index(fields=["reseller_id", "id"], name="audit_reseller_id"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_repr}"
