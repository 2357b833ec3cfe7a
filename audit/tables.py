"""The Audit Log: its columns and its one sort, newest first (by id, a keyset: the log grows
into millions of records, and a page deep in it costs what the first one does)."""

from core.tables import Column, Table


class AuditTable(Table):
    columns = [
        Column("id", "When", ("id",)),
        Column("user", "User"),
        Column("action", "Action"),
        Column("object", "Object"),
        Column("before", "Before"),
        Column("after", "After"),
        Column("change_set", "Change set"),
    ]
    default_sort = "-id"
