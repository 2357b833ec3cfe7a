"""The DID Inventory's columns and sorts. Keyset pages on the DID's own indexed columns; the
nullable or related ones (Notes, Client, Hold until, Package) page by offset. After Hold,
Hold until and Package are shown when the user ticks them (Columns).

Operator, Reseller, Client and Package sort by the DID's own column (``operator_id``...):
the DIDs of one operator together, operators in the order they were added. Ordering by the
related name would join the other table on every page (no index serves it at a million
rows) and would not be the order a keyset cursor of ids seeks in."""

from core.tables import Column, Table


class DIDTable(Table):
    columns = [
        Column("id", "ID", ("id",)),
        Column("status", "Status", ("status", "id")),
        Column("operator", "Operator", ("operator_id", "id")),
        Column("did", "DID", ("number",)),
        Column("tag", "Tag", ("tag", "id")),
        Column("notes", "Notes", ("notes", "id"), keyset=False),
        Column("client", "Client", ("client_id", "id"), keyset=False),
        Column("reseller", "Reseller", ("reseller_id", "id")),
        Column("country", "Country"),  # and region: inventory.geography, from the number
        Column("after_hold", "After Hold", ("after_hold_status", "id"), optional=True),
        Column("hold_until", "Hold until", ("hold_until", "id"), keyset=False, optional=True),
        Column("package", "Package", ("subscription_id", "id"), keyset=False, optional=True),
    ]

    @classmethod
    def default_for(cls, params) -> str:
        """A DID search lists its matches in number order unless another sort is chosen: the
        number index then serves both the search and the order."""
        return "did" if params.get("did") else "id"

    @classmethod
    def order_for(cls, params) -> list[str]:
        """The ORDER BY of the list (or the export) the URL's ``sort`` asks for."""
        choice = cls.sort_for(params, cls.default_for(params))
        return choice.sort.order_by(choice.descending)
