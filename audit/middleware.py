"""The request id every change set records: the ``X-Request-ID`` the proxy sent (letters,
digits, ``-``, ``_`` and ``.``, at most 64), else a new one; it is echoed in the response."""

import re
import uuid

from .services import REQUEST_ID

VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if VALID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
