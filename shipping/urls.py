from django.urls import path, register_converter

from shipping import pages
from shipping.apis import (
    accounts,
    events,
    integrations,
    me,
    public,
    shipment_actions,
    shipments,
    webhook_endpoints,
)
from shipping.converters import TagNameConverter, TrackingCodeConverter

register_converter(TrackingCodeConverter, "tracking_code")
register_converter(TagNameConverter, "tag_name")

# The busiest routes first: Django tries the patterns in order.
api_urlpatterns = [
    path("shipments/", shipments.ShipmentCollectionApi.as_view(), name="shipments"),
    path(
        "shipments/<uuid:shipment_id>/",
        shipments.ShipmentDetailApi.as_view(),
        name="shipment",
    ),
    path(
        "track/<tracking_code:tracking_code>/",
        public.TrackingApi.as_view(),
        name="track",
    ),
    path(
        "shipments/<uuid:shipment_id>/events/",
        events.ShipmentEventsApi.as_view(),
        name="shipment-events",
    ),
    path(
        "shipments/<uuid:shipment_id>/cancel/",
        shipment_actions.ShipmentCancelApi.as_view(),
        name="shipment-cancel",
    ),
    path(
        "shipments/<uuid:shipment_id>/tags/",
        shipment_actions.ShipmentTagAddApi.as_view(),
        name="shipment-tags",
    ),
    path(
        "shipments/<uuid:shipment_id>/tags/<tag_name:name>/",
        shipment_actions.ShipmentTagRemoveApi.as_view(),
        name="shipment-tag",
    ),
    path(
        "shipments/<uuid:shipment_id>/label/",
        shipment_actions.ShipmentLabelApi.as_view(),
        name="shipment-label",
    ),
    path(
        "shipments/<uuid:shipment_id>/simulate/<str:status>/",
        shipment_actions.ShipmentSimulateApi.as_view(),
        name="shipment-simulate",
    ),
    path("scan/", shipment_actions.ScanApi.as_view(), name="scan"),
    path("sellers/", accounts.SellerCreateApi.as_view(), name="seller-create"),
    path("partners/", accounts.PartnerCreateApi.as_view(), name="partner-create"),
    path("auth/verify-email/", accounts.VerifyEmailApi.as_view(), name="verify-email"),
    path(
        "auth/verify-email/resend/",
        accounts.VerifyEmailResendApi.as_view(),
        name="verify-email-resend",
    ),
    path("auth/token/", accounts.TokenObtainApi.as_view(), name="token-obtain"),
    path(
        "auth/token/refresh/", accounts.TokenRefreshApi.as_view(), name="token-refresh"
    ),
    path("auth/logout/", accounts.LogoutApi.as_view(), name="logout"),
    path(
        "auth/password-reset/",
        accounts.PasswordResetApi.as_view(),
        name="password-reset",
    ),
    path(
        "auth/password-reset/confirm/",
        accounts.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    path("me/", me.MeApi.as_view(), name="me"),
    path("api-keys/", integrations.ApiKeyCollectionApi.as_view(), name="api-keys"),
    path(
        "api-keys/<uuid:key_id>/",
        integrations.ApiKeyDetailApi.as_view(),
        name="api-key",
    ),
    path(
        "webhooks/", webhook_endpoints.WebhookCollectionApi.as_view(), name="webhooks"
    ),
    path(
        "webhooks/<uuid:webhook_id>/",
        webhook_endpoints.WebhookDetailApi.as_view(),
        name="webhook",
    ),
    path(
        "webhooks/<uuid:webhook_id>/rotate-secret/",
        webhook_endpoints.WebhookRotateSecretApi.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<uuid:webhook_id>/deliveries/",
        webhook_endpoints.WebhookDeliveriesApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<uuid:webhook_id>/test/",
        webhook_endpoints.WebhookTestApi.as_view(),
        name="webhook-test",
    ),
    path(
        "webhooks/<uuid:webhook_id>/stats/",
        webhook_endpoints.WebhookStatsApi.as_view(),
        name="webhook-stats",
    ),
    path(
        "webhooks/<uuid:webhook_id>/deliveries/<str:delivery_id>/replay/",
        webhook_endpoints.WebhookReplayApi.as_view(),
        name="webhook-replay",
    ),
    path("tags/", public.TagListApi.as_view(), name="tags"),
    path("reviews/", public.ReviewCreateApi.as_view(), name="reviews"),
]

page_urlpatterns = [
    path("", pages.home_page, name="home"),
    path("track/", pages.track_form_page, name="track-form"),
    path(
        "track/<tracking_code:tracking_code>/",
        pages.tracking_page,
        name="tracking-page",
    ),
    path("review/<str:token>/", pages.review_page, name="review-page"),
    path(
        "verify-email/resend/",
        pages.verify_email_resend_page,
        name="verify-email-resend-page",
    ),
    path(
        "reset-password/<str:token>/",
        pages.reset_password_page,
        name="reset-password-page",
    ),
]
