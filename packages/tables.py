"""The Packages list: its columns and sorts."""

from core.tables import Column, Table


class PackageTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("name", "Name", ("name", "id")),
        Column("did_allowance", "DID allowance", ("did_allowance", "id")),
        Column("allowed_tags", "Allowed tags"),
        Column("hold_days", "Hold days", ("hold_days", "id")),
        Column("subscription_count", "Subscriptions"),
        Column("reseller", "Reseller", ("reseller__name", "id")),
    ]
    default_sort = "name"
    keyset = False
