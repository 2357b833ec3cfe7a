"""GET /api/v1/route/<number>: is this number routable, and to whom?

Built for switches asking thousands of times a second: no session, no CSRF, no templates;
one query on the DID number's unique index that fetches the names by joins.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from inventory.choices import Status
from inventory.models import DID
from inventory.numbers import NUMBER

from .auth import authenticate

_FIELDS = (
    "number",
    "status",
    "reseller_id",
    "reseller__name",
    "operator__name",
    "client__name",
    "account__name",
    "subscription_id",
)


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
    dids = DID.objects.filter(number=number)
    if not token.platform_wide:
        dids = dids.filter(reseller_id=token.reseller_id)
    row = next(iter(dids.values(*_FIELDS)[:1]), None)
    if row is None:
        return _error(404, f"Number {number} is not in this inventory.")
    return JsonResponse(
        {
            "number": row["number"],
            "routable": row["status"] == Status.ACTIVE,
            "status": row["status"],
            "reseller": row["reseller__name"],
            "operator": row["operator__name"],
            "client": row["client__name"],
            "account": row["account__name"],
            "subscription_id": row["subscription_id"],
        }
    )
