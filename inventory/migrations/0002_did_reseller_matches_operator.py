"""A DID's reseller is its operator's reseller: held by a composite foreign key, so no path
(ORM, raw SQL, COPY) can store a DID under another reseller than its operator's."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0001_initial"),
        ("operators", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql="""
            ALTER TABLE inventory_did
              ADD CONSTRAINT did_operator_reseller_fk
              FOREIGN KEY (operator_id, reseller_id)
              REFERENCES operators_operator (id, reseller_id)
              ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
            """,
            reverse_sql="ALTER TABLE inventory_did DROP CONSTRAINT did_operator_reseller_fk;",
        ),
    ]
