from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from accounts.tenancy import is_admin

from .models import Job


def _job(request, pk):
    qs = Job.objects.all()
    if not is_admin(request.user):
        qs = qs.filter(user=request.user)
    return get_object_or_404(qs, pk=pk)


@login_required
def job_detail(request, pk):
    return render(request, "jobs/job_detail.html", {"job": _job(request, pk)})


@login_required
def job_progress(request, pk):
    job = _job(request, pk)
    return JsonResponse(
        {
            "status": job.status,
            "stage": job.stage,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message if job.status in (Job.Status.DONE, Job.Status.FAILED) else "",
            "ok": job.ok,
        }
    )
