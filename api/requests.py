"""What the API's writes take and give back, for the schema: request bodies and move results."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from inventory.choices import AfterHold, Status

from .serializers import example

# The statuses a DID starts in (New DIDs, a new DID of an import).
INITIAL = [(s.value, s.label) for s in (Status.RESERVED, Status.IN_STOCK, Status.ARCHIVE)]


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
