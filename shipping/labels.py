"""Shipping labels: 4x6 in, as a PDF for any printer and as ZPL for thermal ones.

Both carry the same things: the sender and the recipient (name, address
lines, zip code), the weight, the date, the partner and the seller's
reference, the tracking code as a Code 128 barcode (what a partner's scanner
reads into ``POST /api/v1/scan/``) and as a QR code holding the public
tracking page. A test shipment's label says so across it. The PDF is drawn by
reportlab with its built-in Helvetica (nothing is fetched at run time); the
ZPL is text a Zebra printer renders itself (``^BC`` Code 128, ``^BQ`` QR).
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

# reportlab is imported by the first PDF, not at start-up: it costs every
# serving and worker process about 80 ms and 16 MiB, and most never draw a label.
WIDTH, HEIGHT = 4 * 72, 6 * 72  # 288 x 432 points
ZPL_DOTS_PER_INCH = 203  # the common thermal printer
MARGIN = 14


@dataclass(frozen=True)
class LabelData:
    tracking_code: str
    tracking_url: str
    sender_name: str
    sender_address: str
    sender_zip_code: str
    recipient_name: str
    recipient_address_line1: str
    recipient_address_line2: str
    recipient_zip_code: str
    weight_kg: Decimal
    created: date
    partner_name: str
    reference: str
    livemode: bool

    @classmethod
    def of(cls, row: Any, seller: Any, *, tracking_url: str) -> LabelData:
        """The label of a shipment as the selectors read it (``ShipmentRow``),
        sent by ``seller`` (its user loaded)."""
        return cls(
            tracking_code=row.tracking_code,
            tracking_url=tracking_url,
            sender_name=seller.user.name,
            sender_address=seller.address,
            sender_zip_code=seller.zip_code,
            recipient_name=row.recipient_name,
            recipient_address_line1=row.recipient_address_line1,
            recipient_address_line2=row.recipient_address_line2,
            recipient_zip_code=row.destination_zip_code,
            weight_kg=row.weight_kg,
            created=row.created_at.date(),
            partner_name=row.partner_name,
            reference=row.reference,
            livemode=row.livemode,
        )

    def recipient_lines(self) -> list[str]:
        lines = [
            self.recipient_name,
            self.recipient_address_line1,
            self.recipient_address_line2,
        ]
        return [line for line in lines if line] + [self.recipient_zip_code]

    def sender_lines(self) -> list[str]:
        return [self.sender_name, self.sender_address, self.sender_zip_code]

    def details(self) -> str:
        return f"{self.weight_kg} kg   {self.created.isoformat()}   {self.partner_name}"


def label_pdf(label: LabelData) -> bytes:
    """The label as a one-page 4x6 in PDF."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    pdf = Canvas(out, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    pdf.setTitle(f"FastShip label {label.tracking_code}")
    pdf.setAuthor("FastShip")
    top = HEIGHT - MARGIN
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(MARGIN, top - 12, "FastShip")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(WIDTH - MARGIN, top - 10, label.details())
    y = _block(pdf, "FROM", label.sender_lines(), top - 34, size=9)
    pdf.line(MARGIN, y + 4, WIDTH - MARGIN, y + 4)
    y = _block(pdf, "TO", label.recipient_lines(), y - 10, size=13)
    if label.reference:
        pdf.setFont("Helvetica", 8)
        pdf.drawString(MARGIN, y, f"Ref: {label.reference}")
    # The barcode across the width, its text under it.
    barcode = Code128(label.tracking_code, barHeight=64, barWidth=1.4, quiet=True)
    scale = min(1.0, (WIDTH - 2 * MARGIN) / barcode.width)
    barcode_x = (WIDTH - barcode.width * scale) / 2
    pdf.saveState()
    pdf.translate(barcode_x, 150)
    pdf.scale(scale, 1)
    barcode.drawOn(pdf, 0, 0)
    pdf.restoreState()
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(WIDTH / 2, 136, label.tracking_code)
    # The QR code of the tracking page, bottom left.
    size = 110
    _draw_qr(pdf, label.tracking_url, x=MARGIN, y=MARGIN, size=size)
    pdf.setFont("Helvetica", 8)
    pdf.drawString(MARGIN + size + 8, MARGIN + 60, "Track this shipment:")
    pdf.drawString(MARGIN + size + 8, MARGIN + 48, "scan the code, or visit")
    pdf.drawString(MARGIN + size + 8, MARGIN + 36, _fit(label.tracking_url, 34))
    if not label.livemode:
        pdf.saveState()
        pdf.setFont("Helvetica-Bold", 26)
        pdf.setFillGray(0.7)
        pdf.translate(WIDTH / 2 + 20, HEIGHT / 2 + 70)
        pdf.rotate(30)
        pdf.drawCentredString(0, 0, "TEST - DO NOT SHIP")
        pdf.restoreState()
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _draw_qr(pdf: Canvas, text: str, *, x: float, y: float, size: float) -> None:
    """``text`` as a QR code (error correction M, a 4-module quiet zone) in a
    ``size`` square: each row's runs of dark modules drawn as one rectangle.

    reportlab's own QR widget computed the code twice and made a shape per
    run (two thirds of a label's CPU); its encoder is used directly.
    """
    from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    module = size / (count + 8)
    for row, cells in enumerate(code.modules):
        column = 0
        for dark, run in itertools.groupby(bool(cell) for cell in cells):
            length = len(list(run))
            if dark:
                pdf.rect(
                    x + (column + 4) * module,
                    y + size - (row + 5) * module,
                    length * module,
                    module,
                    stroke=0,
                    fill=1,
                )
            column += length


def _block(pdf: Canvas, title: str, lines: list[str], y: float, *, size: int) -> float:
    """A titled address block from ``y`` down; the ``y`` below it."""
    pdf.setFont("Helvetica-Bold", 7)
    pdf.drawString(MARGIN, y, title)
    y -= size + 3
    pdf.setFont("Helvetica", size)
    for line in lines:
        pdf.drawString(MARGIN, y, _fit(line, int(460 / size)))
        y -= size + 3
    return y


def _fit(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def label_zpl(label: LabelData) -> str:
    """The label as ZPL II for a 203 dpi thermal printer (812 x 1218 dots).

    Every text field goes through ``^FH`` (hexadecimal escapes), so a ``^``
    or ``~`` in an address cannot end the field or start a command.
    """
    width = 4 * ZPL_DOTS_PER_INCH
    fields = [
        "^XA",
        "^CI28",  # UTF-8 text
        f"^PW{width}",
        f"^LL{6 * ZPL_DOTS_PER_INCH}",
        _text(30, 30, 40, "FastShip"),
        _text(330, 40, 22, label.details()),
        _text(30, 100, 20, "FROM"),
    ]
    y = 130
    for line in label.sender_lines():
        fields.append(_text(30, y, 24, line))
        y += 30
    fields.append(f"^FO30,{y + 5}^GB{width - 60},2,2^FS")
    y += 25
    fields.append(_text(30, y, 20, "TO"))
    y += 30
    for line in label.recipient_lines():
        fields.append(_text(30, y, 36, line))
        y += 44
    if label.reference:
        fields.append(_text(30, y, 22, f"Ref: {label.reference}"))
    fields += [
        # Code 128, 150 dots high, its text printed under it.
        f"^FO60,700^BY3^BCN,150,Y,N,N^FD{label.tracking_code}^FS",
        # QR: model 2, magnification 6, error correction M, manual input.
        f"^FO30,920^BQN,2,6^FDMA,{label.tracking_url}^FS",
        _text(330, 1000, 22, "Scan to track this shipment"),
    ]
    if not label.livemode:
        fields.append(_text(200, 560, 60, "TEST - DO NOT SHIP"))
    fields.append("^XZ")
    return "\n".join(fields) + "\n"


def _text(x: int, y: int, height: int, text: str) -> str:
    return f"^FO{x},{y}^A0N,{height},{height}^FH^FD{_escaped(text)}^FS"


def _escaped(text: str) -> str:
    """Text for a ``^FH`` field: ``_``, ``^`` and ``~`` as hexadecimal escapes."""
    return "".join(f"_{ord(c):02X}" if c in "_^~" else c for c in text)
