"""The Resellers list: its columns and sorts."""

from core.tables import Column, Table


class ResellerTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("name", "Name", ("name", "id")),
        Column("operator_count", "Operators count"),
        Column("user_count", "Users count"),
        Column("did_count", "DIDs count"),
    ]
    default_sort = "id"
    keyset = False
