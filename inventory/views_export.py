"""Export DIDs of the DID Inventory tab: a thin view over ``inventory.exporting``. (Import
DIDs is the ``imports`` app.)"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from jobs import services as jobs
from jobs.models import Job

from . import exporting
from .selectors import did_search, search_errors
from .tables import DIDTable

# --------------------------------------------------------------------------- Export DIDs


def _bad_request(request, message: str):
    return render(request, "inventory/export_error.html", {"message": message}, status=400)


@login_required
def did_export(request):
    """The DIDs the current search shows (all pages), in the list's order, as CSV or XLSX.

    A request does a bounded amount of work: a CSV of at most ``BACKGROUND_THRESHOLD`` rows
    streams at once; a larger CSV, and every XLSX, is written by a background job whose page
    offers the file to download. A user's exports run one at a time: while one of their
    export jobs waits or runs, another export is refused with a link to it.
    """
    fmt = (request.GET.get("format") or "csv").lower()
    if fmt not in ("csv", "xlsx"):
        return _bad_request(request, f"Format: “{fmt}” is not csv or xlsx.")
    filterset = did_search(request)
    if not filterset.is_valid():
        return _bad_request(request, search_errors(filterset))
    order_by = DIDTable.order_for(request.GET)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    query = request.GET.copy()
    query.pop("format", None)
    back = reverse("inventory:did_list") + (f"?{query.urlencode()}" if query else "")
    kind = Job.Kind.EXPORT_XLSX if fmt == "xlsx" else Job.Kind.EXPORT_CSV
    try:
        jobs.check_one_at_a_time(request.user, kind)
    except jobs.AlreadyRunning as exc:
        return _refused(request, exc, back)
    if fmt == "csv" and _at_most(filterset.qs, jobs.threshold()):
        response = StreamingHttpResponse(
            exporting.export_csv_rows(filterset.qs, order_by),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="dids-{stamp}.csv"'
        return response
    try:
        job = jobs.start(
            kind,
            user=request.user,
            total=0,
            back_url=back,
            params={"q": query.urlencode(), "file_name": f"dids-{stamp}.{fmt}"},
        )
    except jobs.AlreadyRunning as exc:  # started meanwhile (reserve_slot decides under a lock)
        return _refused(request, exc, back)
    except jobs.TooManyJobs as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return redirect("jobs:job_detail", pk=job.pk)


def _refused(request, exc, back: str):
    """Back to the list with "Export DIDs: your ... #12 is still running ..." and a link to
    that job's page."""
    url = reverse("jobs:job_detail", args=[exc.job.pk])
    messages.error(
        request,
        format_html(
            'Export DIDs: {} <a href="{}" id="running-export">Open {}</a>.', exc, url, exc.job
        ),
    )
    return redirect(back)


def _at_most(queryset, limit: int) -> bool:
    """Whether ``queryset`` has at most ``limit`` rows (counting no further than that)."""
    return queryset.order_by().values("pk")[: limit + 1].count() <= limit
