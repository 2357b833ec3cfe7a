"""Reads of jobs: which jobs a user may list or open, and how many a user has running.

``jobs`` sits below ``accounts`` and does not import it: the tenancy rule of
``accounts.tenancy.scoped`` (a platform admin sees everything, a reseller user only their
reseller's rows, anyone else nothing) is read here from the user's own fields.
"""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Job


def is_platform_admin(user) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and getattr(user, "is_platform_admin", False)
    )


def jobs_for(user) -> QuerySet[Job]:
    """The jobs listed to ``user``: all for a platform admin, their reseller's otherwise."""
    qs = Job.objects.all()
    if is_platform_admin(user):
        return qs
    reseller_id = getattr(user, "reseller_id", None) if user.is_authenticated else None
    if reseller_id is None:
        return qs.none()
    return qs.filter(reseller_id=reseller_id)


def own_jobs(user) -> QuerySet[Job]:
    """The jobs ``user`` may open (page, progress, file, cancel): their own; an admin's: all."""
    qs = Job.objects.all()
    if is_platform_admin(user):
        return qs
    return qs.filter(user=user) if user.is_authenticated else qs.none()


def active_jobs(user) -> int:
    """The user's jobs waiting for a worker or running (New DIDs, Mass Edit, exports and
    imports alike)."""
    waiting = Job.objects.filter(user=user, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    return waiting.count()


def active_job_of(user, kinds) -> Job | None:
    """The user's oldest job of one of ``kinds`` that waits for a worker or runs, if any."""
    if user is None or user.pk is None or not kinds:
        return None
    return (
        Job.objects.filter(
            user=user, kind__in=list(kinds), status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
        )
        .order_by("id")
        .first()
    )
