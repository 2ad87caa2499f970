"""Indexes for the admin's search and for retention, built concurrently on
PostgreSQL (not atomic): shipments by recipient and by status (everyone's),
deliveries and refresh tokens by age (simplejwt's table has no index on its expiry)."""

from django.db import migrations, models

from fastship.migration_operations import AddIndexConcurrently


TOKEN_TABLE = "token_blacklist_outstandingtoken"
TOKEN_INDEX = "outstandingtoken_expires_idx"


def token_expiry_index(apps, schema_editor):
    concurrently = "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {concurrently} IF NOT EXISTS {TOKEN_INDEX} ON {TOKEN_TABLE} (expires_at)"
    )


def token_expiry_index_dropped(apps, schema_editor):
    concurrently = "CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f"DROP INDEX {concurrently} IF EXISTS {TOKEN_INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shipping', '0009_keyset_indexes'),
        ('token_blacklist', '0013_alter_blacklistedtoken_options_and_more'),
    ]

    operations = [
        migrations.RunPython(token_expiry_index, token_expiry_index_dropped),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['recipient_email'], name='shipment_recipient_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['status', '-created_at', '-id'], name='shipment_status_idx'),
        ),
        AddIndexConcurrently(
            model_name='webhookdelivery',
            index=models.Index(fields=['created_at'], name='webhook_created_idx'),
        ),
    ]
