"""The Clients list: its columns and sorts."""

from core.tables import Column, Table


class ClientTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("name", "Name", ("name", "id")),
        Column("account_count", "Accounts"),
        Column("active_count", "Active subscriptions"),
        Column("did_count", "DIDs count"),
        Column("reseller", "Reseller", ("reseller__name", "id")),
    ]
    default_sort = "name"
    keyset = False


class ClientDIDTable(Table):
    """A client's DIDs tab: by ID, in numbered pages (a row's button comes back to its page)."""

    columns = [Column("id", "ID", ("id",))]
    keyset = False


class AccountTable(Table):
    """Accounts (the REST API's list): by ID or name."""

    columns = [Column("id", "ID", ("id",)), Column("name", "Name", ("name", "id"))]
    default_sort = "id"
    keyset = False
