"""Identifier validators: published examples, every rejection path, and check-character properties."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yidan.waybills import identifiers as ids
from yidan.waybills.identifiers import TypeGroup

# ---- ISO 6346 container numbers ----


def test_iso6346_standard_example() -> None:
    # CSQU 305438 3 is the worked example of ISO 6346 (Annex A): weighted sum 6185, 6185 mod 11 = 3.
    assert ids.iso6346_check_digit("CSQU305438") == 3
    assert ids.validate_container_number("CSQU3054383") == "CSQU3054383"


def test_iso6346_remainder_ten_is_written_as_zero() -> None:
    # C S Q U 1 0 0 0 0 8 -> 13*1 + 30*2 + 28*4 + 32*8 + 1*16 + 8*512 = 4553; 4553 mod 11 = 10 -> 0.
    assert ids.iso6346_check_digit("CSQU100008") == 0
    assert ids.validate_container_number("CSQU1000080") == "CSQU1000080"


@pytest.mark.parametrize("raw", ["csqu3054383", "CSQU 305438 3", "CSQU-305438-3", " CSQU3054383 "])
def test_container_number_is_normalised(raw: str) -> None:
    assert ids.validate_container_number(raw) == "CSQU3054383"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("CSQU305438", "must be 11 characters"),
        ("CSQU30543833", "must be 11 characters"),
        ("C5QU3054383", "owner code 'C5Q' must be 3 letters"),
        ("CSQX3054383", "category identifier 'X' must be U, J or Z"),
        ("CSQU30A4383", "serial number '30A438' must be 6 digits"),
        ("CSQU305438A", "check digit 'A' must be a digit"),
        ("CSQU3054384", "wrong check digit for CSQU305438: got 4, expected 3"),
    ],
)
def test_container_number_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_container_number(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("CSQU30543", "need the 10 characters"),
        ("CS1U305438", "must be 4 letters"),
        ("CSQU3054X8", "6 digits"),
    ],
)
def test_iso6346_check_digit_rejects_bad_input(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.iso6346_check_digit(raw)


def test_container_number_must_be_text() -> None:
    with pytest.raises(ValueError, match="must be text"):
        ids.validate_container_number(3054383)  # type: ignore[arg-type]


owner_codes = st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3)
categories = st.sampled_from("UJZ")
serials = st.integers(min_value=0, max_value=999_999).map(lambda n: f"{n:06d}")


@given(owner=owner_codes, category=categories, serial=serials)
def test_container_number_with_its_check_digit_is_valid(owner: str, category: str, serial: str) -> None:
    base = owner + category + serial
    check = ids.iso6346_check_digit(base)
    assert ids.validate_container_number(f"{base}{check}") == f"{base}{check}"
    for wrong in set(range(10)) - {check}:
        with pytest.raises(ValueError, match="wrong check digit"):
            ids.validate_container_number(f"{base}{wrong}")


# ---- ISO 6346 size/type codes ----


@pytest.mark.parametrize(
    ("code", "length_ft", "teu", "group"),
    [
        ("22G1", 20, 1.0, TypeGroup.GENERAL),
        ("42G1", 40, 2.0, TypeGroup.GENERAL),
        ("45G1", 40, 2.0, TypeGroup.GENERAL),
        ("L5G1", 45, 2.25, TypeGroup.GENERAL),
        ("45R1", 40, 2.0, TypeGroup.REEFER),
        ("22T6", 20, 1.0, TypeGroup.TANK),
        ("22U1", 20, 1.0, TypeGroup.OPEN_TOP),
        ("42P3", 40, 2.0, TypeGroup.FLAT_RACK),
        ("10G1", 10, 0.5, TypeGroup.GENERAL),
    ],
)
def test_size_type_decoding(code: str, length_ft: float, teu: float, group: TypeGroup) -> None:
    described = ids.describe_size_type(code)
    assert described.length_ft == length_ft
    assert described.group is group
    assert ids.teu(code) == teu
    assert ids.validate_size_type(code) == code


def test_size_type_heights_and_description() -> None:
    high_cube = ids.describe_size_type("45G1")
    assert high_cube.height_mm == 2895
    assert "high cube" in high_cube.height
    assert high_cube.description.startswith("40ft, 9ft 6in (high cube) high")
    assert ids.describe_size_type("22G1").height_mm == 2591
    assert ids.describe_size_type("42G1").length_mm == 12192


def test_size_type_is_normalised() -> None:
    assert ids.validate_size_type(" l5g1 ") == "L5G1"


@pytest.mark.parametrize("code", sorted(ids.COMMON_SIZE_TYPES))
def test_every_common_size_type_decodes(code: str) -> None:
    assert ids.validate_size_type(code) == code
    assert ids.teu(code) in (1.0, 2.0, 2.25)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("22G", "must be 4 characters"),
        ("22G11", "must be 4 characters"),
        ("92G1", "unknown length code '9'"),
        ("27G1", "unknown height/width code '7'"),
        ("22X1", "unknown type code 'X1'"),
        ("22G9", "unknown type code 'G9'"),
    ],
)
def test_size_type_rejections(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_size_type(code)


# ---- waybill numbers ----


def test_mod11_2_published_examples() -> None:
    # GB 11643-1999 example resident identity number 11010519491231002X.
    assert ids.iso7064_mod11_2("11010519491231002") == "X"
    # ISO 27729 (ISNI) example 0000 0001 2103 2683.
    assert ids.iso7064_mod11_2("000000012103268") == "3"


@pytest.mark.parametrize("digits", ["", "12a4", "１２３"])
def test_mod11_2_rejects_non_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="digits only"):
        ids.iso7064_mod11_2(digits)


def test_waybill_number_examples() -> None:
    assert ids.make_waybill_number(2026, 123) == "YD2600001234"
    assert ids.make_waybill_number(26, 123) == "YD2600001234"
    assert ids.make_waybill_number(2026, 8) == "YD260000008X"
    # Payload 000000001: only the last digit counts, with weight 2; 2 + 10 = 12 = 1 (mod 11), so X.
    assert ids.make_waybill_number(2000, 1) == "YD000000001X"
    assert ids.waybill_number_parts("YD260000008X") == (26, 8)


@pytest.mark.parametrize("raw", ["yd2600001234", "YD-26-0000123-4", "YD 26 0000123 4", " YD2600001234 "])
def test_waybill_number_is_normalised(raw: str) -> None:
    assert ids.validate_waybill_number(raw) == "YD2600001234"


def test_waybill_check_x_accepted_in_lower_case() -> None:
    assert ids.validate_waybill_number("yd260000008x") == "YD260000008X"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("XX2600001234", "must start with YD"),
        ("YD260000123", "must be 12 characters"),
        ("YD26000012345", "must be 12 characters"),
        ("YD26A0001234", "year and serial '26A000123' .* must be 9 digits"),
        ("YD260000123Y", "check character 'Y' of waybill number must be a digit or X"),
        ("YD2600001235", "wrong check character for YD260000123: got 5, expected 4"),
        ("YD2600000005", "serial 0000000 is never issued"),
    ],
)
def test_waybill_number_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_waybill_number(raw)


@pytest.mark.parametrize(
    ("year", "serial", "message"),
    [
        (1999, 1, "year must be 2000-2099"),
        (100, 1, "year must be 2000-2099"),
        (2100, 1, "year must be 2000-2099"),
        (-1, 1, "year must be 2000-2099"),
        (2026, 0, "serial must be 1-9,999,999"),
        (2026, 10_000_000, "serial must be 1-9,999,999"),
        (True, 1, "year must be an integer"),
        (2026, 1.0, "serial must be an integer"),
    ],
)
def test_make_waybill_number_rejections(year: int, serial: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.make_waybill_number(year, serial)


years = st.integers(min_value=0, max_value=99)
waybill_serials = st.integers(min_value=1, max_value=9_999_999)


@given(year=years, serial=waybill_serials)
def test_waybill_number_round_trip(year: int, serial: int) -> None:
    number = ids.make_waybill_number(year, serial)
    assert len(number) == 12
    assert ids.validate_waybill_number(number) == number
    assert ids.waybill_number_parts(number) == (year, serial)


@given(year=years, serial=waybill_serials, position=st.integers(min_value=2, max_value=11), data=st.data())
def test_waybill_single_character_typo_is_detected(
    year: int, serial: int, position: int, data: st.DataObject
) -> None:
    number = ids.make_waybill_number(year, serial)
    alphabet = string.digits + ("X" if position == 11 else "")
    typo = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    mistyped = number[:position] + typo + number[position + 1 :]
    with pytest.raises(ValueError):
        ids.validate_waybill_number(mistyped)


@given(year=years, serial=waybill_serials, position=st.integers(min_value=2, max_value=10))
def test_waybill_adjacent_transposition_is_detected(year: int, serial: int, position: int) -> None:
    number = ids.make_waybill_number(year, serial)
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(ValueError):
        ids.validate_waybill_number(swapped)


# ---- UN/LOCODE ----


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("CNSHA", "CNSHA"), ("cnngb", "CNNGB"), ("CN TAO", "CNTAO"), (" DEDUI ", "DEDUI"), ("CNA29", "CNA29")],
)
def test_unlocode_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_unlocode(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("CNSH", "must be 5 characters"),
        ("CNSHAX", "must be 5 characters"),
        ("C1SHA", "country 'C1' must be 2 letters"),
        ("CNS0A", "location 'S0A' must be 3 characters A-Z or 2-9"),
        ("CNS1A", "location 'S1A' must be 3 characters A-Z or 2-9"),
        ("CNS-A", "location 'S-A'"),
    ],
)
def test_unlocode_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_unlocode(raw)


# ---- dangerous goods ----


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("UN1203", "UN1203"), ("1203", "UN1203"), ("un 1993", "UN1993"), ("UN-0004", "UN0004")],
)
def test_un_number_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_un_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("UN12", "must be 4 digits"),
        ("UN12034", "must be 4 digits"),
        ("ABCD", "must be 4 digits"),
        ("0000", "UN0000"),
    ],
)
def test_un_number_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_un_number(raw)


DG_CLASSES = ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "2.3", "3", "4.1", "4.2", "4.3"]
DG_CLASSES += ["5.1", "5.2", "6.1", "6.2", "7", "8", "9", "1.1D", "1.4S", "1.3C", "1.5D", "1.6N"]


@pytest.mark.parametrize("valid", DG_CLASSES)
def test_dg_classes_and_divisions(valid: str) -> None:
    assert ids.validate_dg_class(valid) == valid


@pytest.mark.parametrize(("raw", "expected"), [("1.4s", "1.4S"), ("Class 3", "3"), (" 2.1 ", "2.1")])
def test_dg_class_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_dg_class(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1", "class 1 needs a division"),
        ("4", "class 4 needs a division"),
        ("2.4", "there is no division 2.4"),
        ("1.7", "there is no division 1.7"),
        ("3.1", "class 3 has no divisions"),
        ("9A", "class 9 has no divisions"),
        ("0", "there is no class 0"),
        ("10", "must look like"),
        ("1.4A", "division 1.4 has no compatibility group A"),
        ("1.5S", "division 1.5 has no compatibility group S"),
        ("2.1A", "compatibility groups exist only for class 1"),
        ("flammable", "must look like"),
    ],
)
def test_dg_class_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_dg_class(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("I", "I"),
        ("II", "II"),
        ("III", "III"),
        ("1", "I"),
        ("2", "II"),
        ("3", "III"),
        ("pg ii", "II"),
        ("iii", "III"),
    ],
)
def test_packing_group_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_packing_group(raw) == expected


@pytest.mark.parametrize("raw", ["IV", "0", "", "PG"])
def test_packing_group_rejections(raw: str) -> None:
    with pytest.raises(ValueError, match="packing group must be I, II or III"):
        ids.validate_packing_group(raw)


# ---- HS codes ----


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("8471.30", "847130"), ("8471.30.00.00", "8471300000"), ("84713000", "84713000"), ("2710 19", "271019")],
)
def test_hs_code_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_hs_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("84713", "6 to 10 digits"),
        ("84713000001", "6 to 10 digits"),
        ("8471.3A", "must be digits"),
        ("000000", "chapter 00"),
        ("770000", "chapter 77 is reserved"),
    ],
)
def test_hs_code_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_hs_code(raw)


# ---- vessels and vehicles ----


def test_imo_standard_example() -> None:
    # IMO 9074729: 9*7 + 0*6 + 7*5 + 4*4 + 7*3 + 2*2 = 139, last digit 9.
    assert ids.imo_check_digit("907472") == 9
    assert ids.validate_imo("IMO 9074729") == "9074729"
    assert ids.validate_imo("imo9074729") == "9074729"
    assert ids.validate_imo("9074729") == "9074729"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("9074728", "wrong check digit for IMO 907472: got 8, expected 9"),
        ("IMO907472", "must be 7 digits"),
        ("IMO90747290", "must be 7 digits"),
        ("IMO 90A4729", "must be 7 digits"),
    ],
)
def test_imo_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_imo(raw)


def test_imo_check_digit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="first 6 digits"):
        ids.imo_check_digit("90747")


@given(first_six=st.integers(min_value=100_000, max_value=999_999).map(str))
def test_imo_with_its_check_digit_is_valid(first_six: str) -> None:
    number = first_six + str(ids.imo_check_digit(first_six))
    assert ids.validate_imo(number) == number


@pytest.mark.parametrize(("raw", "expected"), [("413000001", "413000001"), (" 413 000 001 ", "413000001")])
def test_mmsi_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_mmsi(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("41300000", "9 digits"),
        ("4130000012", "9 digits"),
        ("41300000A", "9 digits"),
        ("000000000", "not assigned"),
    ],
)
def test_mmsi_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_mmsi(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("浙B·12345", "浙B12345"),
        ("沪a 12345", "沪A12345"),
        ("陕A·D2345", "陕AD2345"),
        ("粤B12345D", "粤B12345D"),
        ("鲁B1234挂", "鲁B1234挂"),
    ],
)
def test_cn_plate_is_normalised(raw: str, expected: str) -> None:
    assert ids.validate_cn_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("AB12345", "must start with a province abbreviation"),
        ("浙B1234", "must have 7 characters"),
        ("浙B123456789", "must have 7 characters"),
        ("浙I12345", "not a valid plate"),
        ("浙BO2345", "not a valid plate"),
        ("浙B123456", "not a valid plate"),
    ],
)
def test_cn_plate_rejections(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ids.validate_cn_plate(raw)
