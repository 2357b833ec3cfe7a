"""Bound a package's DID allowance (0 - 10,000,000), hold days (0 - 3,650) and number of
allowed tags (100) in the database.

PRODUCT.md "Limits"; the same bounds are in ``config.limits`` (forms, models, services).

Existing data is made to fit before the constraints are validated, without an audit record:
an allowance above 10,000,000 becomes 10,000,000, hold days above 3,650 become 3,650, and a
list of more than 100 allowed tags keeps its first 100.

Each CHECK is added ``NOT VALID``, the rows that do not fit are clamped, then the CHECK is
validated (a scan under a lock that lets reads and writes go on). Not atomic, so each step
commits on its own; every step can be run again.
"""

import django.contrib.postgres.fields
import django.core.validators
import django.db.models.lookups
from django.db import migrations, models

TABLE = "packages_package"


def bound(name: str, check: str, clamp: str) -> list:
    """Add the CHECK ``name`` NOT VALID, make the existing rows fit, then validate it."""
    return [
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}; "
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} CHECK ({check}) NOT VALID",
            reverse_sql=f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}",
        ),
        migrations.RunSQL(clamp, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {name}",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]


def drop(name: str, check: str) -> migrations.RunSQL:
    """Drop the constraint the new one replaces (re-created on the way back)."""
    return migrations.RunSQL(
        f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {name}",
        reverse_sql=f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} CHECK ({check})",
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("packages", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="package",
            name="allowed_tags",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=64),
                blank=True,
                default=list,
                size=None,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        100, "Allowed tags: at most 100 tags."
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="package",
            name="did_allowance",
            field=models.PositiveIntegerField(
                default=1,
                validators=[
                    django.core.validators.MinValueValidator(
                        0, "DID allowance: enter a whole number from 0 to 10,000,000."
                    ),
                    django.core.validators.MaxValueValidator(
                        10000000, "DID allowance: enter a whole number from 0 to 10,000,000."
                    ),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="package",
            name="hold_days",
            field=models.PositiveIntegerField(
                default=30,
                validators=[
                    django.core.validators.MinValueValidator(
                        0, "Hold days: enter a whole number from 0 to 3,650."
                    ),
                    django.core.validators.MaxValueValidator(
                        3650, "Hold days: enter a whole number from 0 to 3,650."
                    ),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="package",
            name="name",
            field=models.CharField(
                error_messages={"max_length": "Name: at most 150 characters."}, max_length=150
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="package", name="package_allowance_not_negative"
                ),
                migrations.RemoveConstraint(
                    model_name="package", name="package_hold_days_not_negative"
                ),
                migrations.AddConstraint(
                    model_name="package",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("did_allowance__gte", 0), ("did_allowance__lte", 10000000)
                        ),
                        name="package_allowance_in_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="package",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("hold_days__gte", 0), ("hold_days__lte", 3650)),
                        name="package_hold_days_in_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="package",
                    constraint=models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            models.Func(
                                models.F("allowed_tags"),
                                function="cardinality",
                                output_field=models.IntegerField(),
                            ),
                            100,
                        ),
                        name="package_allowed_tags_max",
                    ),
                ),
            ],
            database_operations=[
                *bound(
                    "package_allowance_in_range",
                    "did_allowance >= 0 AND did_allowance <= 10000000",
                    f"UPDATE {TABLE} SET did_allowance = 10000000 WHERE did_allowance > 10000000",
                ),
                *bound(
                    "package_hold_days_in_range",
                    "hold_days >= 0 AND hold_days <= 3650",
                    f"UPDATE {TABLE} SET hold_days = 3650 WHERE hold_days > 3650",
                ),
                *bound(
                    "package_allowed_tags_max",
                    "cardinality(allowed_tags) <= 100",
                    f"UPDATE {TABLE} SET allowed_tags = allowed_tags[1:100] "
                    "WHERE cardinality(allowed_tags) > 100",
                ),
                drop("package_allowance_not_negative", "did_allowance >= 0"),
                drop("package_hold_days_not_negative", "hold_days >= 0"),
            ],
        ),
    ]
