"""The Subscriptions list: its columns and sorts."""

from core.tables import Column, Table


class SubscriptionTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("client", "Client", ("client__name", "id")),
        Column("package", "Package", ("package__name", "id")),
        Column("status", "Status", ("status", "id")),
        Column("start", "Start", ("start_date", "id")),
        Column("end", "End", ("end_date", "id")),
        Column("used", "DIDs used / allowance"),
        Column("reseller", "Reseller", ("client__reseller__name", "id")),
    ]
    default_sort = "-id"
    keyset = False
