"""The audit log's storage: one ``ChangeSet`` per user action, one compact ``Entry`` per
changed object.

* ``ChangeSet`` (``audit_changeset``): who (the user, and the username copied so the record
  survives the user), when, the action, the reseller, the message, the request id, counts by
  kind of change and, for single-object actions, the object's type, id and label. Its
  public id is ``uuid`` (``Actor.change_set``); entries refer to its bigint ``id``.
* ``Entry`` (``audit_entry``): change set, time (copied from the change set: the partition
  key), object type and id, kind (create / update / delete), the object's reseller, and the
  before and after of the changed fields only. The table is partitioned by month (native
  PostgreSQL ``PARTITION BY RANGE (created_at)``, one ``audit_entry_YYYY_MM`` table a month
  and ``audit_entry_default`` for anything else), so that retention drops whole months
  (``audit.partitions``). It is created by SQL in the migration (``managed = False``); its
  only indexes are its primary key ``(change_set_id, id, created_at)`` (a change set's
  entries, in order) and ``(object_id)`` (one object's history).
* ``AuditRecord`` (the view ``audit_record``): an entry as one row with its change set's
  who, action and message; read only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import Kind


class ChangeSet(models.Model):
    uuid = models.UUIDField(unique=True)
    created_at = models.DateTimeField(db_default=models.functions.Now())
    # No database constraint: the username is the durable record (Django still nulls the id
    # when the user is deleted).
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
    # The reseller every entry belongs to; None for platform objects, or when the entries
    # belong to more than one reseller (a platform admin's action across resellers).
    reseller_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    # {"<object_type>.<kind>": n} with kind create / update / delete, or "<from>><to>" for a
    # status change: {"did.in_stock>archive": 500000}. ``total`` is the sum: the entries.
    counts = models.JSONField(default=dict, blank=True)
    total = models.BigIntegerField(default=0)
    request_id = models.CharField(max_length=64, blank=True, default="")
    # The first object the change set recorded one by one (a client's creation, a
    # subscription's cancel): what the list shows for a single-object action.
    object_type = models.CharField(max_length=32, blank=True, default="")
    object_id = models.BigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["reseller_id", "id"], name="audit_changeset_reseller"),
            models.Index(fields=["created_at"], name="audit_changeset_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.username or 'system'} ({self.uuid})"


class Entry(models.Model):
    # The database's primary key is (change_set_id, id, created_at) (a partitioned table's
    # unique keys hold its partition key); ``id`` alone is unique too (one sequence).
    id = models.BigIntegerField(primary_key=True)
    change_set = models.ForeignKey(
        ChangeSet, on_delete=models.DO_NOTHING, related_name="entries", db_constraint=False
    )
    created_at = models.DateTimeField()
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField(null=True)
    kind = models.SmallIntegerField(choices=Kind.choices)
    reseller_id = models.BigIntegerField(null=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)

    class Meta:
        managed = False
        db_table = "audit_entry"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} {self.get_kind_display()}"


class AuditRecord(models.Model):
    """One entry with its change set's fields (the view ``audit_record``), read only: the
    shape of the log before change sets had their own table, kept for the per-object list
    and the REST API. ``object_repr`` is the change set's label on its main object, else
    empty."""

    id = models.BigIntegerField(primary_key=True)
    change_set = models.UUIDField()
    change_set_pk = models.BigIntegerField()
    created_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=48)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField(null=True)
    object_repr = models.CharField(max_length=200)
    kind = models.SmallIntegerField(choices=Kind.choices)
    reseller_id = models.BigIntegerField(null=True)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    message = models.TextField()

    class Meta:
        managed = False
        db_table = "audit_record"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_repr}"
