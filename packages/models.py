from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, IntegerField, Q
from django.db.models.lookups import LessThanOrEqual

from config.limits import (
    ALLOWED_TAGS_MAX,
    DID_ALLOWANCE_MAX,
    DID_ALLOWANCE_MIN,
    HOLD_DAYS_MAX,
    HOLD_DAYS_MIN,
    TAG_MAX,
    range_message,
)
from core.fields import name_field

_ALLOWANCE = range_message("DID allowance", DID_ALLOWANCE_MIN, DID_ALLOWANCE_MAX)
_HOLD_DAYS = range_message("Hold days", HOLD_DAYS_MIN, HOLD_DAYS_MAX)


class Package(models.Model):
    """What a client buys: how many DIDs, which DID tags (empty = any), and hold days."""

    reseller = models.ForeignKey(
        "accounts.Reseller", on_delete=models.PROTECT, related_name="packages"
    )
    name = name_field()
    did_allowance = models.PositiveIntegerField(
        default=1,
        validators=[
            MinValueValidator(DID_ALLOWANCE_MIN, _ALLOWANCE),
            MaxValueValidator(DID_ALLOWANCE_MAX, _ALLOWANCE),
        ],
    )
    allowed_tags = ArrayField(
        models.CharField(max_length=TAG_MAX),
        default=list,
        blank=True,
        validators=[
            MaxLengthValidator(
                ALLOWED_TAGS_MAX, f"Allowed tags: at most {ALLOWED_TAGS_MAX:,} tags."
            )
        ],
    )
    hold_days = models.PositiveIntegerField(
        default=30,
        validators=[
            MinValueValidator(HOLD_DAYS_MIN, _HOLD_DAYS),
            MaxValueValidator(HOLD_DAYS_MAX, _HOLD_DAYS),
        ],
    )

    # An archived package takes no new subscriptions (the form does not offer it, the service
    # refuses it); its existing subscriptions and their DIDs carry on.
    archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "name"], name="package_name_unique_per_reseller"
            ),
            models.CheckConstraint(
                name="package_allowance_in_range",
                condition=Q(
                    did_allowance__gte=DID_ALLOWANCE_MIN, did_allowance__lte=DID_ALLOWANCE_MAX
                ),
            ),
            models.CheckConstraint(
                name="package_hold_days_in_range",
                condition=Q(hold_days__gte=HOLD_DAYS_MIN, hold_days__lte=HOLD_DAYS_MAX),
            ),
            models.CheckConstraint(
                name="package_allowed_tags_max",
                condition=LessThanOrEqual(
                    Func(F("allowed_tags"), function="cardinality", output_field=IntegerField()),
                    ALLOWED_TAGS_MAX,
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def allows_tag(self, tag: str) -> bool:
        return not self.allowed_tags or tag in self.allowed_tags
