"""Errors as JSON that name the field and the reason, in the pages' own words.

A service refuses with a message that starts with its field's label ("Name: ...",
"Start date: ..."); here it becomes ``{"name": ["Name: ..."]}`` with a 400 (a 409 for work
that is busy or changed meanwhile, a 429 for too many jobs). Anything else DRF knows keeps
its status; a ``{"detail": ...}`` is always there.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler

from accounts.services import AccountError
from clients.services import ClientError
from imports.errors import ImportFileError
from inventory import lifecycle
from inventory.numbers import NumberSpecError
from inventory.services import DIDsExist, StaleDID
from jobs.services import TooManyJobs
from operators.services import OperatorError
from packages.services import PackageError
from subscriptions.services import SubscriptionError

from .services import TokenError

# The refusals of the services: their message is for the user.
REFUSALS = (
    AccountError,
    ClientError,
    DIDsExist,
    ImportFileError,
    lifecycle.LifecycleError,
    NumberSpecError,
    OperatorError,
    PackageError,
    SubscriptionError,
    TokenError,
    TooManyJobs,
)
_LABEL = re.compile(r"^([A-Z][A-Za-z ]{0,30}): ")


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class TooMany(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_jobs"


def field_of(message: str, fields=()) -> str:
    """The field a service's message is about ("Start date: ..." -> "start_date"), if the
    request has it; else ``non_field_errors``."""
    match = _LABEL.match(message)
    if match:
        name = match.group(1).strip().lower().replace(" ", "_")
        if name in fields:
            return name
    return "non_field_errors"


def refusal(exc: Exception, fields=()) -> APIException:
    """The API error for a service's refusal ``exc``."""
    message = str(exc)
    if isinstance(exc, TooManyJobs):
        return TooMany(message)
    if isinstance(exc, StaleDID | lifecycle.DIDsBusy):
        return Conflict(message)
    return ValidationError({field_of(message, fields): [message]})


def handler(exc, context):
    if isinstance(exc, REFUSALS):
        view = context.get("view")
        fields = getattr(view, "refusal_fields", ()) if view is not None else ()
        exc = refusal(exc, fields)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError({"non_field_errors": exc.messages})
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        messages = [
            str(m)
            for value in response.data.values()
            for m in (value if isinstance(value, list) else [value])
        ]
        response.data["detail"] = " ".join(messages)[:2000]
    return response
