"""The Jobs page: its columns and sorts."""

from core.tables import Column, Table


class JobTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("kind", "Kind", ("kind", "id")),
        Column("user", "User", ("user__username", "id"), keyset=False),
        Column("created_at", "Started", ("created_at", "id")),
        Column("status", "Status", ("status", "id")),
        Column("progress", "Progress"),
        Column("outcome", "Outcome"),
        Column("result", "Result"),
    ]
    default_sort = "-id"
    keyset = False
