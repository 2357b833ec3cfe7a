"""The Audit Log and a change set's entries: their columns and their one sort, newest first
(by id, a keyset: the log grows into millions of records, and a page deep in it costs what
the first one does)."""

from core.tables import Column, Table


class AuditTable(Table):
    columns = [
        Column("id", "When", ("id",)),
        Column("user", "User"),
        Column("action", "Action"),
        Column("object", "Object"),
        Column("what", "What changed"),
        Column("change_set", "Change set"),
    ]
    default_sort = "-id"


class ChangeSetTable(Table):
    columns = [
        Column("id", "When", ("id",)),
        Column("object", "Object"),
        Column("what", "What changed"),
    ]
    default_sort = "-id"
