"""Import runs (the REST API's list): newest first."""

from core.tables import Column, Table


class ImportTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("original_name", "File", ("original_name", "id")),
    ]
    default_sort = "-id"
