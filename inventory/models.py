from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from config.limits import (
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    NOTES_MAX,
    NUMBER_MAX,
    SAVED_SEARCH_NAME_MAX,
    SAVED_SEARCH_QUERY_MAX,
    TAG_MAX,
    length_message,
    range_message,
)

from .choices import AfterHold, Status

NUMBER_RE = r"^\+?[0-9]+$"


class DID(models.Model):
    """One telephone number, in exactly one lifecycle status.

    Status changes go through ``inventory.lifecycle`` only; it writes the audit records.
    ``reseller`` is the operator's reseller, kept on the row (and held equal to it by a
    composite foreign key) so that tenant filtering needs no join at a million rows.
    """

    # Collation "C": byte order, so the unique index also serves prefix searches and sorts.
    # Unique through Meta.constraints (not unique=True), so Django adds no second
    # varchar_pattern_ops index: with collation "C" the unique index serves LIKE 'prefix%'.
    number = models.CharField(max_length=NUMBER_MAX, db_collation="C")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_STOCK)
    # Both are held by one composite foreign key (operator_id, reseller_id) -> operator (see
    # migrations 0002 and 0003) instead of two separate ones: one check per row on bulk loads.
    operator = models.ForeignKey(
        "operators.Operator",
        on_delete=models.PROTECT,
        related_name="dids",
        db_constraint=False,
        db_index=False,  # did_operator_id (operator, id) serves it
    )
    reseller = models.ForeignKey(
        "accounts.Reseller",
        on_delete=models.PROTECT,
        related_name="dids",
        db_constraint=False,
        db_index=False,  # did_reseller_id
    )
    after_hold_status = models.CharField(
        max_length=16, choices=AfterHold.choices, default=AfterHold.IN_STOCK
    )
    tag = models.CharField(
        max_length=TAG_MAX,
        blank=True,
        default="",
        error_messages={"max_length": length_message("Tag", TAG_MAX)},
    )
    # A text column bounded by the CHECK "did_notes_max_length" (a varchar would rewrite the
    # table); max_length bounds the form field, the validator the model.
    notes = models.TextField(
        blank=True,
        default="",
        max_length=NOTES_MAX,
        validators=[MaxLengthValidator(NOTES_MAX, length_message("Notes", NOTES_MAX))],
    )
    # Their lookups are served by the indexes in Meta (did_client_id, did_account_id, ...).
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dids",
        db_index=False,
    )
    account = models.ForeignKey(
        "clients.Account",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dids",
        db_index=False,
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dids",
        db_index=False,
    )
    hold_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(
                HOLD_DAYS_MIN, range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX)
            ),
            MaxValueValidator(
                HOLD_DAYS_MAX, range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX)
            ),
        ],
    )
    hold_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "DID"
        verbose_name_plural = "DIDs"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="did_number_unique"),
            models.CheckConstraint(name="did_status_valid", condition=Q(status__in=Status.values)),
            models.CheckConstraint(
                name="did_after_hold_valid", condition=Q(after_hold_status__in=AfterHold.values)
            ),
            models.CheckConstraint(name="did_number_digits", condition=Q(number__regex=NUMBER_RE)),
            # Assigned (active, blocked, on hold) <=> linked to client, account and subscription.
            models.CheckConstraint(
                name="did_assigned_iff_linked",
                condition=(
                    Q(
                        status__in=[Status.ACTIVE, Status.BLOCKED, Status.ON_HOLD],
                        client__isnull=False,
                        account__isnull=False,
                        subscription__isnull=False,
                    )
                    | Q(
                        status__in=[Status.RESERVED, Status.IN_STOCK, Status.ARCHIVE],
                        client__isnull=True,
                        account__isnull=True,
                        subscription__isnull=True,
                    )
                ),
            ),
            # On hold <=> it has a hold end.
            models.CheckConstraint(
                name="did_on_hold_iff_hold_until",
                condition=Q(status=Status.ON_HOLD, hold_until__isnull=False)
                | (~Q(status=Status.ON_HOLD) & Q(hold_until__isnull=True)),
            ),
            models.CheckConstraint(
                name="did_hold_days_in_range",
                condition=Q(hold_days__isnull=True)
                | Q(hold_days__gte=HOLD_DAYS_MIN, hold_days__lte=HOLD_DAYS_MAX),
            ),
            models.CheckConstraint(
                name="did_notes_max_length",
                condition=LessThanOrEqual(Length("notes"), NOTES_MAX),
            ),
        ]
        indexes = [
            # Every list filter with the default order (id), and every sort column.
            models.Index(fields=["status", "id"], name="did_status_id"),
            models.Index(fields=["operator", "id"], name="did_operator_id"),
            models.Index(fields=["reseller", "id"], name="did_reseller_id"),
            models.Index(fields=["tag", "id"], name="did_tag_id"),
            models.Index(fields=["client", "id"], name="did_client_id"),
            # Links are NULL for every unassigned DID: partial indexes skip those rows.
            models.Index(
                fields=["account", "id"], name="did_account_id", condition=Q(account__isnull=False)
            ),
            models.Index(
                fields=["subscription", "status"],
                name="did_subscription_status",
                condition=Q(subscription__isnull=False),
            ),
            models.Index(fields=["after_hold_status", "id"], name="did_after_hold_id"),
            models.Index(
                fields=["hold_until"], name="did_hold_until", condition=Q(status=Status.ON_HOLD)
            ),
            # The DIDs with notes (most have none), for the Notes sort: a DID without notes
            # costs it nothing on any write. Not (notes, id): a 1,000-character note can be
            # past what a btree entry holds.
            models.Index(fields=["id"], name="did_with_notes", condition=~Q(notes="")),
        ]

    def __str__(self) -> str:
        return self.number


class SavedSearch(models.Model):
    """An Advanced Search of the DID Inventory kept under a name: the list's query string
    (its search fields and sort, checked by ``DIDFilterSet`` when saved). Its owner opens,
    renames and deletes it; ``shared``, every user of the owner's reseller (platform admins:
    every admin) sees it next to Advanced Search too. ``reseller`` is the owner's, copied so
    that the shared ones of a reseller are one indexed lookup."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reseller = models.ForeignKey(
        "accounts.Reseller", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=SAVED_SEARCH_NAME_MAX)
    query = models.CharField(max_length=SAVED_SEARCH_QUERY_MAX)
    shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_search_user_name"),
        ]
        indexes = [
            models.Index(
                fields=["reseller", "name"],
                name="saved_search_shared",
                condition=Q(shared=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ColumnChoice(models.Model):
    """The DID Inventory columns a user chose to see (keys of ``DIDTable.columns``, in the
    table's order). No row: the default (``inventory.selectors.default_columns``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Columns of user {self.user_id}"


class DIDCount(models.Model):
    """How many DIDs share one combination of reseller, operator, status, tag, client, account
    and subscription: the exact counts of the DID Inventory's "Rows X - Y of N", Home's charts,
    the Operators tab and a package's use, read without counting DIDs.

    Kept by PostgreSQL itself (migration 0006): statement-level triggers on the DID table fold
    each INSERT, UPDATE and DELETE's transition tables into it, set-based, in the same
    transaction, so no path (ORM, lifecycle engine, import, raw SQL) can leave it behind.
    Nothing writes it from Python. Combinations whose count falls to 0 are removed."""

    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    operator = models.ForeignKey(
        "operators.Operator",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    status = models.CharField(max_length=16, choices=Status.choices)
    tag = models.CharField(max_length=TAG_MAX, blank=True, default="")
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    account = models.ForeignKey(
        "clients.Account",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            # The triggers' ON CONFLICT target; NULL links (unassigned DIDs) are one key.
            models.UniqueConstraint(
                fields=[
                    "operator",
                    "status",
                    "tag",
                    "client",
                    "account",
                    "subscription",
                    "reseller",
                ],
                name="did_count_key",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.n} DIDs"
