"""The imports app's reads: a user's import jobs (their reseller's; an admin sees all)."""

from accounts.tenancy import scoped

from .models import ImportJob


def jobs_for(user):
    """The import jobs ``user`` may see, each with its user."""
    return scoped(ImportJob.objects.select_related("user"), user)


def recent_jobs(user, count: int = 10):
    """The newest ``count`` import jobs ``user`` may see."""
    return scoped(ImportJob.objects.all(), user).order_by("-id")[:count]
