"""Bound a DID's hold days (0 - 3,650) and notes (1,000 characters) in the database.

PRODUCT.md "Limits"; the same bounds are in ``config.limits`` (forms, models, services).

Existing data is made to fit before the constraints are validated, without an audit record:
hold days above 3,650 become 3,650, and notes longer than 1,000 characters are cut to their
first 1,000 characters.

Cheap at a million DIDs and safe for a live table: each CHECK is added ``NOT VALID`` (a brief
lock; new writes must already satisfy it), the clamping UPDATE touches only the rows that do
not fit, and ``VALIDATE CONSTRAINT`` scans the table under a lock that lets reads and writes go
on. Notes stay a ``text`` column (no table rewrite); the CHECK bounds them. Not atomic, so
each step commits on its own; every step can be run again.
"""

import django.core.validators
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

TABLE = "inventory_did"


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


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("inventory", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="did",
            name="hold_days",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
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
            model_name="did",
            name="notes",
            field=models.TextField(
                blank=True,
                default="",
                max_length=1000,
                validators=[
                    django.core.validators.MaxLengthValidator(
                        1000, "Notes: at most 1,000 characters."
                    )
                ],
            ),
        ),
        migrations.AlterField(
            model_name="did",
            name="tag",
            field=models.CharField(
                blank=True,
                default="",
                error_messages={"max_length": "Tag: at most 64 characters."},
                max_length=64,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="did", name="did_hold_days_not_negative"),
                migrations.AddConstraint(
                    model_name="did",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("hold_days__isnull", True))
                        | models.Q(("hold_days__gte", 0), ("hold_days__lte", 3650)),
                        name="did_hold_days_in_range",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="did",
                    constraint=models.CheckConstraint(
                        condition=django.db.models.lookups.LessThanOrEqual(
                            django.db.models.functions.text.Length("notes"), 1000
                        ),
                        name="did_notes_max_length",
                    ),
                ),
            ],
            database_operations=[
                *bound(
                    "did_hold_days_in_range",
                    "hold_days IS NULL OR (hold_days >= 0 AND hold_days <= 3650)",
                    f"UPDATE {TABLE} SET hold_days = 3650 WHERE hold_days > 3650",
                ),
                *bound(
                    "did_notes_max_length",
                    "length(notes) <= 1000",
                    f"UPDATE {TABLE} SET notes = left(notes, 1000) WHERE length(notes) > 1000",
                ),
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS did_hold_days_not_negative",
                    reverse_sql=f"ALTER TABLE {TABLE} ADD CONSTRAINT did_hold_days_not_negative "
                    "CHECK (hold_days IS NULL OR hold_days >= 0)",
                ),
            ],
        ),
    ]
