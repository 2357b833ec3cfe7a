"""The Operators list: its columns and sorts."""

from core.tables import Column, Table


class OperatorTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("name", "Name", ("name", "id")),
        Column("did_count", "DID's count"),
        Column("reseller", "Reseller", ("reseller__name", "id"), keyset=False),
    ]
    default_sort = "id"
    keyset = False
