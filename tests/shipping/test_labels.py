"""Labels: a 4x6 in PDF whose barcode and QR code decode as a scanner reads
them, the same in ZPL, and a partner's scan of the code moving the shipment."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp

from shipping.models import Shipment
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make

pytestmark = pytest.mark.django_db

ADDRESSED = {
    **SHIPMENT_BODY,
    "recipient_name": "Ada Lovelace",
    "recipient_address_line1": "12 Byron Road",
    "recipient_address_line2": "Flat 3 ^FS~JA",  # ZPL's own characters
    "reference": "ORDER-1001",
}


def create(api, seller, body=ADDRESSED) -> dict:
    answer = api.post("/api/v1/shipments/", body, format="json", **bearer(seller))
    assert answer.status_code == 201, answer.content
    return answer.json()


def decoded(pdf: bytes) -> dict[str, str]:
    """What a scanner reads off the rendered page: {format: text}."""
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    page = document[0]
    assert page.get_size() == (288.0, 432.0)  # 4 x 6 in
    image = page.render(scale=300 / 72).to_pil()
    return {str(r.format): r.text for r in zxingcpp.read_barcodes(image)}


def page_text(pdf: bytes) -> str:
    page = pypdfium2.PdfDocument(pdf)[0]
    return page.get_textpage().get_text_range()


def test_the_pdf_label_decodes_to_the_tracking_code_and_page(api, settings):
    settings.PUBLIC_BASE_URL = "https://ship.example.com"
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    shipment = create(api, seller)
    assert shipment["label_url"].endswith(f"/api/v1/shipments/{shipment['id']}/label/")
    tracking_url = f"https://ship.example.com/track/{shipment['tracking_code']}/"
    assert shipment["tracking_url"] == tracking_url
    answer = api.get(f"/api/v1/shipments/{shipment['id']}/label/", **bearer(seller))
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "private, no-store"
    assert decoded(answer.content) == {
        "Code 128": shipment["tracking_code"],
        "QR Code": tracking_url,
    }
    text = page_text(answer.content)
    for shown in (
        "Ada Lovelace",
        "12 Byron Road",
        "20095",
        seller.user.name,
        seller.address,
        "0.80 kg",
        shipment["created_at"][:10],
        "ORDER-1001",
    ):
        assert shown in text, shown
    assert "TEST" not in text


def test_the_zpl_label_has_every_field_escaped(api):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    shipment = create(api, seller)
    answer = api.get(
        f"/api/v1/shipments/{shipment['id']}/label/?format=zpl", **bearer(partner)
    )
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/zpl"
    zpl = answer.content.decode()
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert f"^BCN,150,Y,N,N^FD{shipment['tracking_code']}^FS" in zpl
    assert f"^BQN,2,6^FDMA,{shipment['tracking_url']}^FS" in zpl
    assert "^FH^FDAda Lovelace^FS" in zpl
    # The caret and tilde of the address are hex escapes, not commands.
    assert "^FH^FDFlat 3 _5EFS_7EJA^FS" in zpl
    assert zpl.count("^XA") == 1
    assert zpl.count("^XZ") == 1
    fields = re.findall(r"\^FD(.*?)\^FS", zpl)
    assert all("^" not in field and "~" not in field for field in fields)


def test_a_bad_format_or_someone_elses_shipment_is_refused(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    shipment = create(api, seller)
    url = f"/api/v1/shipments/{shipment['id']}/label/"
    bad = api.get(url + "?format=png", **bearer(seller))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "format"
    assert api.get(url, **bearer(seller_make())).status_code == 404
    assert api.get(url, **bearer(partner_make(zip_codes=("20095",)))).status_code == 404
    assert api.get(url).status_code == 401


def test_a_test_shipments_label_says_so(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    key = api.post(
        "/api/v1/api-keys/",
        {"name": "dev", "mode": "test"},
        format="json",
        **bearer(seller),
    ).json()["key"]
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    shipment = api.post("/api/v1/shipments/", ADDRESSED, format="json", **headers)
    label = api.get(f"/api/v1/shipments/{shipment.json()['id']}/label/", **headers)
    assert label.status_code == 200
    assert "TEST - DO NOT SHIP" in page_text(label.content)
    assert decoded(label.content)["Code 128"] == shipment.json()["tracking_code"]


def test_a_scan_of_either_code_moves_the_shipment_as_a_patch_does(api):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",))
    shipment = create(api, seller)
    pdf = api.get(
        f"/api/v1/shipments/{shipment['id']}/label/", **bearer(partner)
    ).content
    codes = decoded(pdf)
    picked_up = api.post(
        "/api/v1/scan/",
        {"code": codes["Code 128"], "location_zip_code": "10115"},
        format="json",
        **bearer(partner),
    )
    assert picked_up.status_code == 200, picked_up.content
    assert picked_up.json()["status"] == "in_transit"
    # The QR code's URL is a scan too, and names a status like PATCH.
    out = api.post(
        "/api/v1/scan/",
        {"code": codes["QR Code"], "status": "out_for_delivery"},
        format="json",
        **bearer(partner),
    )
    assert out.status_code == 200
    assert out.json()["status"] == "out_for_delivery"
    # Delivering by scan needs the recipient's code, as PATCH does.
    no_code = api.post(
        "/api/v1/scan/",
        {"code": codes["Code 128"], "status": "delivered"},
        format="json",
        **bearer(partner),
    )
    assert no_code.status_code == 400
    # Typed by hand: lower case and without dashes.
    typed = codes["Code 128"].lower().replace("-", "")
    again = api.post("/api/v1/scan/", {"code": typed}, format="json", **bearer(partner))
    assert again.status_code == 200
    assert again.json()["status"] == "in_transit"
    statuses = list(
        Shipment.objects.get(pk=shipment["id"])
        .events.order_by("created_at", "id")
        .values_list("status", "location_zip_code")
    )
    assert statuses[:2] == [("placed", seller.zip_code), ("in_transit", "10115")]
    # Only the shipment's partner scans it; a seller cannot.
    other = api.post(
        "/api/v1/scan/",
        {"code": codes["Code 128"]},
        format="json",
        **bearer(partner_make(zip_codes=("20095",))),
    )
    assert other.status_code == 404
    assert (
        api.post(
            "/api/v1/scan/",
            {"code": codes["Code 128"]},
            format="json",
            **bearer(seller),
        ).status_code
        == 403
    )
