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
from inventory.choices import AfterHold, Status
from inventory.models import DID
from jobs.models import Job
from operators.models import Operator
from packages.models import Package
from subscriptions.models import Subscription

from .models import ApiToken

# The statuses a DID starts in (New DIDs, a new DID of an import).
INITIAL = [(s.value, s.label) for s in (Status.RESERVED, Status.IN_STOCK, Status.ARCHIVE)]


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


# --------------------------------------------------------------------------- requests (schema)


class NameRequest(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    reseller = serializers.IntegerField(
        required=False, help_text="A platform admin chooses it; a reseller's user: their own."
    )


class AccountRequest(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    client = serializers.IntegerField()


class RenameRequest(serializers.Serializer):
    name = serializers.CharField(max_length=150)


class EndDateRequest(serializers.Serializer):
    end_date = serializers.DateField(
        allow_null=True, required=False, help_text="null: no end; left out: unchanged."
    )


class PackageRequest(NameRequest):
    did_allowance = serializers.IntegerField(min_value=1)
    allowed_tags = serializers.CharField(
        required=False, allow_blank=True, help_text="Comma-separated; empty: any tag."
    )
    hold_days = serializers.IntegerField(min_value=0)
    archived = serializers.BooleanField(
        required=False, help_text="On update: true takes no new subscriptions."
    )


class SubscriptionRequest(serializers.Serializer):
    client = serializers.IntegerField()
    package = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)


@extend_schema_serializer(
    examples=[
        example(
            "A range and a number",
            {
                "numbers": "4155550100-4155550199, 4155550300",
                "operator": 7,
                "status": "in_stock",
                "after_hold": "in_stock",
                "tag": "gold",
            },
            request=True,
        )
    ]
)
class NewDIDsRequest(serializers.Serializer):
    numbers = serializers.CharField(help_text="Numbers and ranges: 4155550100, 111-222.")
    operator = serializers.IntegerField()
    status = serializers.ChoiceField(choices=INITIAL)
    after_hold = serializers.ChoiceField(choices=AfterHold.choices)
    tag = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    skip_existing = serializers.BooleanField(
        required=False, help_text="Create the others when some numbers exist already."
    )


@extend_schema_serializer(
    examples=[
        example("New tag and notes", {"tag": "gold", "notes": "ported in"}, request=True),
        example("Back to the package's hold days", {"clear_hold_days": True}, request=True),
    ]
)
class DIDEditRequest(serializers.Serializer):
    """The fields Mass Edit changes, for one DID: an empty value changes nothing; clear_*
    empties the field."""

    after_hold = serializers.ChoiceField(choices=AfterHold.choices, required=False)
    tag = serializers.CharField(required=False, allow_blank=True)
    clear_tag = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    clear_notes = serializers.BooleanField(required=False)
    hold_days = serializers.IntegerField(required=False, allow_null=True)
    clear_hold_days = serializers.BooleanField(
        required=False, help_text="Use the package's hold days again."
    )
    operator = serializers.IntegerField(
        required=False, help_text="Move the DID to this operator of its own reseller."
    )


class AssignRequest(serializers.Serializer):
    account = serializers.IntegerField()
    subscription = serializers.IntegerField(
        required=False, help_text="Default: the client's one active subscription with room."
    )


class StatusRequest(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.choices)


@extend_schema_serializer(
    examples=[
        example("Ticked DIDs, a dry run", {"ids": [1718, 1719], "dry_run": True}, request=True),
        example(
            "All matching a search",
            {"filter": {"status": "in_stock", "tag": "gold"}, "status": "archive"},
            request=True,
        ),
    ]
)
class BulkRequest(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=10_000)
    filter = serializers.DictField(
        child=serializers.CharField(max_length=1000),
        required=False,
        help_text="The DID list's own filters (status, operator, tag, did, ...).",
    )
    dry_run = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    account = serializers.IntegerField(required=False)
    subscription = serializers.IntegerField(required=False)


@extend_schema_serializer(
    examples=[
        example(
            "Some refused",
            {
                "dry_run": True,
                "moved": 1,
                "unchanged": 0,
                "refused": 1,
                "refusals": [
                    {
                        "reason": "Active DIDs cannot be set to Archive: they are assigned",
                        "count": 1,
                        "examples": ["4155550101"],
                    }
                ],
                "change_set": None,
                "message": "",
                "job": None,
            },
        )
    ]
)
class MoveResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    moved = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    refused = serializers.IntegerField()
    refusals = serializers.ListField(child=serializers.DictField())
    change_set = serializers.UUIDField(allow_null=True)
    message = serializers.CharField(allow_blank=True)
    job = serializers.IntegerField(allow_null=True)


class ImportRequest(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.CharField(
        required=False,
        help_text="The field of each column, comma-separated (did, status, operator, tag, "
        "notes, client, account, after_hold, reseller, hold_days; empty: skip). Default: "
        "as read from the header.",
    )
    has_header = serializers.BooleanField(required=False)
    operator = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=INITIAL)
    after_hold = serializers.ChoiceField(choices=AfterHold.choices)
    tag = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class ApplyRequest(serializers.Serializer):
    mode = serializers.ChoiceField(choices=["all", "valid"])


class NamesRequest(serializers.Serializer):
    names = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)),
        help_text='{"operator": {"Old Telco": "new"}, "client": {"ACME": "12"}}: for each '
        'unknown name, "" (leave its rows refused), "new" (create it) or an id.',
    )
