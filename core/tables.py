"""A list's columns and sorts, declared once per model in the app's ``tables.py``.

    class OperatorTable(Table):
        columns = [
            Column("id", "ID", ("id",)),
            Column("name", "Name", ("name", "id")),
            Column("did_count", "DID's count"),                     # not sortable
            Column("reseller", "Reseller", ("reseller__name", "id"), keyset=False),
        ]

A sortable column names the model columns of its ORDER BY, the last one unique (``id``), and
whether the list may page it by keyset (indexed integer or text columns of the model itself)
or only by offset. The URL asks for a sort with ``?sort=name`` or ``?sort=-name``
(descending); ``Table.sort_for`` reads that, in one place for every list: an unknown sort falls
back to the table's default, with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .paging import Sort, shown


@dataclass(frozen=True)
class Column:
    key: str  # the column's name, and its sort's URL value
    label: str
    order: tuple[str, ...] = ()  # ORDER BY columns, the last one unique; () = not sortable
    keyset: bool = True  # False: paged by offset (a related or nullable column)
    optional: bool = False  # shown only when the user ticks it in the columns chooser

    @property
    def sortable(self) -> bool:
        return bool(self.order)

    @property
    def sort(self) -> Sort:
        return Sort(self.key, self.label, self.order, self.keyset)


@dataclass(frozen=True)
class SortChoice:
    """The sort a list shows: the ``Sort``, its direction, its URL value, and a notice when it
    is not the one the URL asked for."""

    sort: Sort
    descending: bool
    value: str
    notice: str = ""


class Table:
    columns: list[Column] = []
    default_sort: str = "id"  # a column key, "-key" for descending
    # False: every sort pages by number (``?page=``), as a small list does; True: the
    # keyset-able columns page by cursor (a list of millions of rows).
    keyset: bool = True

    @classmethod
    def sorts(cls) -> dict[str, Sort]:
        return {
            c.key: Sort(c.key, c.label, c.order, c.keyset and cls.keyset)
            for c in cls.columns
            if c.sortable
        }

    @classmethod
    def sort_for(cls, params, default: str | None = None) -> SortChoice:
        """The sort the URL's ``sort`` asks for (``-key``: descending). An unknown one gives the
        default sort and a notice ("Sort: “x” is not a column; sorted by ID.")."""
        sorts = cls.sorts()
        default = default or cls.default_sort
        raw = params.get("sort", "") or ""
        key = raw.lstrip("-")
        notice = ""
        if key not in sorts:
            if raw:
                label = sorts[default.lstrip("-")].label
                notice = f"Sort: “{shown(raw)}” is not a column; sorted by {label}."
            raw, key = default, default.lstrip("-")
        descending = raw.startswith("-")
        return SortChoice(sorts[key], descending, ("-" if descending else "") + key, notice)

    @classmethod
    def headers(
        cls, choice: SortChoice, link, shown_optional=(), hidden=(), visible=None
    ) -> list[dict]:
        """The table's header cells: label, and for a sortable column its link (``link`` makes
        a URL from a sort value: the same search with that sort), whether it is the active sort
        and in which direction. A click on the active column reverses it. Columns in
        ``hidden`` are left out (a column only some users see); with ``visible`` (the keys a
        user chose), only those are shown."""
        cells = []
        for c in cls.columns:
            if visible is not None:
                if c.key not in visible:
                    continue
            elif (c.optional and c.key not in shown_optional) or c.key in hidden:
                continue
            active = c.sortable and c.key == choice.sort.key
            cell = {"key": c.key, "label": c.label, "sortable": c.sortable, "active": active}
            if c.sortable:
                following = ("" if choice.descending else "-") + c.key if active else c.key
                cell["url"] = link(following)
                cell["descending"] = active and choice.descending
            cells.append(cell)
        return cells

    @classmethod
    def optional_columns(cls) -> dict[str, str]:
        return {c.key: c.label for c in cls.columns if c.optional}

    @classmethod
    def keys(cls) -> list[str]:
        return [c.key for c in cls.columns]

    @classmethod
    def default_columns(cls, hidden=()) -> list[str]:
        """The columns a user who never chose sees: all but the optional ones and ``hidden``."""
        return [c.key for c in cls.columns if not c.optional and c.key not in hidden]
