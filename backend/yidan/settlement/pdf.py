"""The invoice (or credit note) as a bilingual Chinese/English A4 PDF."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yidan.settlement.money import EXPONENTS
from yidan.waybills.documents import _cjk_font, _markup

CST = timezone(timedelta(hours=8), "CST")
_ACCENT = colors.HexColor("#0B4F8A")
_RULE = colors.HexColor("#B8C2CC")
_SHADE = colors.HexColor("#E8EEF4")
CHARGE_NAMES = {
    "FREIGHT": "运费 Freight",
    "DG": "危险品附加费 DG surcharge",
    "REEFER": "冷藏附加费 Reefer surcharge",
    "FUEL": "燃油附加费 Fuel surcharge",
    "PORT": "港口费 Port fee",
    "GATE": "闸口费 Gate fee",
    "CREDIT": "冲减 Credit",
}
STATUS_NAMES = {
    "draft": "草稿 Draft",
    "issued": "已开具 Issued",
    "partially_paid": "部分付款 Partially paid",
    "paid": "已付清 Paid",
    "void": "已作废 Void",
}


@dataclass(frozen=True, slots=True)
class InvoiceLineView:
    """A line as printed."""

    leg_seq: int | None
    charge_code: str
    description: str
    description_zh: str | None
    quantity: Decimal
    unit: str
    unit_amount_minor: int
    net_minor: int
    vat_rate_bp: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything printed on an invoice or credit note."""

    kind: str
    number: str | None
    status: str
    currency: str
    seller_name: str
    seller_name_zh: str | None
    seller_uscc: str | None
    buyer_name: str
    buyer_name_zh: str | None
    buyer_uscc: str | None
    waybill_number: str
    issued_at: datetime | None
    due_at: datetime | None
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    paid_minor: int
    balance_due_minor: int
    credited_number: str | None = None
    reason: str | None = None
    lines: list[InvoiceLineView] = field(default_factory=list)


def _amount(minor: int, currency: str) -> str:
    exp = EXPONENTS.get(currency, 2)
    return f"{Decimal(minor).scaleb(-exp):,.{exp}f}"


def _date(moment: datetime | None) -> str:
    return moment.astimezone(CST).strftime("%Y-%m-%d") if moment else "—"


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """Render the invoice or credit note, amounts in its currency and dates in China Standard Time."""
    font = _cjk_font()

    def style(name: str, size: float, bold: bool = False, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName="Helvetica-Bold" if bold else "Helvetica", fontSize=size, leading=size * 1.3, **kw
        )

    title, body, small = style("t", 16, True, textColor=_ACCENT), style("b", 8.5), style("s", 7)
    cell, right = style("c", 7.5), style("r", 7.5, alignment=TA_RIGHT)
    head = style("h", 7, True, textColor=_ACCENT)

    def p(text: object, st: ParagraphStyle) -> Paragraph:
        return Paragraph(_markup(text, font), st)

    credit = doc.kind == "credit_note"
    heading = "贷项通知单 / CREDIT NOTE" if credit else "发票 / INVOICE"
    story: list[Flowable] = [p(heading, title), Spacer(1, 3 * mm)]
    meta = [
        ("编号 / No.", doc.number or "草稿 DRAFT"),
        ("状态 / Status", STATUS_NAMES.get(doc.status, doc.status)),
        ("运单号 / Waybill", doc.waybill_number),
        ("开具日期 / Issued", _date(doc.issued_at)),
        ("付款期限 / Due", _date(doc.due_at)),
        ("币种 / Currency", doc.currency),
    ]
    if credit and doc.credited_number:
        meta.append(("冲减发票 / Credits invoice", doc.credited_number))
    if doc.reason:
        meta.append(("原因 / Reason", doc.reason))
    seller = [doc.seller_name_zh, doc.seller_name, f"USCC {doc.seller_uscc}" if doc.seller_uscc else None]
    buyer = [doc.buyer_name_zh, doc.buyer_name, f"USCC {doc.buyer_uscc}" if doc.buyer_uscc else None]
    parties = Table(
        [
            [p("销售方 / Seller", head), p("购买方 / Buyer", head)],
            [[p(t, body) for t in seller if t], [p(t, body) for t in buyer if t]],
        ],
        colWidths=[90 * mm, 90 * mm],
    )
    parties.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, _RULE), ("BACKGROUND", (0, 0), (-1, 0), _SHADE)])
    )
    info = Table([[p(k, small), p(v, body)] for k, v in meta], colWidths=[40 * mm, 140 * mm])
    story += [info, Spacer(1, 3 * mm), parties, Spacer(1, 4 * mm)]

    heads = [
        "段\nLeg",
        "费用\nCharge",
        "说明\nDescription",
        "数量\nQty",
        "单价\nUnit price",
        "金额\nNet",
        "税率\nVAT %",
        "税额\nVAT",
        "合计\nTotal",
    ]
    rows: list[list[object]] = [[p(h, head) for h in heads]]
    for line in doc.lines:
        desc = "\n".join(t for t in (line.description_zh, line.description) if t)
        rows.append(
            [
                p(line.leg_seq or "—", cell),
                p(CHARGE_NAMES.get(line.charge_code, line.charge_code), cell),
                p(desc, cell),
                p(f"{line.quantity.normalize():f} {line.unit}", right),
                p(_amount(line.unit_amount_minor, doc.currency), right),
                p(_amount(line.net_minor, doc.currency), right),
                p(f"{Decimal(line.vat_rate_bp) / 100:.2f}", right),
                p(_amount(line.tax_minor, doc.currency), right),
                p(_amount(line.net_minor + line.tax_minor, doc.currency), right),
            ]
        )
    table = Table(
        rows,
        colWidths=[10 * mm, 28 * mm, 44 * mm, 20 * mm, 18 * mm, 18 * mm, 12 * mm, 14 * mm, 16 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, _RULE),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 3 * mm)]
    totals = [
        ("不含税金额 / Net", doc.subtotal_minor),
        ("增值税 / VAT", doc.tax_minor),
        ("价税合计 / Total", doc.total_minor),
    ]
    if not credit:
        totals += [("已付 / Paid", doc.paid_minor), ("应付余额 / Balance due", doc.balance_due_minor)]
    summary = Table(
        [[p(k, body), p(f"{_amount(v, doc.currency)} {doc.currency}", right)] for k, v in totals],
        colWidths=[130 * mm, 50 * mm],
    )
    summary.setStyle(TableStyle([("LINEABOVE", (0, 2), (-1, 2), 0.9, colors.black)]))
    story += [summary, Spacer(1, 6 * mm), p("Yidan 一单制 · 在线结算 Online settlement", small)]
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{'Credit note' if credit else 'Invoice'} {doc.number or 'draft'}",
        author="Yidan",
        creator="Yidan",
    )
    template.build(story)
    return buffer.getvalue()
