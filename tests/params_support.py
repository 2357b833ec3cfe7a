"""The list pages the hostile-parameter tests fuzz, and their parameters."""

from dataclasses import dataclass, field

from audit.filtersets import FILTERS as AUDIT_FILTERS

DID_PARAMS = (
    "status",
    "operator",
    "reseller",
    "client",
    "account",
    "tag",
    "did",
    "did_match",
    "after_hold",
    "hold_ends_before",
    "sort",
    "per_page",
    "show",
    "after",
    "before",
    "start",
    "last",
    "page",
)


@dataclass
class ListPage:
    name: str
    params: tuple[str, ...]
    kwargs: object = None  # callable(world) -> URL kwargs
    admin_only: bool = False
    extra: dict = field(default_factory=dict)  # sent with every request


LIST_PAGES = [
    ListPage("home", ("page",)),
    ListPage("inventory:did_list", DID_PARAMS),
    ListPage("inventory:did_export", (*DID_PARAMS, "format")),
    ListPage("inventory:saved_search_list", ("page", "sort")),
    ListPage("audit:audit_list", (*AUDIT_FILTERS, "sort", "per_page", "after", "before", "start")),
    ListPage("operators:operator_list", ("reseller", "sort", "per_page", "page")),
    ListPage("clients:client_list", ("q", "reseller", "sort", "per_page", "page")),
    ListPage(
        "clients:client_dids", ("page", "prefix", "tag"), kwargs=lambda w: {"pk": w.client.pk}
    ),
    ListPage("clients:client_detail", ("page",), kwargs=lambda w: {"pk": w.client.pk}),
    ListPage("packages:package_list", ("name", "reseller", "sort", "per_page", "page")),
    ListPage("subscriptions:subscription_list", ("status", "sort", "per_page", "page")),
    ListPage("accounts:reseller_list", ("name", "sort", "per_page", "page"), admin_only=True),
    ListPage(
        "accounts:reseller_detail",
        ("page",),
        kwargs=lambda w: {"pk": w.reseller.pk},
        admin_only=True,
    ),
    ListPage("imports:did_import", ("page",)),
    ListPage("tokens:token_list", ("page", "name", "scope")),
    ListPage("jobs:job_list", ("status", "kind", "sort", "per_page", "page")),
    ListPage("inventory:did_add", ("page",)),
    # Form pages take no query parameters; a stray one must not hurt them either.
    ListPage("operators:operator_add", ("page",)),
    ListPage("clients:client_add", ("page",)),
    ListPage("packages:package_add", ("page",)),
    ListPage("subscriptions:subscription_add", ("page",)),
    ListPage("accounts:reseller_add", ("page",), admin_only=True),
    ListPage("accounts:admin_add", ("page",), admin_only=True),
]
