"""Indexes in each list's order (keyset pages), built before the old ones go.

Every index is built and dropped concurrently on PostgreSQL (no write waits
on it while the previous release serves), so this migration is not atomic.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from fastship.migration_operations import (
    AddIndexConcurrently,
    DropFieldIndex,
    RemoveIndexConcurrently,
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shipping', '0008_seller_integrations'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='shipment',
            options={'ordering': ['-created_at', '-id']},
        ),
        AddIndexConcurrently(
            model_name='apikey',
            index=models.Index(fields=['seller', '-created_at', '-id'], name='apikey_seller_list_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['-created_at', '-id'], name='shipment_created_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['seller', '-created_at', '-id'], name='shipment_seller_list_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['seller', 'status', '-created_at', '-id'], name='shipment_seller_status_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['seller', 'updated_at', 'id'], name='shipment_seller_sync_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['delivery_partner', '-created_at', '-id'], name='shipment_partner_list_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['delivery_partner', 'status', '-created_at', '-id'], name='shipment_partner_status_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipment',
            index=models.Index(fields=['delivery_partner', 'updated_at', 'id'], name='shipment_partner_sync_idx'),
        ),
        AddIndexConcurrently(
            model_name='shipmentevent',
            index=models.Index(fields=['shipment', 'created_at', 'id'], name='event_timeline_idx'),
        ),
        AddIndexConcurrently(
            model_name='webhookdelivery',
            index=models.Index(fields=['endpoint', '-created_at', '-id'], name='webhook_log_list_idx'),
        ),
        RemoveIndexConcurrently(
            model_name='shipment',
            name='shipment_seller_idx',
        ),
        RemoveIndexConcurrently(
            model_name='shipment',
            name='shipment_partner_idx',
        ),
        RemoveIndexConcurrently(
            model_name='webhookdelivery',
            name='webhook_log_idx',
        ),
        DropFieldIndex(
            model_name='apikey',
            name='seller',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to='shipping.seller'),
        ),
        DropFieldIndex(
            model_name='shipment',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        DropFieldIndex(
            model_name='shipment',
            name='delivery_partner',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='shipments', to='shipping.deliverypartner'),
        ),
        DropFieldIndex(
            model_name='shipment',
            name='seller',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='shipments', to='shipping.seller'),
        ),
        DropFieldIndex(
            model_name='shipmentevent',
            name='shipment',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='shipping.shipment'),
        ),
        DropFieldIndex(
            model_name='webhookdelivery',
            name='endpoint',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='shipping.webhookendpoint'),
        ),
    ]
