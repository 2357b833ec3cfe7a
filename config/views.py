import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from inventory.choices import Status
from inventory.scoping import dids_for
from operators.models import Operator

BAR_COLORS = {
    "reserved": "#f0a030",
    "in_stock": "#3b7be0",
    "active": "#2e9d4c",
    "blocked": "#d9453b",
    "on_hold": "#8b4fd6",
    "archive": "#8a9aa6",
}


def _bars(rows, width=560, bar=26, gap=8, label_w=150):
    """Horizontal bar chart geometry for a server-rendered SVG: rows of (label, value, color)."""
    top = max([v for _l, v, _c in rows] + [1])
    out = []
    for i, (label, value, color) in enumerate(rows):
        w = 0 if not value else max(2, round((width - label_w - 90) * value / top))
        out.append(
            {
                "label": label,
                "value": value,
                "color": color,
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
    dids = dids_for(request.user)
    by_status = dict(dids.order_by().values_list("status").annotate(n=Count("id")))
    status_rows = [(s.label, by_status.get(s.value, 0), BAR_COLORS[s.value]) for s in Status]
    total = sum(n for _l, n, _c in status_rows)
    by_op = dict(dids.order_by().values_list("operator").annotate(n=Count("id")))
    names = dict(Operator.objects.filter(pk__in=by_op).values_list("pk", "name"))
    top_ops = sorted(by_op.items(), key=lambda kv: -kv[1])[:10]
    op_rows = [(names.get(pk, "?"), n, "#3b7be0") for pk, n in top_ops]
    now = timezone.now()
    ending = dids.filter(
        status=Status.ON_HOLD, hold_until__lte=now + dt.timedelta(days=7)
    ).select_related("client", "account", "operator")
    return render(
        request,
        "home.html",
        {
            "status_rows": [(s.label, s.value, by_status.get(s.value, 0)) for s in Status],
            "total": total,
            "status_chart": _bars(status_rows),
            "operator_chart": _bars(op_rows),
            "operators_total": len(by_op),
            "ending": ending.order_by("hold_until", "id")[:20],
            "ending_count": ending.count(),
            "week_end": now + dt.timedelta(days=8),
        },
    )


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"ok": True})
