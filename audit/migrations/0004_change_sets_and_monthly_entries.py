"""The audit log becomes one change-set row per user action and one compact entry per changed
object, entries partitioned by month (see ``audit.models``); the old per-object records are
moved over, grouped by their change set, and their table dropped."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

ENTRY_TABLE = """
CREATE SEQUENCE audit_entry_id_seq CACHE 64;
CREATE TABLE audit_entry (
    id bigint NOT NULL DEFAULT nextval('audit_entry_id_seq'),
    change_set_id bigint NOT NULL,
    created_at timestamptz NOT NULL,
    object_id bigint NULL,
    reseller_id bigint NULL,
    kind smallint NOT NULL,
    object_type varchar(32) NOT NULL,
    before jsonb NULL,
    after jsonb NULL,
    PRIMARY KEY (change_set_id, id, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE audit_entry_id_seq OWNED BY audit_entry.id;
CREATE INDEX audit_entry_object ON audit_entry (object_id);
CREATE TABLE audit_entry_default PARTITION OF audit_entry DEFAULT;

-- The month's partition of ``month`` (any day of it, in UTC), created if missing. Rows of
-- that month already in the default partition move into it, so creating it never fails.
CREATE FUNCTION audit_entry_partition(month timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz := date_trunc('month', month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi timestamptz := (date_trunc('month', month AT TIME ZONE 'UTC') + interval '1 month')
                      AT TIME ZONE 'UTC';
    name text := 'audit_entry_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    IF EXISTS (SELECT 1 FROM audit_entry_default WHERE created_at >= lo AND created_at < hi)
    THEN
        EXECUTE format('CREATE TABLE %I (LIKE audit_entry INCLUDING DEFAULTS)', name);
        EXECUTE format(
            'WITH moved AS (DELETE FROM audit_entry_default '
            'WHERE created_at >= %L AND created_at < %L RETURNING *) '
            'INSERT INTO %I SELECT * FROM moved', lo, hi, name);
        EXECUTE format(
            'ALTER TABLE audit_entry ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            name, lo, hi);
    ELSE
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF audit_entry FOR VALUES FROM (%L) TO (%L)',
            name, lo, hi);
    END IF;
    RETURN name;
END $$;

-- Two change sets' counts added up, key by key ({"did.create": 3} + {"did.create": 2}).
CREATE FUNCTION audit_counts_add(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(jsonb_object_agg(k, n), '{}'::jsonb)
    FROM (
        SELECT k, sum(v::bigint) AS n
        FROM (SELECT * FROM jsonb_each_text(COALESCE(a, '{}'::jsonb))
              UNION ALL
              SELECT * FROM jsonb_each_text(COALESCE(b, '{}'::jsonb))) AS x(k, v)
        GROUP BY k
    ) AS y
$$;
"""

DROP_ENTRY_TABLE = """
DROP FUNCTION IF EXISTS audit_counts_add(jsonb, jsonb);
DROP FUNCTION IF EXISTS audit_entry_partition(timestamptz);
DROP TABLE IF EXISTS audit_entry;
"""

# The old records, grouped by change set: the first record names the action, the user and
# (when it is not one DID of many) the main object; updates keep their changed fields only;
# a deleted DID keeps its number in ``before``.
MOVE_RECORDS = """
SELECT audit_entry_partition(m)
FROM generate_series(
    date_trunc('month', COALESCE((SELECT min(created_at) FROM audit_auditrecord), now())),
    now() + interval '2 months', interval '1 month') AS m;

INSERT INTO audit_changeset (uuid, created_at, user_id, username, action, reseller_id,
    message, counts, total, request_id, object_type, object_id, object_repr)
SELECT r.change_set, min(r.created_at),
    (array_agg(r.user_id ORDER BY r.id))[1],
    (array_agg(r.username ORDER BY r.id))[1],
    (array_agg(r.action ORDER BY r.id))[1],
    CASE WHEN count(DISTINCT r.reseller_id) = 1 AND count(r.reseller_id) = count(*)
         THEN min(r.reseller_id) END,
    COALESCE((array_agg(r.message ORDER BY r.id) FILTER (WHERE r.message <> ''))[1], ''),
    '{}'::jsonb, count(*), '',
    CASE WHEN count(*) = 1 OR (array_agg(r.object_type ORDER BY r.id))[1] <> 'did'
         THEN (array_agg(r.object_type ORDER BY r.id))[1] ELSE '' END,
    CASE WHEN count(*) = 1 OR (array_agg(r.object_type ORDER BY r.id))[1] <> 'did'
         THEN (array_agg(r.object_id ORDER BY r.id))[1] END,
    CASE WHEN count(*) = 1 OR (array_agg(r.object_type ORDER BY r.id))[1] <> 'did'
         THEN (array_agg(r.object_repr ORDER BY r.id))[1] ELSE '' END
FROM audit_auditrecord r
GROUP BY r.change_set;

UPDATE audit_changeset c SET counts = x.counts
FROM (
    SELECT change_set, jsonb_object_agg(k, n) AS counts
    FROM (
        SELECT change_set,
            object_type || '.' || CASE
                WHEN before IS NULL THEN 'create'
                WHEN after IS NULL THEN 'delete'
                WHEN before->>'status' IS NOT NULL AND after->>'status' IS NOT NULL
                     AND before->>'status' <> after->>'status'
                THEN (before->>'status') || '>' || (after->>'status')
                ELSE 'update' END AS k,
            count(*) AS n
        FROM audit_auditrecord GROUP BY 1, 2
    ) AS g
    GROUP BY change_set
) AS x
WHERE c.uuid = x.change_set;

INSERT INTO audit_entry (change_set_id, created_at, object_id, reseller_id, kind,
    object_type, before, after)
SELECT c.id, c.created_at, r.object_id, r.reseller_id, k.kind, r.object_type,
    CASE
        WHEN k.kind = 3 AND r.object_type = 'did' AND jsonb_typeof(r.before) = 'object'
        THEN r.before || jsonb_build_object('number', r.object_repr)
        WHEN k.kind = 2 AND jsonb_typeof(r.before) = 'object'
             AND jsonb_typeof(r.after) = 'object'
        THEN (SELECT COALESCE(jsonb_object_agg(b.key, b.value), '{}'::jsonb)
              FROM jsonb_each(r.before) b WHERE r.after -> b.key IS DISTINCT FROM b.value)
        ELSE r.before END,
    CASE
        WHEN k.kind = 2 AND jsonb_typeof(r.before) = 'object'
             AND jsonb_typeof(r.after) = 'object'
        THEN (SELECT COALESCE(jsonb_object_agg(a.key, a.value), '{}'::jsonb)
              FROM jsonb_each(r.after) a WHERE r.before -> a.key IS DISTINCT FROM a.value)
        ELSE r.after END
FROM audit_auditrecord r
JOIN audit_changeset c ON c.uuid = r.change_set
CROSS JOIN LATERAL (
    SELECT CASE WHEN r.before IS NULL THEN 1 WHEN r.after IS NULL THEN 3 ELSE 2 END AS kind
) AS k
ORDER BY r.id;
"""

RECORD_VIEW = """
CREATE VIEW audit_record AS
SELECT e.id, c.uuid AS change_set, c.id AS change_set_pk, e.created_at, c.user_id,
    c.username, c.action, e.object_type, e.object_id,
    CASE WHEN e.object_type = c.object_type AND e.object_id = c.object_id
         THEN c.object_repr ELSE '' END AS object_repr,
    e.kind, e.reseller_id, e.before, e.after, c.message
FROM audit_entry e
JOIN audit_changeset c ON c.id = e.change_set_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_ascending_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChangeSet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uuid", models.UUIDField(unique=True)),
                (
                    "created_at",
                    models.DateTimeField(db_default=django.db.models.functions.datetime.Now()),
                ),
                ("username", models.CharField(blank=True, default="", max_length=150)),
                ("action", models.CharField(max_length=48)),
                ("reseller_id", models.BigIntegerField(blank=True, null=True)),
                ("message", models.TextField(blank=True, default="")),
                ("counts", models.JSONField(blank=True, default=dict)),
                ("total", models.BigIntegerField(default=0)),
                ("request_id", models.CharField(blank=True, default="", max_length=64)),
                ("object_type", models.CharField(blank=True, default="", max_length=32)),
                ("object_id", models.BigIntegerField(blank=True, null=True)),
                ("object_repr", models.CharField(blank=True, default="", max_length=200)),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "indexes": [
                    models.Index(fields=["reseller_id", "id"], name="audit_changeset_reseller"),
                    models.Index(fields=["created_at"], name="audit_changeset_created"),
                ],
            },
        ),
        migrations.CreateModel(
            name="Entry",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("created_at", models.DateTimeField()),
                ("object_type", models.CharField(max_length=32)),
                ("object_id", models.BigIntegerField(null=True)),
                (
                    "kind",
                    models.SmallIntegerField(
                        choices=[(1, "created"), (2, "changed"), (3, "deleted")]
                    ),
                ),
                ("reseller_id", models.BigIntegerField(null=True)),
                ("before", models.JSONField(null=True)),
                ("after", models.JSONField(null=True)),
                (
                    "change_set",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="entries",
                        to="audit.changeset",
                    ),
                ),
            ],
            options={"db_table": "audit_entry", "ordering": ["id"], "managed": False},
        ),
        migrations.RunSQL(ENTRY_TABLE, DROP_ENTRY_TABLE),
        migrations.RunSQL(MOVE_RECORDS, migrations.RunSQL.noop),
        migrations.DeleteModel(name="AuditRecord"),
        migrations.CreateModel(
            name="AuditRecord",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("change_set", models.UUIDField()),
                ("change_set_pk", models.BigIntegerField()),
                ("created_at", models.DateTimeField()),
                ("username", models.CharField(max_length=150)),
                ("action", models.CharField(max_length=48)),
                ("object_type", models.CharField(max_length=32)),
                ("object_id", models.BigIntegerField(null=True)),
                ("object_repr", models.CharField(max_length=200)),
                (
                    "kind",
                    models.SmallIntegerField(
                        choices=[(1, "created"), (2, "changed"), (3, "deleted")]
                    ),
                ),
                ("reseller_id", models.BigIntegerField(null=True)),
                ("before", models.JSONField(null=True)),
                ("after", models.JSONField(null=True)),
                ("message", models.TextField()),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"db_table": "audit_record", "ordering": ["-id"], "managed": False},
        ),
        migrations.RunSQL(RECORD_VIEW, "DROP VIEW IF EXISTS audit_record;"),
    ]
