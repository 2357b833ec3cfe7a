from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from inventory.choices import Status
from inventory.models import DID
from inventory.scoping import dids_for


@login_required
def home(request):
    dids = dids_for(request.user)
    by_status = dict(dids.order_by().values_list("status").annotate(n=Count("id")))
    rows = [(s.label, s.value, by_status.get(s.value, 0)) for s in Status]
    total = sum(n for _l, _v, n in rows)
    return render(request, "home.html", {"status_rows": rows, "total": total})


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"ok": True, "dids": DID.objects.count() >= 0})
