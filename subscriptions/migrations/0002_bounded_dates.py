"""Bound a subscription's start and end dates to 2000-01-01 - 2999-12-31 in the database.

The same bounds are in ``config.limits`` (forms, models, services).

Existing data is made to fit before the constraint is validated, without an audit record: a
date before 2000-01-01 becomes 2000-01-01 and one after 2999-12-31 becomes 2999-12-31 (both
dates move the same way, so an end date stays on or after its start date).

The CHECK is added ``NOT VALID``, the rows that do not fit are clamped, then the CHECK is
validated. Not atomic, so each step commits on its own; every step can be run again.
"""

import datetime

import django.core.validators
from django.db import migrations, models

TABLE = "subscriptions_subscription"
LOW, HIGH = "'2000-01-01'::date", "'2999-12-31'::date"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("subscriptions", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="subscription",
            name="end_date",
            field=models.DateField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2000, 1, 1),
                        "End date: enter a date from 2000-01-01 to 2999-12-31.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2999, 12, 31),
                        "End date: enter a date from 2000-01-01 to 2999-12-31.",
                    ),
                ],
            ),
        ),
        migrations.AlterField(
            model_name="subscription",
            name="start_date",
            field=models.DateField(
                validators=[
                    django.core.validators.MinValueValidator(
                        datetime.date(2000, 1, 1),
                        "Start date: enter a date from 2000-01-01 to 2999-12-31.",
                    ),
                    django.core.validators.MaxValueValidator(
                        datetime.date(2999, 12, 31),
                        "Start date: enter a date from 2000-01-01 to 2999-12-31.",
                    ),
                ]
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="subscription",
                    constraint=models.CheckConstraint(
                        condition=models.Q(
                            ("start_date__gte", datetime.date(2000, 1, 1)),
                            ("start_date__lte", datetime.date(2999, 12, 31)),
                            models.Q(
                                ("end_date__isnull", True),
                                models.Q(
                                    ("end_date__gte", datetime.date(2000, 1, 1)),
                                    ("end_date__lte", datetime.date(2999, 12, 31)),
                                ),
                                _connector="OR",
                            ),
                        ),
                        name="subscription_dates_in_range",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS subscription_dates_in_range; "
                    f"ALTER TABLE {TABLE} ADD CONSTRAINT subscription_dates_in_range CHECK ("
                    f"start_date >= {LOW} AND start_date <= {HIGH} AND (end_date IS NULL OR "
                    f"(end_date >= {LOW} AND end_date <= {HIGH}))) NOT VALID",
                    reverse_sql=f"ALTER TABLE {TABLE} "
                    "DROP CONSTRAINT IF EXISTS subscription_dates_in_range",
                ),
                migrations.RunSQL(
                    f"UPDATE {TABLE} SET "
                    f"start_date = LEAST(GREATEST(start_date, {LOW}), {HIGH}), "
                    # GREATEST and LEAST skip NULLs: an empty end date stays empty.
                    f"end_date = CASE WHEN end_date IS NOT NULL "
                    f"THEN LEAST(GREATEST(end_date, {LOW}), {HIGH}) END "
                    f"WHERE start_date NOT BETWEEN {LOW} AND {HIGH} "
                    f"OR end_date NOT BETWEEN {LOW} AND {HIGH}",
                    reverse_sql=migrations.RunSQL.noop,
                ),
                migrations.RunSQL(
                    f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT subscription_dates_in_range",
                    reverse_sql=migrations.RunSQL.noop,
                ),
            ],
        ),
    ]
