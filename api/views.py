"""GET /api/v1/route/<number>: is this number routable, and to whom?

Built for switches asking thousands of times a second: no session, no CSRF, no templates;
one query on the DID number's unique index that fetches the names by joins.
"""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from inventory.choices import Status
from inventory.numbers import NUMBER

from .auth import authenticate

# One query: the DID by its number's unique index, with the reseller, operator, client and
# account names joined in (the query ``select_related`` would send). It runs inside the
# PL/pgSQL function of migration 0002, so PostgreSQL plans it once per connection instead of
# on every lookup (planning the joins cost more than running them); and raw SQL rather than
# the ORM, whose query building cost more than the query itself. Measured in README.md,
# "Benchmark", figure 7.
_LOOKUP = "SELECT * FROM api_route_lookup(%s, %s)"


def _error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
def route(request, number: str):
    if request.method not in ("GET", "HEAD"):
        return _error(405, f"Method {request.method} is not allowed; use GET.", Allow="GET, HEAD")
    token = authenticate(request)
    if token is None:
        return _error(
            401,
            "Missing, unknown or revoked API token: send 'Authorization: Bearer <token>'.",
            WWW_Authenticate='Bearer realm="api"',
        )
    number = number.strip()
    if not NUMBER.match(number):
        return _error(
            400, f"'{number[:40]}' is not a number: use digits, with an optional leading +."
        )
    with connection.cursor() as cur:
        cur.execute(_LOOKUP, [number, token.reseller_id])
        row = cur.fetchone()
    if row is None:
        response = _error(404, f"Number {number} is not in this inventory.")
        # An unknown number is an ordinary answer here, not a broken link: don't write a
        # "Not Found" warning per lookup (django.request checks this flag).
        response._has_been_logged = True
        return response
    stored, status, reseller, operator, client, account, subscription_id = row
    return JsonResponse(
        {
            "number": stored,
            "routable": status == Status.ACTIVE,
            "status": status,
            "reseller": reseller,
            "operator": operator,
            "client": client,
            "account": account,
            "subscription_id": subscription_id,
        }
    )
