"""Export DIDs of the DID Inventory tab: a thin view over ``inventory.exporting``. (Import
DIDs is the ``imports`` app.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from jobs import services as jobs
from jobs.models import Job

from . import exporting
from .selectors import did_search
from .tables import DIDTable

# --------------------------------------------------------------------------- Export DIDs


def _bad_request(request, message: str):
    return render(request, "inventory/export_error.html", {"message": message}, status=400)


def _filter_errors(filterset) -> str:
    """The search's errors, each naming its field."""
    parts = []
    for name, errors in filterset.errors.items():
        field = filterset.form.fields.get(name)
        label = field.label if field is not None and field.label else name
        for error in errors:
            parts.append(error if error.startswith(f"{label}:") else f"{label}: {error}")
    return " ".join(parts)


@login_required
def did_export(request):
    """The DIDs the current search shows (all pages), in the list's order, as CSV or XLSX.

    A request does a bounded amount of work: a CSV of at most ``BACKGROUND_THRESHOLD`` rows
    streams at once; a larger CSV, and every XLSX (openpyxl builds it in the worker's
    memory and CPU), is written by a background job whose page offers the file to download.
    """
    fmt = (request.GET.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        return _bad_request(request, f"Format: “{fmt}” is not csv or xlsx.")
    filterset = did_search(request)
    if not filterset.is_valid():
        return _bad_request(request, _filter_errors(filterset))
    order_by = DIDTable.order_for(request.GET)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    if fmt == "csv" and _at_most(filterset.qs, jobs.threshold()):
        response = StreamingHttpResponse(
            exporting.export_csv_rows(filterset.qs, order_by),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="dids-{stamp}.csv"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    back = reverse("inventory:did_list") + (f"?{query.urlencode()}" if query else "")
    try:
        job = jobs.start(
            Job.Kind.EXPORT_XLSX if fmt == "xlsx" else Job.Kind.EXPORT_CSV,
            user=request.user,
            total=0,
            back_url=back,
            params={"q": query.urlencode(), "file_name": f"dids-{stamp}.{fmt}"},
        )
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect("jobs:job_detail", pk=job.pk)


def _at_most(queryset, limit: int) -> bool:
    """Whether ``queryset`` has at most ``limit`` rows (counting no further than that)."""
    return queryset.order_by().values("pk")[: limit + 1].count() <= limit
