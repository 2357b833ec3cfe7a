"""Schemathesis against the API's own OpenAPI schema: every operation, with data that fits
the schema and data that does not, never answers a 500 (issue 11). Bounded: a fixed number
of examples per operation and mode, derandomized, so CI runs the same cases each time."""

import json

import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from inventory.choices import Status

from .api_support import token_for

EXAMPLES = 6  # per operation and mode


def _send(client, case, headers):
    path, method = case.formatted_path, case.method.lower()
    query = case.query if isinstance(case.query, dict) else {}
    body = None if isinstance(case.body, NotSet) else case.body
    if method == "get":
        return client.get(path, query, **headers)
    if method == "delete":
        return client.delete(path, **headers)
    send = getattr(client, method)
    if isinstance(body, bytes | str):  # a raw body, as the media type's bytes
        return send(path, body, content_type=case.media_type or "application/json", **headers)
    if case.media_type == "multipart/form-data" and isinstance(body, dict):
        form = {
            k: SimpleUploadedFile("fuzz.csv", v) if isinstance(v, bytes) else v
            for k, v in body.items()
            if v is not None
        }
        return send(path, form, **headers)
    return send(path, json.dumps(body), content_type="application/json", **headers)


def test_no_operation_answers_a_500(client, world, other_world, monkeypatch, import_dir):
    monkeypatch.setattr("api.permissions.TokenRateThrottle.THROTTLE_RATES", {"api": "100000/min"})
    for status in (Status.IN_STOCK, Status.ACTIVE, Status.ON_HOLD):
        world.did(status)
        other_world.did(status)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(world.user)}"}
    client.raise_request_exception = False  # a crash is a 500 answer, counted below
    raw = client.get("/api/v1/schema/", {"format": "json"}).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def run(case):
                response = _send(client, case, headers)
                if response.status_code >= 500:
                    code = response.status_code
                    failures.append(
                        f"{case.method} {case.formatted_path} {str(case.query)[:200]} -> {code}"
                    )

            run()
    assert not failures, "\n".join(failures[:20])
