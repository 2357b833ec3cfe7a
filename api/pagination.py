"""The API's pages: the same keyset (or offset) pagination and sorts as the pages
(``core.paging``, the view's ``core.tables.Table``), as JSON.

``?sort=`` takes a column key of the list's table (``-key``: descending); ``?per_page=`` 20,
50, 100 or 500; ``next`` and ``previous`` are whole URLs to follow. A sort, page size or page
link that is not valid is a 400 that names it (a page shows the first page with a notice
instead; a script is better told).
"""

from __future__ import annotations

import contextlib

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.paging import paginate
from core.views import NAV_KEYS, PAGE_SIZES, per_page_of


class ListPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        table = view.table
        choice = table.sort_for(params, view.default_sort(params))
        per_page, size_notice = per_page_of(params, PAGE_SIZES)
        errors = {}
        if choice.notice:
            errors["sort"] = [choice.notice]
        if size_notice:
            errors["per_page"] = [size_notice]
        if errors:
            raise ValidationError(errors)
        # A list that knows its count better than counting (the DIDs' counts table) says so.
        known = getattr(view, "list_count", None)
        counted = known(queryset) if known is not None else None
        plan = getattr(view, "page_plan", None)
        with plan(counted) if plan is not None else contextlib.nullcontext():
            page = paginate(queryset, choice.sort, choice.descending, per_page, params, counted)
        if page.notice:
            key = ([k for k in NAV_KEYS if k in params] or ["page"])[0]
            raise ValidationError(
                {
                    key: [
                        f"{key.title()}: this page link is not valid (it was changed, or is "
                        "out of date); follow next and previous from the first page."
                        if key != "page"
                        else page.notice
                    ]
                }
            )
        self.page = page
        self.request = request
        return page.rows

    def _link(self, extra: dict | None) -> str | None:
        if extra is None:
            return None
        url = self.request.build_absolute_uri()
        for key in NAV_KEYS:
            url = remove_query_param(url, key)
        for key, value in extra.items():
            url = replace_query_param(url, key, value)
        return url

    def get_paginated_response(self, data):
        page = self.page
        return Response(
            {
                "count": page.count,
                "count_exact": page.exact,
                "next": self._link(page.next_params),
                "previous": self._link(page.prev_params),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_exact", "results"],
            "properties": {
                "count": {"type": "integer", "example": 1204518},
                "count_exact": {
                    "type": "boolean",
                    "example": False,
                    "description": "False: the count is PostgreSQL's estimate (a big search).",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "example": "https://dids.example.com/api/v1/dids/?after=WzE3MThd&start=20",
                },
                "previous": {"type": "string", "nullable": True, "format": "uri", "example": None},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        sorts = ", ".join(view.table.sorts())
        return [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "description": f"A column: {sorts}; a leading - sorts descending.",
                "schema": {"type": "string", "maxLength": 40},
            },
            {
                "name": "per_page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "enum": list(PAGE_SIZES)},
            },
            *(
                {
                    "name": key,
                    "in": "query",
                    "required": False,
                    "description": "Set by the next / previous links; do not build it.",
                    "schema": {"type": "string", "maxLength": 2000},
                }
                for key in NAV_KEYS
            ),
        ]
