"""What the REST API returns, and (for its schema) what each write takes. The rules are not
here: writes are checked by the pages' own forms and done by the services."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import Reseller
from audit.models import AuditRecord
from clients.models import Account, Client
from imports.models import ImportJob
from imports.spec import refusal_text
from inventory import geography
from inventory.models import DID
from jobs.models import Job
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

from .models import ApiToken


def example(name: str, value: dict, *, request: bool = False) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=request, response_only=not request)


@extend_schema_serializer(examples=[example("A reseller", {"id": 3, "name": "Acme Telecom"})])
class ResellerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reseller
        fields = ["id", "name", "created_at"]


@extend_schema_serializer(
    examples=[example("An operator", {"id": 7, "name": "Telnyx", "reseller": 3})]
)
class OperatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Operator
        fields = ["id", "name", "reseller"]


@extend_schema_serializer(
    examples=[example("A client", {"id": 12, "name": "Rose Orig", "reseller": 3})]
)
class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "reseller"]


@extend_schema_serializer(
    examples=[example("An account", {"id": 40, "name": "rose_orig", "client": 12})]
)
class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "client"]


@extend_schema_serializer(
    examples=[
        example(
            "A package",
            {
                "id": 5,
                "name": "Pack 50",
                "reseller": 3,
                "did_allowance": 50,
                "allowed_tags": ["gold"],
                "hold_days": 30,
            },
        )
    ]
)
class PackageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Package
        fields = [
            "id",
            "name",
            "reseller",
            "did_allowance",
            "allowed_tags",
            "hold_days",
            "archived",
        ]


@extend_schema_serializer(
    examples=[
        example(
            "A subscription",
            {
                "id": 9,
                "client": 12,
                "package": 5,
                "status": "active",
                "start_date": "2026-12-01",
                "end_date": None,
            },
        )
    ]
)
class SubscriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Subscription
        fields = ["id", "client", "package", "status", "start_date", "end_date"]


DID_EXAMPLE = {
    "id": 1718,
    "number": "14155550100",
    "country": "US",
    "status": "active",
    "operator": 7,
    "operator_name": "Telnyx",
    "reseller": 3,
    "client": 12,
    "client_name": "Rose Orig",
    "account": 40,
    "subscription": 9,
    "tag": "gold",
    "notes": "",
    "after_hold_status": "in_stock",
    "hold_days": None,
    "hold_until": None,
    "created_at": "2026-12-01T10:00:00Z",
    "updated_at": "2026-12-02T09:30:00Z",
}


def when(value) -> str | None:
    """A time as DRF writes it (ISO 8601 in the site's time zone, "Z" for UTC), cheaply."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@extend_schema_serializer(examples=[example("A DID", DID_EXAMPLE)])
class DIDSerializer(serializers.ModelSerializer):
    """A DID. Its fields are read straight off the row (100 DIDs a page, a million in the
    table: the generic field-by-field path cost as much as the query); the schema still
    comes from the declared fields."""

    operator_name = serializers.CharField(source="operator.name", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True, default=None)
    country = serializers.CharField(
        read_only=True,
        help_text="ISO 3166 code of the number's country (phonenumbers); empty if none.",
    )

    class Meta:
        model = DID
        fields = list(DID_EXAMPLE)

    def to_representation(self, did):
        return {
            "id": did.id,
            "number": did.number,
            "country": geography.place(did.number).country,
            "status": did.status,
            "operator": did.operator_id,
            "operator_name": did.operator.name,
            "reseller": did.reseller_id,
            "client": did.client_id,
            "client_name": did.client.name if did.client_id else None,
            "account": did.account_id,
            "subscription": did.subscription_id,
            "tag": did.tag,
            "notes": did.notes,
            "after_hold_status": did.after_hold_status,
            "hold_days": did.hold_days,
            "hold_until": when(did.hold_until),
            "created_at": when(did.created_at),
            "updated_at": when(did.updated_at),
        }


@extend_schema_serializer(
    examples=[
        example(
            "A finished Mass Edit",
            {
                "id": 31,
                "kind": "mass_edit",
                "kind_label": "Mass Edit",
                "status": "done",
                "ok": True,
                "percent": 100,
                "stage": "Done",
                "message": "Mass Edit: 200,000 DIDs set to Archive.",
                "created_at": "2026-12-02T09:30:00Z",
                "finished_at": "2026-12-02T09:30:20Z",
            },
        )
    ]
)
class JobSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "kind_label",
            "status",
            "ok",
            "percent",
            "stage",
            "message",
            "created_at",
            "finished_at",
        ]


@extend_schema_serializer(
    examples=[
        example(
            "A checked import",
            {
                "id": 4,
                "original_name": "dids.csv",
                "status": "dry_run",
                "mapping": ["did", "status", "tag"],
                "rows_total": 3,
                "counts": {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "refused": 1},
                "refusals": ["Row 4, DID: “12a” is not a number"],
                "message": "",
                "job": None,
            },
        )
    ]
)
class ImportSerializer(serializers.ModelSerializer):
    refusals = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "original_name",
            "status",
            "mapping",
            "rows_total",
            "counts",
            "refusals",
            "message",
            "job",
        ]

    def get_refusals(self, obj) -> list[str]:
        return [refusal_text(e) for e in obj.errors or []]


@extend_schema_serializer(
    examples=[
        example(
            "A record",
            {
                "id": 880,
                "change_set": "0b5c7a52-8e2f-4d11-9a55-3f4b2f0b6f10",
                "created_at": "2026-12-02T09:30:00Z",
                "username": "ops",
                "action": "status",
                "object_type": "did",
                "object_id": 1718,
                "object_repr": "4155550100",
                "before": {"status": "in_stock"},
                "after": {"status": "archive"},
            },
        )
    ]
)
class AuditRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditRecord
        fields = [
            "id",
            "change_set",
            "created_at",
            "username",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
        ]


@extend_schema_serializer(
    examples=[
        example(
            "A Mass Edit",
            {
                "change_set": "0b5c7a52-8e2f-4d11-9a55-3f4b2f0b6f10",
                "username": "ops",
                "started_at": "2026-12-02T09:30:00Z",
                "finished_at": "2026-12-02T09:30:19Z",
                "records": 200000,
                "actions": {"status": 200000},
            },
        )
    ]
)
class ChangeSetSerializer(serializers.Serializer):
    change_set = serializers.UUIDField()
    username = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    records = serializers.IntegerField()
    actions = serializers.DictField(child=serializers.IntegerField())


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "created_at", "last_used_at", "revoked"]
