"""What DIDs a user may see (see ``accounts.tenancy``)."""

from accounts.tenancy import scoped

from .models import DID


def dids_for(user):
    return scoped(DID.objects.all(), user)
