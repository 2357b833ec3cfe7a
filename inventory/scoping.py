"""Tenant scoping: what a user may see. Every view starts from these querysets."""

from .models import DID


def dids_for(user):
    qs = DID.objects.all()
    if getattr(user, "is_platform_admin", False):
        return qs
    if not getattr(user, "is_authenticated", False) or user.reseller_id is None:
        return qs.none()
    return qs.filter(reseller_id=user.reseller_id)
