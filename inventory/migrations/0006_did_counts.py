"""The counts table (``inventory.DIDCount``) and the triggers that keep it: one per statement
on the DID table, folding the statement's transition tables into the counts, set-based, in
the statement's own transaction. Then a backfill from the DIDs already there, under a lock
that keeps writers out until the triggers are in place."""

import django.db.models.deletion
from django.db import migrations, models


KEY = "reseller_id, operator_id, status, tag, client_id, account_id, subscription_id"

# Each function upserts the statement's net change per key, in key order (two transactions
# touching the same keys lock them in the same order), then removes the keys that fell to 0.
UPSERT = f"""
    WITH up AS (
        INSERT INTO inventory_didcount AS c ({KEY}, n)
        SELECT {KEY}, sum(d) FROM ({{rows}}) AS delta
        GROUP BY {KEY} HAVING sum(d) <> 0
        ORDER BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = c.n + EXCLUDED.n
        RETURNING c.id, c.n
    )
    SELECT array_agg(id) FILTER (WHERE n = 0) INTO gone FROM up;
    IF gone IS NOT NULL THEN
        DELETE FROM inventory_didcount WHERE id = ANY(gone) AND n = 0;
    END IF;
    RETURN NULL;
"""


def function(name: str, rows: str) -> str:
    body = UPSERT.replace("{rows}", rows)
    return f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE gone bigint[];
    BEGIN {body} END $$;
    """


TRIGGERS = (
    "LOCK TABLE inventory_did IN SHARE ROW EXCLUSIVE MODE;"
    + function("inventory_did_count_insert", f"SELECT {KEY}, 1 AS d FROM new_rows")
    + function("inventory_did_count_delete", f"SELECT {KEY}, -1 AS d FROM old_rows")
    + function(
        "inventory_did_count_update",
        f"SELECT {KEY}, -1 AS d FROM old_rows UNION ALL SELECT {KEY}, 1 FROM new_rows",
    )
    + """
    CREATE FUNCTION inventory_did_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN DELETE FROM inventory_didcount; RETURN NULL; END $$;

    CREATE TRIGGER did_count_insert AFTER INSERT ON inventory_did
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION inventory_did_count_insert();
    CREATE TRIGGER did_count_update AFTER UPDATE ON inventory_did
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION inventory_did_count_update();
    CREATE TRIGGER did_count_delete AFTER DELETE ON inventory_did
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION inventory_did_count_delete();
    CREATE TRIGGER did_count_truncate AFTER TRUNCATE ON inventory_did
        FOR EACH STATEMENT EXECUTE FUNCTION inventory_did_count_truncate();
    """
    + f"""
    INSERT INTO inventory_didcount ({KEY}, n)
    SELECT {KEY}, count(*) FROM inventory_did GROUP BY {KEY} ORDER BY {KEY};
    """
)

DROP = """
    DROP TRIGGER did_count_insert ON inventory_did;
    DROP TRIGGER did_count_update ON inventory_did;
    DROP TRIGGER did_count_delete ON inventory_did;
    DROP TRIGGER did_count_truncate ON inventory_did;
    DROP FUNCTION inventory_did_count_insert(), inventory_did_count_update(),
        inventory_did_count_delete(), inventory_did_count_truncate();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_name_length_message"),
        ("clients", "0002_name_length_message"),
        ("inventory", "0005_saved_searches_and_columns"),
        ("operators", "0002_name_length_message"),
        ("subscriptions", "0002_bounded_dates"),
    ]

    operations = [
        migrations.CreateModel(
            name="DIDCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("reserved", "Reserved"),
                            ("in_stock", "In Stock"),
                            ("active", "Active"),
                            ("blocked", "Blocked"),
                            ("on_hold", "On Hold"),
                            ("archive", "Archive"),
                        ],
                        max_length=16,
                    ),
                ),
                ("tag", models.CharField(blank=True, default="", max_length=64)),
                ("n", models.BigIntegerField()),
                (
                    "account",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clients.account",
                    ),
                ),
                (
                    "client",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clients.client",
                    ),
                ),
                (
                    "operator",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="operators.operator",
                    ),
                ),
                (
                    "reseller",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.reseller",
                    ),
                ),
                (
                    "subscription",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="subscriptions.subscription",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "operator",
                            "status",
                            "tag",
                            "client",
                            "account",
                            "subscription",
                            "reseller",
                        ),
                        name="did_count_key",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
        migrations.RunSQL(sql=TRIGGERS, reverse_sql=DROP),
    ]
