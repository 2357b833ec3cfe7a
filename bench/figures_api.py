"""Figure 8: the REST API's DID list (100 DIDs a page, a read-write token), server time,
against the DID Inventory page's own list of the same 100 DIDs, measured side by side.

A mixin of ``bench.runner.Benchmark``: it uses the run's ``row``, ``say`` and world."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from api.services import token_create
from api.services import token_revoke as revoke
from audit.services import Actor

from .report import MAIN_BASE


class ApiFigures:
    def fig8_api_list(self) -> None:
        n = self.n
        prefix = str(MAIN_BASE + n // 2)[:-4]
        runs = 9
        cases = [
            ("first page", "per_page=100"),
            ("in stock, by number", "per_page=100&status=in_stock&sort=did"),
            (f"DID prefix ({prefix}…)", f"per_page=100&did={prefix}&did_match=prefix"),
        ]
        token, key = token_create(
            user=self.user, name="benchmark", scope="read", actor=Actor.for_user(self.user)
        )
        api = Client(raise_request_exception=True, HTTP_AUTHORIZATION=f"Bearer {key}")
        page = Client(raise_request_exception=True)
        page.force_login(self.user)
        try:
            with override_settings(ALLOWED_HOSTS=["testserver", *settings.ALLOWED_HOSTS]):
                self._api_cases(n, runs, cases, api, page)
        finally:
            revoke(token, actor=Actor.for_user(self.user))

    def _api_cases(self, n, runs, cases, api, page) -> None:
        for name, query in cases:
            row = self.row(8, f"GET /api/v1/dids/ {name}, {n:,} DIDs", "ms", "<= 25 ms", "max", 25)
            row.baseline_name = "the DID Inventory page, same 100 rows"
            self.say(f"8: /api/v1/dids/?{query}")
            row.ours, code = self._median_ms(api, f"/api/v1/dids/?{query}", runs)
            row.baseline, _ = self._median_ms(page, f"/dids/?{query}", runs)
            row.notes = f"/api/v1/dids/?{query}"
            if row.ours is None:
                row.status = f"error: HTTP {code}"
