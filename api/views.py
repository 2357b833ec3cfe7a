"""The routing lookup, and the API tokens pages.

GET /api/v1/route/<number>: is this number routable, and to whom?

Built for switches asking thousands of times a second: no session, no CSRF, no templates;
one query on the DID number's unique index that fetches the names by joins.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from audit.services import Actor
from inventory import lifecycle
from inventory.numbers import NUMBER

from . import selectors, services
from .auth import authenticate
from .forms import TokenForm

# One query: the DID by its number's unique index, with the reseller, operator, client and
# account names joined in (the query ``select_related`` would send). It runs inside the
# PL/pgSQL function of migration 0002, so PostgreSQL plans it once per connection instead of
# on every lookup (planning the joins cost more than running them); and raw SQL rather than
# the ORM, whose query building cost more than the query itself. Measured in README.md,
# "Benchmark", figure 7.
_LOOKUP = "SELECT * FROM api_route_lookup(%s, %s)"


_BEARER_HINT = "send 'Authorization: Bearer <token>'."


class _Meta:
    """What ``authenticate`` reads of a request: its META (a WSGI environ will do)."""

    def __init__(self, meta):
        self.META = meta


def answer(method: str, meta, number: str) -> tuple[int, dict, dict]:
    """The routing answer as (status, extra headers, JSON body). Shared by the Django view and
    the WSGI fast path of ``config.wsgi`` so both answer exactly alike."""
    if method not in ("GET", "HEAD"):
        return 405, {"Allow": "GET, HEAD"}, {"error": f"Method {method} is not allowed; use GET."}
    token = authenticate(_Meta(meta))
    if token is None:
        return (
            401,
            {"WWW-Authenticate": 'Bearer realm="api"'},
            {"error": "Missing, unknown or revoked API token: " + _BEARER_HINT},
        )
    number = number.strip()
    if not NUMBER.match(number):
        return (
            400,
            {},
            {"error": f"'{number[:40]}' is not a number: use digits, with an optional leading +."},
        )
    # psycopg's own connection, past Django's cursor wrapper (its bookkeeping cost as much
    # as the query); the fast path reconnects if the server dropped it.
    connection.ensure_connection()
    row = connection.connection.execute(_LOOKUP, [number, token.reseller_id]).fetchone()
    if row is None:
        return 404, {}, {"error": f"Number {number} is not in this inventory."}
    stored, status, reseller, operator, client, account, subscription_id = row
    return (
        200,
        {},
        {
            "number": stored,
            "routable": status in lifecycle.ROUTABLE,
            "status": status,
            "reseller": reseller,
            "operator": operator,
            "client": client,
            "account": account,
            "subscription_id": subscription_id,
        },
    )


@csrf_exempt
def route(request, number: str):
    status, headers, body = answer(request.method, request.META, number)
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    if status == 404:
        # An unknown number is an ordinary answer here, not a broken link: don't write a
        # "Not Found" warning per lookup (django.request checks this flag).
        response._has_been_logged = True
    return response


# --------------------------------------------------------------------------- API tokens (pages)

NEW_TOKEN = "api_new_token"  # the session key that carries a new token's key to its page


@login_required
def token_list(request):
    """The user's API tokens, and New token. A new token's key is shown once: kept in the
    session by the POST and taken out by the page it redirects to, so a reload shows it no
    more (and creates no second token)."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, key = services.token_create(
                user=request.user, **form.cleaned_data, actor=Actor.for_user(request.user)
            )
        except services.TokenError as exc:
            form.add_service_error(str(exc))
        else:
            request.session[NEW_TOKEN] = {"id": token.pk, "key": key}
            return redirect("tokens:token_list")
    created = request.session.pop(NEW_TOKEN, None)
    tokens = selectors.tokens_for(request.user)
    if created is not None:
        created["token"] = tokens.filter(pk=created["id"]).first()
    context = {"form": form, "tokens": tokens, "created": created}
    return render(request, "api/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(selectors.tokens_for(request.user), pk=pk)
    if services.token_revoke(token, actor=Actor.for_user(request.user)):
        messages.success(request, f"Token {token.name} revoked: it no longer works.")
    else:
        messages.info(request, f"Token {token.name} was revoked already.")
    return redirect("tokens:token_list")
