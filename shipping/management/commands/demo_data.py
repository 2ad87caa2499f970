"""Create demo accounts and shipments (idempotent) and print the logins."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from fastship.jobs import background_enqueuer
from shipping.models import DeliveryPartner, Notification, Seller, Shipment, User
from shipping.services import accounts, shipments
from shipping.services.emails import notification_delivery_code

DEMO_PASSWORD = "fastship-demo-2026"  # noqa: S105 - a printed demo login, development only
STAFF_EMAIL = "admin@fastship.local"
SELLER_EMAIL = "seller@fastship.local"
PARTNER_EMAIL = "partner@fastship.local"
DEMO_ZIP = "20095"


class Command(BaseCommand):
    help = "Create demo accounts and shipments for local development; print the logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DJANGO_ENV == "production":
            raise CommandError(
                "demo_data creates known passwords: never in production."
            )
        with transaction.atomic():
            self._staff()
            seller = self._seller()
            partner = self._partner()
            if not Shipment.objects.filter(seller=seller).exists():
                self._shipments(seller, partner)
        background_enqueuer.drain()  # the demo mails, printed on this console
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  staff (admin):     {STAFF_EMAIL}")
        self.stdout.write(f"  seller:            {SELLER_EMAIL}")
        self.stdout.write(
            f"  delivery partner:  {PARTNER_EMAIL} (serves zip {DEMO_ZIP})"
        )
        for shipment in Shipment.objects.filter(seller=seller).order_by("created_at"):
            self.stdout.write(
                f"  shipment {shipment.tracking_code:<18} {shipment.status}"
            )

    def _staff(self) -> None:
        if not User.objects.filter(email=STAFF_EMAIL).exists():
            User.objects.create_superuser(
                STAFF_EMAIL, DEMO_PASSWORD, name="FastShip staff"
            )

    def _seller(self) -> Seller:
        seller = Seller.objects.filter(user__email=SELLER_EMAIL).first()
        if seller is None:
            seller = accounts.seller_create(
                name="Demo Books",
                email=SELLER_EMAIL,
                password=DEMO_PASSWORD,
                address="1 Market Street, Berlin",
                zip_code="10115",
            )
            User.objects.filter(pk=seller.pk).update(email_verified_at=timezone.now())
        return seller

    def _partner(self) -> DeliveryPartner:
        partner = DeliveryPartner.objects.filter(user__email=PARTNER_EMAIL).first()
        if partner is None:
            partner = accounts.partner_create(
                name="Demo Couriers",
                email=PARTNER_EMAIL,
                password=DEMO_PASSWORD,
                serviceable_zip_codes=[DEMO_ZIP, "10115"],
                max_handling_capacity=50,
            )
            User.objects.filter(pk=partner.pk).update(email_verified_at=timezone.now())
            accounts.partners_approve(partner_ids=[partner.pk])
        return partner

    def _shipments(self, seller: Seller, partner: DeliveryPartner) -> None:
        def create(content: str, tags: list[str]) -> Shipment:
            return shipments.shipment_create(
                seller=seller,
                content=content,
                weight_kg=Decimal("1.20"),
                destination_zip_code=DEMO_ZIP,
                recipient_email="recipient@example.org",
                tags=tags,
            )

        create("Two novels", ["standard"])
        moving = create("A desk lamp", ["fragile"])
        shipments.shipment_update(
            shipment_id=moving.pk,
            partner=partner,
            status="in_transit",
            location_zip_code="10115",
            # The partner's estimate, shown on the tracking page.
            estimated_delivery=timezone.now() + timedelta(days=2),
        )
        out = create("Coffee beans", ["express"])
        shipments.shipment_update(
            shipment_id=out.pk, partner=partner, status="in_transit"
        )
        shipments.shipment_update(
            shipment_id=out.pk,
            partner=partner,
            status="out_for_delivery",
            location_zip_code=DEMO_ZIP,
            estimated_delivery=timezone.now() + timedelta(hours=4),
        )
        delivered = create("A birthday cake", ["gift", "temperature_controlled"])
        shipments.shipment_update(
            shipment_id=delivered.pk, partner=partner, status="in_transit"
        )
        shipments.shipment_update(
            shipment_id=delivered.pk, partner=partner, status="out_for_delivery"
        )
        # Demo only: read the code from the not-yet-sent outbox mail.
        code = notification_delivery_code(
            Notification.objects.filter(kind=Notification.Kind.OUT_FOR_DELIVERY).latest(
                "pk"
            )
        )
        shipments.shipment_update(
            shipment_id=delivered.pk,
            partner=partner,
            status="delivered",
            verification_code=code,
        )
        cancelled = create("A returned jacket", ["return"])
        shipments.shipment_cancel(shipment_id=cancelled.pk, seller=seller)
