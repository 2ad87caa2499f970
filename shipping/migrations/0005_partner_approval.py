"""Partners start pending: only staff-approved partners are assigned shipments.

Partners that exist when this runs were already receiving shipments; they are
marked approved so deploying this changes nothing for them.
"""

from django.db import migrations, models
from django.utils import timezone


def approve_existing(apps, schema_editor):
    partners = apps.get_model("shipping", "DeliveryPartner")
    partners.objects.filter(approved_at__isnull=True).update(approved_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0004_notification_sending_claim"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliverypartner",
            name="approved_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(approve_existing, migrations.RunPython.noop),
    ]
