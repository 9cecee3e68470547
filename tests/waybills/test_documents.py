"""The printable e-waybill PDF: content, QR code, pagination, time zones and hostile text."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from reportlab.graphics.barcode.qr import QrCodeWidget

from yidan.waybills import documents
from yidan.waybills.documents import (
    CargoLineView,
    EquipmentView,
    LegView,
    PartyView,
    WaybillDocument,
    render_waybill_pdf,
    tracking_qr_drawing,
)

TRACKING_URL = "https://track.yidan.example/t/YD250301000127?k=q7Vb2mXc"

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed (Debian package poppler-utils)"
)


def sample_document(**changes: Any) -> WaybillDocument:
    """Ningbo → (sea) Qingdao → (rail) Xi'an → (road) the consignee's warehouse, with one DG line."""
    doc = WaybillDocument(
        number="YD250301000127",
        status="IN_TRANSIT",
        issued_at=datetime(2025, 3, 1, 2, 30, tzinfo=UTC),
        shipper=PartyView(
            role="SHIPPER",
            name="宁波华东化工进出口有限公司 Ningbo Huadong Chemical Import & Export Co., Ltd.",
            address="浙江省宁波市北仑区明州路 88 号 / 88 Mingzhou Road, Beilun District, Ningbo 315800",
            contact="王丽 Wang Li · +86 574 8688 1234 · export@hdchem.example",
        ),
        consignee=PartyView(
            role="CONSIGNEE",
            name="西安陆港供应链有限公司 Xi'an Inland Port Supply Chain Co., Ltd.",
            address="陕西省西安市灞桥区港务大道 1 号 3 号仓 / Warehouse 3, 1 Gangwu Avenue, Baqiao, Xi'an",
            contact="李强 Li Qiang · +86 29 8336 0000",
        ),
        notify=PartyView(
            role="NOTIFY",
            name="陕西长安国际货运代理有限公司 Shaanxi Chang'an International Forwarding",
            address="西安市未央区凤城八路 166 号",
            contact="ops@changan-fwd.example",
        ),
        cargo_lines=[
            CargoLineView(
                description="汽车零部件 Automotive parts (brake assemblies)",
                hs_code="8708.30",
                packages=120,
                package_type="CT",
                gross_weight_kg=Decimal("8450.5"),
                volume_m3=Decimal("32.400"),
                marks="HD/XIY/001-120",
            ),
            CargoLineView(
                description="车用汽油（试验样品）Motor spirit, test samples",
                hs_code="2710.12",
                packages=40,
                package_type="DRUMS",
                gross_weight_kg=Decimal("6800"),
                volume_m3=Decimal("9.6"),
                marks="HD/XIY/DG 1-40",
                un_number="UN1203",
                dg_class="3",
                packing_group="II",
            ),
            CargoLineView(
                description="陶瓷餐具 Ceramic tableware",
                hs_code="6911.10",
                packages=60,
                package_type="CT",
                gross_weight_kg=Decimal("1320.25"),
                volume_m3=None,
                marks=None,
            ),
        ],
        equipment=[
            EquipmentView("CSNU6184055", "45G1 (40' HC)", ["CN1234567", "NB998877"]),
            EquipmentView("TGHU8831651", "22G1 (20' GP)", ["CN1234568"]),
        ],
        legs=[
            LegView(
                seq=1,
                mode="VESSEL",
                carrier_name="中远海运集装箱运输 COSCO Shipping Lines",
                vehicle="MV COSCO SHIPPING ARIES / voy 045E",
                from_name="宁波舟山港 Ningbo-Zhoushan Port",
                from_unlocode="CNNGB",
                to_name="青岛港 Qingdao Port",
                to_unlocode="CNTAO",
                planned_departure=datetime(2025, 3, 2, 10, 0, tzinfo=UTC),
                planned_arrival=datetime(2025, 3, 4, 6, 0, tzinfo=UTC),
                status="COMPLETED",
            ),
            LegView(
                seq=2,
                mode="RAIL",
                carrier_name="中铁集装箱运输 China Railway Container Transport",
                vehicle="X9001",
                from_name="青岛港 Qingdao Port",
                from_unlocode="CNTAO",
                to_name="西安国际港站 Xi'an International Port Station",
                to_unlocode="CNXIY",
                planned_departure=datetime(2025, 3, 4, 14, 0, tzinfo=UTC),
                planned_arrival=datetime(2025, 3, 6, 2, 0, tzinfo=UTC),
                status="IN_TRANSIT",
            ),
            LegView(
                seq=3,
                mode="TRUCK",
                carrier_name="陕西秦运物流 Shaanxi Qinyun Logistics",
                vehicle="陕A·12345",
                from_name="西安国际港站 Xi'an International Port Station",
                from_unlocode="CNXIY",
                to_name="西安陆港供应链 3 号仓 Consignee warehouse 3",
                to_unlocode=None,
                planned_departure=datetime(2025, 3, 6, 4, 0, tzinfo=UTC),
                planned_arrival=datetime(2025, 3, 6, 7, 30, tzinfo=UTC),
                status="PLANNED",
            ),
        ],
        tracking_url=TRACKING_URL,
        remarks="远离热源，禁止烟火。Keep away from heat and open flame.",
    )
    return dataclasses.replace(doc, **changes)


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_waybill_pdf(sample_document())


def _text(pdf: bytes, tmp_path: Path, *, page: int | None = None) -> str:
    path = tmp_path / "waybill.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True, check=True)
    return result.stdout.decode()


def _squash(text: str) -> str:
    # Table cells wrap long names over several lines; compare without the whitespace wrapping adds.
    return re.sub(r"\s+", "", text)


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", pdf))


def test_renders_an_a4_pdf(sample_pdf: bytes) -> None:
    assert sample_pdf.startswith(b"%PDF-")
    assert sample_pdf.rstrip().endswith(b"%%EOF")
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in sample_pdf


@needs_pdftotext
def test_text_carries_number_parties_headings_and_dangerous_goods(sample_pdf: bytes, tmp_path: Path) -> None:
    text = _text(sample_pdf, tmp_path)
    flat = _squash(text)
    doc = sample_document()
    assert doc.number in text
    for party in (doc.shipper, doc.consignee):
        assert party is not None
        assert _squash(party.name) in flat
    for heading in ("多式联运电子运单", "托运人", "收货人", "通知方", "货物", "集装箱", "运输路线", "危险品"):
        assert heading in text
    assert "DANGEROUS GOODS" in text
    assert "UN1203" in text
    for mode in ("海运VESSEL", "铁路RAIL", "公路TRUCK"):
        assert mode in flat
    for code in ("CNNGB", "CNTAO", "CNXIY", "CSNU6184055", "陕A·12345", "X9001"):
        assert code in flat
    assert re.search(r"Page\s+1\s+of\s+\d+", text)


@needs_pdftotext
def test_times_are_shown_in_the_named_zone(sample_pdf: bytes, tmp_path: Path) -> None:
    text = _text(sample_pdf, tmp_path)
    assert "Asia/Shanghai (UTC+08:00)" in text
    assert "2025-03-01 10:30" in text  # issued 02:30 UTC
    assert "ETD 2025-03-02 18:00" in text  # vessel departs 10:00 UTC

    utc_text = _text(render_waybill_pdf(sample_document(), tz="UTC"), tmp_path)
    assert "2025-03-01 02:30" in utc_text
    assert "UTC (UTC+00:00)" in utc_text


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        render_waybill_pdf(sample_document(), tz="Mars/Olympus_Mons")


def test_qr_code_encodes_the_tracking_url(sample_pdf: bytes, tmp_path: Path) -> None:
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    if pdftoppm is None or zbarimg is None:
        # Without a decoder, check what the code is drawn from instead of what it looks like.
        widgets = [
            item for item in tracking_qr_drawing(TRACKING_URL).contents if isinstance(item, QrCodeWidget)
        ]
        assert [widget.value for widget in widgets] == [TRACKING_URL]
        return
    (tmp_path / "waybill.pdf").write_bytes(sample_pdf)
    page_one = ["-f", "1", "-l", "1", "-png", "-r", "150"]
    subprocess.run([pdftoppm, *page_one, str(tmp_path / "waybill.pdf"), str(tmp_path / "p")], check=True)
    image = next(tmp_path.glob("p*.png"))
    found = subprocess.run([zbarimg, "-q", str(image)], capture_output=True, check=True).stdout.decode()
    symbols = dict(line.split(":", 1) for line in found.splitlines() if ":" in line)
    assert symbols.get("QR-Code") == TRACKING_URL
    assert symbols.get("CODE-128") == "YD250301000127"


def test_long_cargo_list_flows_onto_more_pages_with_header_repeated(tmp_path: Path) -> None:
    lines = [
        CargoLineView(
            f"机械零件 Machine parts lot {i:03d}", "8483.40", 10 + i, "CT", 250 + i, Decimal("1.2"), f"M{i}"
        )
        for i in range(1, 121)
    ]
    pdf = render_waybill_pdf(sample_document(cargo_lines=lines))
    pages = _page_count(pdf)
    assert pages > 1
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils): page contents not checked")
    second = _text(pdf, tmp_path, page=2)
    assert "货物描述" in second
    assert "Description" in second
    assert re.search(rf"Page\s+2\s+of\s+{pages}", second)
    everything = _text(pdf, tmp_path)
    assert "Machine parts lot 120" in everything
    assert "dangerous goods" not in everything.lower()


def test_hostile_text_is_printed_literally_and_never_crashes(tmp_path: Path) -> None:
    long_word = "W" * 500
    hostile = PartyView(
        role="SHIPPER",
        name="<b>&</b> Ltd <para> &amp; 🚢📦 \x00\x07\ud800 \u202eevil",
        address=f"{long_word} {'长' * 400}",
        contact='"quoted" <script>alert(1)</script> &#x41;',
    )
    doc = sample_document(
        number="YD<&>",
        shipper=hostile,
        notify=None,
        remarks="👍" * 50 + "\n" + "备注" * 3000,
        tracking_url='https://track.yidan.example/t/"><x>&y=1',
        cargo_lines=[
            CargoLineView(long_word, None, 1, "<pkg>", 1.5, None, "&&&", "1203", "3", "II"),
            CargoLineView("x" * 12000, "&", 0, "", Decimal("NaN"), Decimal("Infinity")),
        ],
        equipment=[],
        legs=[],
    )
    pdf = render_waybill_pdf(doc)
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdftotext") is not None:
        text = _text(pdf, tmp_path)
        assert "<b>&</b> Ltd <para> &amp;" in text
        assert "<script>alert(1)</script> &#x41;" in text
        assert "YD<&>" in text
        assert text.count("W") >= 3 * 500  # address, cargo line and DG line, wrapped but whole


@needs_pdftotext
def test_chinese_renders_with_the_built_in_cid_font(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(documents, "CJK_FONT_PATHS", ())
    documents._cjk_font.cache_clear()
    try:
        pdf = render_waybill_pdf(sample_document())
    finally:
        documents._cjk_font.cache_clear()
    assert b"/STSong-Light" in pdf
    text = _text(pdf, tmp_path)
    assert "托运人" in text
    assert "海运" in text


def test_draft_and_missing_optional_parts_render(tmp_path: Path) -> None:
    doc = sample_document(status="DRAFT", notify=None, remarks=None, equipment=[], legs=[], cargo_lines=[])
    pdf = render_waybill_pdf(doc)
    assert _page_count(pdf) == 1
    if shutil.which("pdftotext") is not None:
        text = _text(pdf, tmp_path)
        assert "DRAFT" in text
        assert "dangerous goods" not in text.lower()


@pytest.mark.skipif(
    not any(Path(path).is_file() for path in documents.CJK_FONT_PATHS),
    reason="no Debian CJK TrueType font installed (e.g. fonts-wqy-zenhei)",
)
def test_installed_cjk_font_is_embedded(sample_pdf: bytes) -> None:
    # Embedded glyphs look the same in every viewer, unlike the CID font each viewer substitutes.
    assert b"/FontFile2" in sample_pdf
    assert b"/STSong-Light" not in sample_pdf
