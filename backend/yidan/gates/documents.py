"""A gate pass on paper and on a phone: QR codes (PNG, SVG), a bilingual PDF and the driver's page."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from qrcode.image.pil import PilImage
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from yidan.waybills.documents import _cjk_font

KIND_NAMES = {"pickup": ("提箱", "Pick-up"), "dropoff": ("送箱", "Drop-off")}
SCOPE_NAMES = {
    "in": ("进闸", "gate-in"),
    "out": ("出闸", "gate-out"),
    "inout": ("进闸及出闸", "gate-in and gate-out"),
}


@dataclass(frozen=True, slots=True)
class PassDocument:
    """Everything printed on a gate pass."""

    token: str
    pass_id: str
    reference: str
    kind: str
    scope: str
    gate_code: str
    gate_name: str
    gate_name_zh: str | None
    terminal_name: str
    terminal_name_zh: str | None
    valid_from: datetime
    valid_to: datetime
    truck_plate: str
    container_number: str
    driver_name: str
    waybill_number: str
    revoked: bool
    revoke_reason: str | None = None
    tz: str = "Asia/Shanghai"
    links: dict[str, str] | None = None

    def window(self) -> str:
        """The validity window in the port's local time."""
        zone = ZoneInfo(self.tz)
        start, end = self.valid_from.astimezone(zone), self.valid_to.astimezone(zone)
        same_day = start.date() == end.date()
        tail = end.strftime("%H:%M") if same_day else end.strftime("%Y-%m-%d %H:%M")
        return f"{start:%Y-%m-%d %H:%M} – {tail} ({self.tz})"


def _qr(token: str) -> qrcode.QRCode:  # type: ignore[type-arg]
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(token)
    code.make(fit=True)
    return code


def qr_png(token: str) -> bytes:
    """The pass token as a PNG QR code."""
    buffer = io.BytesIO()
    _qr(token).make_image(image_factory=PilImage).save(buffer)
    return buffer.getvalue()


def qr_svg(token: str) -> bytes:
    """The pass token as an SVG QR code (scales to any screen or printer)."""
    buffer = io.BytesIO()
    _qr(token).make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue()


def _qr_drawing(token: str, size: float) -> Drawing:
    widget = QrCodeWidget(token, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    sx, sy = size / (x1 - x0), size / (y1 - y0)
    drawing = Drawing(size, size, transform=[sx, 0, 0, sy, -x0 * sx, -y0 * sy])
    drawing.add(widget)
    return drawing


def _rows(doc: PassDocument) -> list[tuple[str, str]]:
    kind_zh, kind_en = KIND_NAMES.get(doc.kind, (doc.kind, doc.kind))
    scope_zh, scope_en = SCOPE_NAMES.get(doc.scope, (doc.scope, doc.scope))
    gate = f"{doc.gate_name_zh or ''} {doc.gate_name} ({doc.gate_code})".strip()
    terminal = f"{doc.terminal_name_zh or ''} {doc.terminal_name}".strip()
    return [
        ("码头 Terminal", terminal),
        ("闸口 Gate", gate),
        ("时段 Slot", doc.window()),
        ("车牌 Truck", doc.truck_plate),
        ("箱号 Container", doc.container_number),
        ("业务 Movement", f"{kind_zh} {kind_en} · {scope_zh} {scope_en}"),
        ("司机 Driver", doc.driver_name),
        ("运单 Waybill", doc.waybill_number),
        ("预约 Appointment", doc.reference),
        ("通行证 Pass", doc.pass_id),
    ]


def render_pass_pdf(doc: PassDocument) -> bytes:
    """A one-page A5 gate pass in Chinese and English with the QR code the lane scans."""
    font = _cjk_font().name
    buffer = io.BytesIO()
    width, height = A5
    canvas = Canvas(buffer, pagesize=A5)
    canvas.setTitle(f"Gate pass {doc.reference}")
    canvas.setAuthor("Yidan")
    canvas.setFillColor(colors.HexColor("#0B4F8A"))
    canvas.rect(0, height - 22 * mm, width, 22 * mm, stroke=0, fill=1)
    canvas.setFillColor(colors.white)
    canvas.setFont(font, 16)
    canvas.drawString(12 * mm, height - 12 * mm, "闸口通行证  Gate Pass")
    canvas.setFont(font, 9)
    canvas.drawString(12 * mm, height - 18 * mm, "一单制 · 无纸化闸口 / Yidan paperless gate")
    size = 78 * mm
    renderPDF.draw(_qr_drawing(doc.token, size), canvas, (width - size) / 2, height - 26 * mm - size)
    y = height - 32 * mm - size
    canvas.setFillColor(colors.HexColor("#1F2933"))
    for label, value in _rows(doc):
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#5F6B7A"))
        canvas.drawString(12 * mm, y, label)
        canvas.setFont(font, 10)
        canvas.setFillColor(colors.HexColor("#1F2933"))
        canvas.drawString(42 * mm, y, value[:70])
        y -= 6.2 * mm
    canvas.setFont(font, 7)
    canvas.setFillColor(colors.HexColor("#5F6B7A"))
    canvas.drawString(
        12 * mm,
        10 * mm,
        "请在车道出示此二维码，每个方向限用一次 / Show this QR code at the lane; one use each way.",
    )
    if doc.revoked:
        canvas.saveState()
        canvas.setFillColor(colors.Color(0.78, 0.16, 0.16, alpha=0.25))
        canvas.translate(width / 2, height / 2)
        canvas.rotate(35)
        canvas.setFont(font, 48)
        canvas.drawCentredString(0, 0, "已撤销 REVOKED")
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def driver_page(doc: PassDocument, svg: bytes) -> str:
    """The small page the driver's phone opens from the text message: the QR code and the essentials."""
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in _rows(doc))
    links = doc.links or {}
    status = (
        f'<p class="revoked">已撤销 REVOKED — {escape(doc.revoke_reason or "")}</p>'
        if doc.revoked
        else '<p class="ok">向车道扫描器出示二维码 · Show the QR code to the lane scanner</p>'
    )
    downloads = " · ".join(
        f'<a href="{escape(url)}">{escape(label)}</a>'
        for label, url in (("PDF", links.get("pdf", "")), ("PNG", links.get("png", "")))
        if url
    )
    # a revoked pass shows no code to scan
    qr = "" if doc.revoked else svg.decode("utf-8").split("?>", 1)[-1]
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>闸口通行证 Gate pass {escape(doc.reference)}</title>
<style>
body{{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#1F2933;
background:#F4F6F8}}
header{{background:#0B4F8A;color:#fff;padding:12px 16px}}h1{{font-size:18px;margin:0}}
main{{padding:12px 16px;max-width:480px;margin:auto}}.qr svg{{width:100%;height:auto;background:#fff}}
table{{width:100%;border-collapse:collapse;font-size:14px}}th{{text-align:left;color:#5F6B7A;font-weight:normal;
padding:4px 8px 4px 0;white-space:nowrap}}td{{padding:4px 0}}.revoked{{color:#C62828;font-weight:bold}}
.ok{{color:#0B4F8A}}
</style></head>
<body><header><h1>闸口通行证 · Gate Pass</h1></header>
<main>{status}<div class="qr">{qr}</div><table>{rows}</table><p>{downloads}</p></main></body></html>
"""
