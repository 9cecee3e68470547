"""The printable electronic waybill: plain views of what goes on the paper and a bilingual A4 PDF."""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)


@dataclass(frozen=True, slots=True)
class PartyView:
    """A party named on the waybill (shipper, consignee or notify party)."""

    role: str
    name: str
    address: str
    contact: str


@dataclass(frozen=True, slots=True)
class CargoLineView:
    """One line of cargo; a UN number marks it as dangerous goods."""

    description: str
    hs_code: str | None
    packages: int
    package_type: str
    gross_weight_kg: Decimal | float
    volume_m3: Decimal | float | None
    marks: str | None = None
    un_number: str | None = None
    dg_class: str | None = None
    packing_group: str | None = None


@dataclass(frozen=True, slots=True)
class EquipmentView:
    """A container and the seals on it."""

    container_number: str
    size_type: str
    seals: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LegView:
    """One transport leg of the journey."""

    seq: int
    mode: str
    carrier_name: str
    vehicle: str | None
    from_name: str
    from_unlocode: str | None
    to_name: str
    to_unlocode: str | None
    planned_departure: datetime | None
    planned_arrival: datetime | None
    status: str


@dataclass(frozen=True, slots=True)
class WaybillDocument:
    """Everything printed on one electronic waybill."""

    number: str
    status: str
    issued_at: datetime
    shipper: PartyView
    consignee: PartyView
    notify: PartyView | None
    cargo_lines: list[CargoLineView]
    equipment: list[EquipmentView]
    legs: list[LegView]
    tracking_url: str
    remarks: str | None = None


# TrueType (glyf) CJK fonts from Debian packages, embedded as subsets so every viewer shows the same
# glyphs. Noto CJK ships CFF outlines, which reportlab cannot embed today; its registration error just
# moves on to the next candidate, and a reportlab that learns CFF picks it up.
CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
_CID_FONT = "STSong-Light"
_TTF_FONT = "YidanCJK"
_LATIN, _LATIN_BOLD = "Helvetica", "Helvetica-Bold"

MODE_NAMES: dict[str, str] = {"VESSEL": "海运", "RAIL": "铁路", "TRUCK": "公路", "BARGE": "驳船"}
STATUS_NAMES: dict[str, str] = {
    "DRAFT": "草稿",
    "BOOKED": "已订舱",
    "ISSUED": "已签发",
    "PLANNED": "计划中",
    "IN_TRANSIT": "运输中",
    "DEPARTED": "已出发",
    "ARRIVED": "已到达",
    "DELIVERED": "已交付",
    "COMPLETED": "已完成",
    "SURRENDERED": "已交回",
    "CANCELLED": "已作废",
}
# A document in these states is not a valid waybill, so every page says so across its face.
_WATERMARKS: dict[str, str] = {"DRAFT": "草稿 DRAFT", "CANCELLED": "作废 CANCELLED"}
# China has kept UTC+8 without daylight saving since 1991, so these still work on hosts without tzdata.
_FIXED_ZONES: dict[str, int] = {"Asia/Shanghai": 8, "Asia/Chongqing": 8, "PRC": 8, "UTC": 0, "Etc/UTC": 0}

_INK = colors.HexColor("#1F2933")
_MUTED = colors.HexColor("#5F6B7A")
_ACCENT = colors.HexColor("#0B4F8A")
_RULE = colors.HexColor("#B8C2CC")
_SHADE = colors.HexColor("#E8EEF4")
_DANGER = colors.HexColor("#C62828")
_DANGER_SHADE = colors.HexColor("#FDECEA")

_PAGE_W, _PAGE_H = A4
_MARGIN = 15 * mm
_FRAME_W = _PAGE_W - 2 * _MARGIN
_MISSING = "—"


@dataclass(frozen=True, slots=True)
class _CjkFont:
    name: str
    # Code points the font can draw; None when unknown (the CID font carries no coverage table here).
    coverage: frozenset[int] | None

    def draws(self, char: str) -> bool:
        return ord(char) <= 0xFFFF if self.coverage is None else ord(char) in self.coverage


@functools.cache
def _cjk_font() -> _CjkFont:
    for path in CJK_FONT_PATHS:
        try:
            font = TTFont(_TTF_FONT, path, subfontIndex=0)
        except Exception:  # noqa: S112 - a missing or unusable font file just means try the next one
            continue
        pdfmetrics.registerFont(font)
        _register_family(_TTF_FONT)
        return _CjkFont(_TTF_FONT, frozenset(font.face.charToGlyph))
    pdfmetrics.registerFont(UnicodeCIDFont(_CID_FONT))
    _register_family(_CID_FONT)
    return _CjkFont(_CID_FONT, None)


def _register_family(name: str) -> None:
    # Neither font has a bold face; mapping bold onto itself lets bold headings contain Chinese.
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        if tz in _FIXED_ZONES:
            return timezone(timedelta(hours=_FIXED_ZONES[tz]), tz)
        raise ValueError(f"unknown time zone: {tz!r}") from None


def _offset_label(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class _Clock:
    """Formats instants in the document's zone, naming the offset only where it differs from the header."""

    def __init__(self, tz: str, reference: datetime) -> None:
        self.zone = _zone(tz)
        self.offset = self.local(reference).utcoffset()
        self.label = f"{tz} ({_offset_label(self.offset)})"

    def local(self, moment: datetime) -> datetime:
        # Stored times are UTC; a naive one is taken as UTC rather than as the server's local time.
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return aware.astimezone(self.zone)

    def format(self, moment: datetime | None) -> str:
        if moment is None:
            return _MISSING
        local = self.local(moment)
        text = local.strftime("%Y-%m-%d %H:%M")
        if local.utcoffset() != self.offset:
            text += f" ({_offset_label(local.utcoffset())})"
        return text


def _clean(text: object) -> str:
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    # Controls, lone surrogates and format characters (bidi overrides, zero-width joiners) either break
    # the PDF encoders or make the printed text differ from what it looks like.
    return "".join(ch for ch in value if ch == "\n" or unicodedata.category(ch)[0] != "C")


def _markup(text: object, font: _CjkFont) -> str:
    """Escape user text for Paragraph markup, setting Latin in Helvetica and everything else in CJK."""
    parts: list[str] = []
    run, run_is_cjk = "", False

    def flush() -> None:
        if run:
            parts.append(f'<font face="{font.name}">{escape(run)}</font>' if run_is_cjk else escape(run))

    for ch in _clean(text):
        if ch == "\n":
            flush()
            parts.append("<br/>")
            run = ""
            continue
        try:
            ch.encode("cp1252")  # the standard fonts' encoding: anything outside it needs the CJK font
            is_cjk = False
        except UnicodeEncodeError:
            is_cjk = True
        if is_cjk and not font.draws(ch):
            if unicodedata.category(ch).startswith("M"):
                continue
            ch, is_cjk = "?", False
        if is_cjk != run_is_cjk:
            flush()
            run, run_is_cjk = "", is_cjk
        run += ch
    flush()
    return "".join(parts)


class _Styles:
    def __init__(self, font: _CjkFont) -> None:
        self.font = font

        def style(name: str, size: float, bold: bool = False, color: Any = _INK, **kw: Any) -> ParagraphStyle:
            kw.setdefault("leading", size * 1.3)
            font_name = _LATIN_BOLD if bold else _LATIN
            return ParagraphStyle(name, fontName=font_name, fontSize=size, textColor=color, **kw)

        self.title = style("title", 17, True, _ACCENT)
        self.subtitle = style("subtitle", 11, True, _ACCENT)
        self.label = style("label", 7, color=_MUTED)
        self.number = style("number", 22, True, leading=26)
        self.body = style("body", 8.5)
        self.strong = style("strong", 9.5, True)
        self.small = style("small", 7, color=_MUTED)
        self.small_center = style("small_center", 7, color=_MUTED, alignment=TA_CENTER)
        self.cell = style("cell", 7.5)
        self.cell_right = style("cell_right", 7.5, alignment=TA_RIGHT)
        self.cell_head = style("cell_head", 7, True, _ACCENT)
        self.cell_head_right = style("cell_head_right", 7, True, _ACCENT, alignment=TA_RIGHT)
        self.danger_cell = style("danger_cell", 7.5, True, _DANGER)
        self.section = style("section", 10.5, True, _ACCENT, spaceBefore=6, spaceAfter=2.5)
        self.danger_section = style("danger", 10.5, True, _DANGER, spaceBefore=6, spaceAfter=2.5)
        self.banner = style("banner", 10, True, colors.white)
        self.footer = style("footer", 7, color=_MUTED)
        self.footer_right = style("footer_right", 7, color=_MUTED, alignment=TA_RIGHT)

    def p(self, text: object, style: ParagraphStyle) -> Paragraph:
        return Paragraph(_markup(text, self.font), style)

    def lines(self, items: Iterable[tuple[object, ParagraphStyle]]) -> list[Flowable]:
        return [self.p(text, st) for text, st in items if text not in (None, "")]


def _bilingual(code: str, names: dict[str, str]) -> str:
    key = code.strip().upper()
    return f"{names[key]} {key}" if key in names else code


def _un(number: str | None) -> str | None:
    text = (number or "").strip().upper()
    if not text:
        return None
    return text if text.startswith("UN") else f"UN{text}"


def _dg_summary(line: CargoLineView, separator: str = " · ") -> str:
    details = [
        f"Class {line.dg_class}" if line.dg_class else "",
        f"PG {line.packing_group}" if line.packing_group else "",
    ]
    return separator.join(part for part in (_un(line.un_number), " · ".join(filter(None, details))) if part)


def _num(value: Decimal | float | None, places: int) -> str:
    if value is None:
        return _MISSING
    try:
        return f"{Decimal(str(value)):,.{places}f}"
    except (ArithmeticError, ValueError):
        return str(value)


def _sum(values: Iterable[Decimal | float | None]) -> Decimal:
    return sum((Decimal(str(value)) for value in values if value is not None), Decimal(0))


def _packages(line: CargoLineView) -> str:
    return f"{line.packages:,} {_clean(line.package_type)}".strip()


def tracking_qr_drawing(url: str, size: float = 30 * mm) -> Drawing:
    """Return a square drawing of a QR code that encodes the public tracking URL."""
    widget = QrCodeWidget(_clean(url), barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    sx, sy = size / (x1 - x0), size / (y1 - y0)
    drawing = Drawing(size, size, transform=[sx, 0, 0, sy, -x0 * sx, -y0 * sy])
    drawing.add(widget)
    return drawing


def _barcode(number: str, max_width: float) -> Flowable | None:
    value = number.strip()
    # Code 128 carries ASCII only; a number outside it is still printed as text above.
    if not value or not value.isascii() or not value.isprintable():
        return None
    bar_width = 0.33 * mm
    width, _ = Code128(value, barWidth=bar_width, humanReadable=False).wrap(max_width, 0)
    barcode = Code128(
        value, barWidth=bar_width * min(1, max_width / width), barHeight=10 * mm, humanReadable=False
    )
    barcode.hAlign = "LEFT"
    return barcode


def _boxed(rows: list[list[Any]], widths: Sequence[float], *commands: tuple[Any, ...], **kw: Any) -> Table:
    # splitInRow lets a row taller than a page (a pasted novel in a description) break instead of failing.
    table = Table(rows, colWidths=list(widths), splitInRow=1, **kw)
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), *commands]))
    return table


_Cell = str | Flowable | list[Flowable]


def _table(s: _Styles, heads: str, rows: list[list[_Cell]], widths_mm: Sequence[float]) -> Table:
    """Build a grid from "中文\\nEnglish|…" headings; a heading starting with ">" right-aligns its column."""
    titles = heads.split("|")
    right = [title.startswith(">") for title in titles]
    data: list[list[Any]] = [
        [
            s.p(t.lstrip(">"), s.cell_head_right if r else s.cell_head)
            for t, r in zip(titles, right, strict=True)
        ]
    ]
    for row in rows:
        data.append(
            [
                s.p(c, s.cell_right if r else s.cell) if isinstance(c, str) else c
                for c, r in zip(row, right, strict=True)
            ]
        )
    if not rows:
        data.append([s.p("无 / None", s.small)] + [""] * (len(titles) - 1))
    return _boxed(
        data,
        [w * mm for w in widths_mm],
        ("GRID", (0, 0), (-1, -1), 0.4, _RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
        repeatRows=1,
    )


def _header_block(doc: WaybillDocument, s: _Styles, clock: _Clock) -> Flowable:
    qr_size = 30 * mm
    right_w = qr_size + 10 * mm
    left_w = _FRAME_W - right_w
    left: list[Flowable] = [
        s.p("多式联运电子运单", s.title),
        s.p("Multimodal Electronic Waybill", s.subtitle),
        Spacer(1, 2 * mm),
        s.p("运单号 / Waybill No.", s.label),
        s.p(doc.number, s.number),
    ]
    barcode = _barcode(doc.number, left_w - 6 * mm)
    if barcode is not None:
        left += [Spacer(1, 1 * mm), barcode, Spacer(1, 1.5 * mm)]
    left += [
        s.p(f"状态 / Status: {_bilingual(doc.status, STATUS_NAMES)}", s.body),
        s.p(f"签发日期 / Issued: {clock.format(doc.issued_at)} {clock.label}", s.body),
    ]
    url = _clean(doc.tracking_url)
    right: list[Flowable] = [
        tracking_qr_drawing(url, qr_size),
        s.p("扫码追踪货物 / Scan to track", s.small_center),
        Paragraph(f'<a href="{escape(url, {chr(34): "&quot;"})}">{_markup(url, s.font)}</a>', s.small_center),
    ]
    return _boxed(
        [[left, right]],
        [left_w, right_w],
        ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, _ACCENT),
        ("LEFTPADDING", (0, 0), (0, 0), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    )


def _dg_banner(dg_lines: list[CargoLineView], s: _Styles) -> list[Flowable]:
    if not dg_lines:
        return []
    numbers = ", ".join(dict.fromkeys(_dg_summary(line) for line in dg_lines))
    banner = _boxed(
        [[s.p(f"危险品 / DANGEROUS GOODS — {numbers}", s.banner)]],
        [_FRAME_W],
        ("BACKGROUND", (0, 0), (-1, -1), _DANGER),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4.5),
    )
    return [Spacer(1, 2.5 * mm), banner]


def _parties(doc: WaybillDocument, s: _Styles) -> Flowable:
    cells: list[_Cell] = []
    for party in (doc.shipper, doc.consignee, doc.notify):
        if party is None:
            cells.append([s.p("无 / None", s.small)])
        else:
            cells.append(s.lines([(party.name, s.strong), (party.address, s.cell), (party.contact, s.small)]))
    table = _table(
        s, "托运人 / Shipper|收货人 / Consignee|通知方 / Notify party", [cells], [_FRAME_W / 3 / mm] * 3
    )
    table.spaceBefore = 2.5 * mm
    return table


def _section(heading: Paragraph, body: Flowable, *, keep: float = 25 * mm) -> list[Flowable]:
    # keepWithNext would wrap heading and table in a KeepTogether, which moves a table longer than a page
    # to a fresh page; a conditional break only stops a heading from ending a page on its own.
    return [CondPageBreak(keep), heading, body]


def _cargo(doc: WaybillDocument, s: _Styles) -> list[Flowable]:
    lines = doc.cargo_lines
    rows: list[list[_Cell]] = [
        [
            str(index),
            line.marks or _MISSING,
            line.description,
            line.hs_code or _MISSING,
            _packages(line),
            _num(line.gross_weight_kg, 1),
            _num(line.volume_m3, 3),
            s.p(_dg_summary(line, "\n"), s.danger_cell) if _un(line.un_number) else _MISSING,
        ]
        for index, line in enumerate(lines, start=1)
    ]
    if lines:
        volumes = [line.volume_m3 for line in lines]
        totals = [
            f"{sum(line.packages for line in lines):,}",
            _num(_sum(line.gross_weight_kg for line in lines), 1),
            _num(_sum(volumes), 3) if any(v is not None for v in volumes) else _MISSING,
        ]
        rows.append(
            ["", "", s.p("合计 / Total", s.cell_head), "", *(s.p(t, s.cell_head_right) for t in totals), ""]
        )
    heads = (
        "#|唛头\nMarks|货物描述\nDescription|HS 编码\nHS code|>件数\nPackages|>毛重\nGross kg|>体积\nm³"
        "|危险品\nUN No."
    )
    table = _table(s, heads, rows, [7, 25, 55, 18, 22, 19, 14, 20])
    if lines:
        table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.9, _INK)]))
    return _section(s.p("货物 / Cargo", s.section), table)


def _dangerous_goods(dg_lines: list[CargoLineView], s: _Styles) -> list[Flowable]:
    if not dg_lines:
        return []
    rows: list[list[_Cell]] = [
        [
            s.p(_un(line.un_number), s.danger_cell),
            line.description,
            line.dg_class or _MISSING,
            line.packing_group or _MISSING,
            _packages(line),
            _num(line.gross_weight_kg, 1),
        ]
        for line in dg_lines
    ]
    heads = (
        "UN 编号\nUN No.|品名\nDescription|类别\nClass|包装类别\nPacking group|>件数\nPackages"
        "|>毛重\nGross kg"
    )
    table = _table(s, heads, rows, [24, 72, 18, 22, 24, 20])
    table.setStyle(
        TableStyle([("BACKGROUND", (0, 0), (-1, 0), _DANGER_SHADE), ("BOX", (0, 0), (-1, -1), 1.2, _DANGER)])
    )
    return _section(s.p("危险品 / Dangerous goods", s.danger_section), table)


def _equipment(doc: WaybillDocument, s: _Styles) -> list[Flowable]:
    rows: list[list[_Cell]] = [
        [str(index), item.container_number, item.size_type, ", ".join(item.seals) or _MISSING]
        for index, item in enumerate(doc.equipment, start=1)
    ]
    table = _table(s, "#|箱号\nContainer No.|箱型\nSize-type|封号\nSeal No.", rows, [7, 50, 30, 93])
    return _section(s.p("集装箱 / Equipment", s.section), table)


def _route(doc: WaybillDocument, s: _Styles, clock: _Clock) -> list[Flowable]:
    rows: list[list[_Cell]] = [
        [
            str(leg.seq),
            _bilingual(leg.mode, MODE_NAMES),
            s.lines([(leg.carrier_name, s.cell), (leg.vehicle, s.small)]),
            s.lines([(leg.from_name, s.cell), (leg.from_unlocode, s.small)]),
            s.lines([(leg.to_name, s.cell), (leg.to_unlocode, s.small)]),
            f"ETD {clock.format(leg.planned_departure)}\nETA {clock.format(leg.planned_arrival)}",
            _bilingual(leg.status, STATUS_NAMES),
        ]
        for leg in sorted(doc.legs, key=lambda leg: leg.seq)
    ]
    heads = (
        "#|运输方式\nMode|承运人 · 运输工具\nCarrier · Vehicle|起运地\nFrom|目的地\nTo|计划时间\nPlanned"
        "|状态\nStatus"
    )
    note = _markup(f"时间均为 {clock.label} / All times in {clock.label}", s.font)
    title = _markup("运输路线 / Route", s.font)
    heading = Paragraph(f'{title}  <font size="7" color="#{_MUTED.hexval()[2:]}">{note}</font>', s.section)
    table = _table(s, heads, rows, [7, 21, 38, 32, 32, 31, 19])
    # A short route reads best whole on one page; a long one is left to split like any table.
    return (
        [CondPageBreak(25 * mm), KeepTogether([heading, table])]
        if len(rows) <= 8
        else _section(heading, table)
    )


def _remarks(doc: WaybillDocument, s: _Styles) -> list[Flowable]:
    if not _clean(doc.remarks).strip():
        return []
    return _section(s.p("备注 / Remarks", s.section), s.p(doc.remarks, s.body), keep=12 * mm)


class _PagedCanvas(Canvas):
    """Holds every page back until the end so each footer can say how many pages there are."""

    def __init__(self, *args: Any, footer: str, styles: _Styles, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._styles = styles
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        # Start a fresh page without emitting this one; the stubs omit this (stable) reportlab internal.
        self._startPage()  # type: ignore[attr-defined]

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number: int, total: int) -> None:
        s = self._styles
        self.saveState()
        self.setStrokeColor(_RULE)
        self.setLineWidth(0.5)
        self.line(_MARGIN, 13 * mm, _PAGE_W - _MARGIN, 13 * mm)
        half = _FRAME_W / 2
        left = s.p(self._footer, s.footer)
        right = s.p(f"第 {number} 页，共 {total} 页 / Page {number} of {total}", s.footer_right)
        for paragraph, x in ((left, _MARGIN), (right, _MARGIN + half)):
            _, height = paragraph.wrap(half, 10 * mm)
            paragraph.drawOn(self, x, 12 * mm - height)
        self.restoreState()


def render_waybill_pdf(doc: WaybillDocument, *, tz: str = "Asia/Shanghai") -> bytes:
    """Render the waybill as a bilingual (Chinese/English) A4 PDF with times shown in ``tz``."""
    font = _cjk_font()
    s = _Styles(font)
    clock = _Clock(tz, doc.issued_at)
    number = _clean(doc.number)
    watermark = _WATERMARKS.get(doc.status.strip().upper())

    def decorate(canvas: Canvas, template: SimpleDocTemplate) -> None:
        if watermark:
            canvas.saveState()
            canvas.setFillColor(colors.Color(0.78, 0.16, 0.16, alpha=0.12))
            canvas.translate(_PAGE_W / 2, _PAGE_H / 2)
            canvas.rotate(35)
            canvas.setFont(font.name, 64)
            canvas.drawCentredString(0, 0, watermark)
            canvas.restoreState()
        if canvas.getPageNumber() > 1:
            head = s.p(f"多式联运电子运单 / Multimodal Electronic Waybill · {number}", s.footer)
            _, height = head.wrap(_FRAME_W, 10 * mm)
            head.drawOn(canvas, _MARGIN, _PAGE_H - 9 * mm - height)

    dg_lines = [line for line in doc.cargo_lines if _un(line.un_number)]
    story: list[Flowable] = [_header_block(doc, s, clock), *_dg_banner(dg_lines, s), _parties(doc, s)]
    story += [*_cargo(doc, s), *_dangerous_goods(dg_lines, s), *_equipment(doc, s)]
    story += [*_route(doc, s, clock), *_remarks(doc, s)]

    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=18 * mm,
        title=f"Waybill {number}",
        subject="多式联运电子运单 / Multimodal Electronic Waybill",
        author="Yidan",
        creator="Yidan",
    )
    footer = f"Yidan 一单制 · {number} · {clock.label}"
    canvasmaker = functools.partial(_PagedCanvas, footer=footer, styles=s)
    template.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=canvasmaker)
    return buffer.getvalue()
