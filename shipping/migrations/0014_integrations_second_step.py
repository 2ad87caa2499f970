"""Seller integrations, second step: scoped, expiring and test API keys; a
shipment's reference, metadata, recipient name and address, and mode.

Every new column has a database default (the running release inserts rows
without them); the reference's unique index is built concurrently (not
atomic) so the running release keeps writing."""

from django.db import migrations, models

from fastship.migration_operations import AddUniqueConstraintConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shipping', '0013_event_delivered_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='apikey',
            name='expires_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='apikey',
            name='livemode',
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name='apikey',
            name='scopes',
            field=models.CharField(db_default='shipments:read shipments:write webhooks:manage account:read account:write', default='shipments:read shipments:write webhooks:manage account:read account:write', max_length=200),
        ),
        migrations.AddField(
            model_name='shipment',
            name='livemode',
            field=models.BooleanField(db_default=True, default=True),
        ),
        migrations.AddField(
            model_name='shipment',
            name='metadata',
            field=models.JSONField(blank=True, db_default=models.Value({}, models.JSONField()), default=dict),
        ),
        migrations.AddField(
            model_name='shipment',
            name='recipient_address_line1',
            field=models.CharField(blank=True, db_default='', max_length=200),
        ),
        migrations.AddField(
            model_name='shipment',
            name='recipient_address_line2',
            field=models.CharField(blank=True, db_default='', max_length=200),
        ),
        migrations.AddField(
            model_name='shipment',
            name='recipient_name',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        migrations.AddField(
            model_name='shipment',
            name='reference',
            field=models.CharField(blank=True, db_default='', max_length=100),
        ),
        AddUniqueConstraintConcurrently(
            model_name='shipment',
            constraint=models.UniqueConstraint(condition=models.Q(('reference', ''), _negated=True), fields=('seller', 'livemode', 'reference'), name='shipment_reference_unique'),
        ),
    ]
