"""Reads of the api app: a user's own API tokens."""

from .models import ApiToken


def tokens_for(user):
    """The REST API tokens ``user`` created, newest first (revoked ones too, marked)."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-id")
