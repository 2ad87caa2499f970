from django.db import migrations

TAGS = {
    "express": "Prioritise: deliver on the fastest route, same or next day.",
    "standard": "Regular handling and delivery time.",
    "fragile": "Handle with care: do not drop, stack or throw.",
    "heavy": "Lift with two people or equipment; keep at floor level.",
    "international": "Customs documents travel with the parcel; check them at handover.",
    "domestic": "No customs: national delivery only.",
    "temperature_controlled": "Keep within the stated temperature range at all times.",
    "gift": "Do not show prices; deliver discreetly.",
    "return": "Going back to the seller: verify the return label.",
    "documents": "Keep flat and dry; hand over only against signature.",
}


def seed(apps, schema_editor):
    Tag = apps.get_model("shipping", "Tag")
    for name, instruction in TAGS.items():
        Tag.objects.update_or_create(name=name, defaults={"instruction": instruction})


def unseed(apps, schema_editor):
    apps.get_model("shipping", "Tag").objects.filter(name__in=TAGS).delete()


class Migration(migrations.Migration):
    dependencies = [("shipping", "0002_shipping_domain")]

    operations = [migrations.RunPython(seed, unseed)]
