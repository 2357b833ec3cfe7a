"""Who may call the REST API, and how often.

* ``TokenAuthentication``: ``Authorization: Bearer <key>`` of a read or read-write token acts
  as the user who created it (the same tenancy as that user's pages). The browser uses its
  session instead (DRF's SessionAuthentication, with its CSRF check).
* ``ScopePermission``: a signed-in user or a token; a read token only reads.
* ``TokenRateThrottle``: requests per token (per user for a session) in the cache (Redis when
  ``REDIS_URL`` is set), ``API_RATE`` (default 1200/min); past it a 429 with Retry-After.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.throttling import SimpleRateThrottle

from .auth import bearer_key
from .choices import Scope
from .models import ApiToken, hash_key

KEY_MAX = 200
TOUCH_EVERY = dt.timedelta(minutes=1)  # how often last_used_at is written, at most


class TokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = bearer_key(request)
        if key is None:
            return None
        token = None
        if len(key) <= KEY_MAX:
            token = (
                ApiToken.objects.select_related("user")
                .filter(key_hash=hash_key(key), revoked=False, scope__in=[Scope.READ, Scope.WRITE])
                .first()
            )
        if token is None or token.user is None or not token.user.is_active:
            raise AuthenticationFailed(
                "Missing, unknown or revoked API token: send 'Authorization: Bearer <key>' "
                "with a key from your API tokens page."
            )
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ScopePermission(BasePermission):
    message = "This token is read only: create a read-write token to change anything."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            raise NotAuthenticated(
                "Sign in, or send 'Authorization: Bearer <key>' with a key from your API "
                "tokens page."
            )
        token = request.auth
        if isinstance(token, ApiToken) and token.scope != Scope.WRITE:
            return request.method in SAFE_METHODS
        return True


class TokenRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
