"""The admin home's deliveries per day: a partial index on the delivered events,
built concurrently on PostgreSQL (not atomic) so the running release keeps writing."""

from django.db import migrations, models

from fastship.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('shipping', '0012_notification_send_stage'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='shipmentevent',
            index=models.Index(condition=models.Q(('status', 'delivered')), fields=['created_at'], name='event_delivered_idx'),
        ),
    ]
