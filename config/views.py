import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from inventory import geography
from inventory import selectors as inventory_selectors
from inventory.choices import Status

BAR_COLORS = {
    Status.RESERVED: "#f0a030",
    Status.IN_STOCK: "#3b7be0",
    Status.ACTIVE: "#2e9d4c",
    Status.BLOCKED: "#d9453b",
    Status.ON_HOLD: "#8b4fd6",
    Status.ARCHIVE: "#8a9aa6",
}


COUNTRY_COLOR = "#2a9d8f"
COUNTRIES_SHOWN = 10


def _bars(rows, width=560, bar=26, gap=8, label_w=150):
    """Horizontal bar chart geometry for a server-rendered SVG: rows of (label, value, color,
    url); each bar is a link to ``url``, the DID list filtered to what it counts (None: no
    link)."""
    top = max([v for _l, v, _c, _u in rows] + [1])
    out = []
    for i, (label, value, color, url) in enumerate(rows):
        w = 0 if not value else max(2, round((width - label_w - 90) * value / top))
        out.append(
            {
                "label": label,
                "value": value,
                "color": color,
                "url": url,
                "y": i * (bar + gap),
                "w": w,
                "text_x": label_w + w + 6,
            }
        )
    return {
        "rows": out,
        "height": len(rows) * (bar + gap),
        "width": width,
        "bar": bar,
        "label_w": label_w,
        "text_y": bar // 2 + 5,
    }


@login_required
def home(request):
    now = timezone.now()
    board = inventory_selectors.dashboard(request.user, now=now)
    by_status = board.by_status
    dids = reverse("inventory:did_list")
    status_rows = [
        (s.label, by_status.get(s.value, 0), BAR_COLORS[s.value], f"{dids}?status={s.value}")
        for s in Status
    ]
    total = sum(n for _l, n, _c, _u in status_rows)
    op_rows = [
        (name, n, "#3b7be0", f"{dids}?operator={pk}")
        for (name, n), pk in zip(board.top_operators, board.top_operator_ids, strict=True)
    ]
    by_country = inventory_selectors.dids_per_country(request.user)
    country_rows = [
        (
            geography.country_name(code) if code else "No country",
            n,
            COUNTRY_COLOR,
            f"{dids}?country={code}" if code else None,
        )
        for code, n in by_country[:COUNTRIES_SHOWN]
    ]
    return render(
        request,
        "home.html",
        {
            "status_rows": [(s.label, s.value, by_status.get(s.value, 0)) for s in Status],
            "total": total,
            "status_chart": _bars(status_rows),
            "operator_chart": _bars(op_rows),
            "operators_total": board.operators_total,
            "country_chart": _bars(country_rows),
            "countries_total": len(by_country),
            "ending": board.ending,
            "ending_count": board.ending_count,
            "week_end_iso": timezone.localtime(now + dt.timedelta(days=8)).date().isoformat(),
        },
    )


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"ok": True})
