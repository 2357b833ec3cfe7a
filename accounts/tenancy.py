"""Tenant scoping, in one place. Every view starts from ``scoped(queryset, user)``: a platform
admin sees everything, a reseller user only rows of their own reseller, anyone else nothing.
Another reseller's object fetched by id through a scoped queryset is simply not found (404)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Reseller


def is_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_platform_admin", False))


def scoped(qs: QuerySet, user, field: str = "reseller") -> QuerySet:
    """``qs`` limited to what ``user`` may see; ``field`` is the path to the reseller."""
    if is_admin(user):
        return qs
    authenticated = getattr(user, "is_authenticated", False)
    reseller_id = getattr(user, "reseller_id", None) if authenticated else None
    if reseller_id is None:
        return qs.none()
    return qs.filter(**{f"{field}_id": reseller_id})


def resellers_for(user) -> QuerySet:
    """The resellers ``user`` may pick in a form: all for an admin, their own otherwise."""
    if is_admin(user):
        return Reseller.objects.all()
    return Reseller.objects.filter(pk=getattr(user, "reseller_id", None))


def admin_required(view):
    """Platform admins only; a reseller user gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_admin(request.user):
            raise PermissionDenied("Only platform admins may do this.")
        return view(request, *args, **kwargs)

    return wrapper
