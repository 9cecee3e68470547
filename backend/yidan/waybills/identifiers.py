"""Identifiers carried on a waybill: pure functions, no I/O.

Every ``validate_*`` function takes what a person or a partner typed, returns the normalised form that is
stored, and raises ``ValueError`` with a message that names what is wrong, so that API errors can be shown
to the user as they are.

Waybill numbers
---------------
``YD`` + ``YY`` + ``NNNNNNN`` + ``C``, 12 characters, e.g. ``YD2600001234`` (2026, serial 123) or
``YD260000008X`` (2026, serial 8):

* ``YD``      -- fixed prefix (Yidan);
* ``YY``      -- the last two digits of the year the number was issued;
* ``NNNNNNN`` -- a 7-digit serial, zero-padded, 0000001-9999999 (unique together with the year);
* ``C``       -- check character over the 9 digits ``YYNNNNNNN`` by ISO/IEC 7064 MOD 11-2, one of
  ``0``-``9`` or ``X`` (for 10).

MOD 11-2 is the algorithm of the check character of the PRC resident identity number (GB 11643), so
Chinese users already know the ``X``. It was chosen over MOD 11-10 and Luhn because it detects every
single-character substitution and every transposition of two adjacent characters (including the check
character itself); MOD 11-10 misses about 2 % of adjacent transpositions and Luhn misses ``09``/``90``.

Input is accepted in upper or lower case with spaces or dashes between groups (``yd-26-0000123-4``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "COMMON_SIZE_TYPES",
    "SizeType",
    "TypeGroup",
    "describe_size_type",
    "imo_check_digit",
    "iso6346_check_digit",
    "iso7064_mod11_2",
    "make_waybill_number",
    "teu",
    "validate_cn_plate",
    "validate_container_number",
    "validate_dg_class",
    "validate_hs_code",
    "validate_imo",
    "validate_mmsi",
    "validate_packing_group",
    "validate_size_type",
    "validate_un_number",
    "validate_unlocode",
    "validate_waybill_number",
    "waybill_number_parts",
]

_SEPARATORS = re.compile(r"[\s\-]+")


def _compact(value: str) -> str:
    """Upper-case with spaces and dashes removed (how codes are written on paper and in EDI)."""
    return _SEPARATORS.sub("", value).upper()


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------------------------------------
# ISO 6346 container numbers
# ---------------------------------------------------------------------------------------------------------

# Letter values start at 10 and skip 11, 22 and 33 (multiples of 11) so that no letter is worth 0 mod 11.
_ISO6346_LETTER_VALUES: dict[str, int] = {}
_value = 10
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if _value % 11 == 0:
        _value += 1
    _ISO6346_LETTER_VALUES[_letter] = _value
    _value += 1
del _value, _letter

_CATEGORY_IDENTIFIERS = {
    "U": "freight container",
    "J": "detachable freight container equipment",
    "Z": "trailer",
}


def iso6346_check_digit(owner_serial: str) -> int:
    """The ISO 6346 check digit of a container number's first 10 characters (owner, category, serial)."""
    text = _compact(_require_str(owner_serial, "owner code and serial"))
    if len(text) != 10:
        raise ValueError(f"need the 10 characters before the check digit (e.g. CSQU305438), got {len(text)}")
    if not text[:4].isascii() or not text[:4].isalpha():
        raise ValueError(f"owner code and category {text[:4]!r} must be 4 letters A-Z")
    if not text[4:].isascii() or not text[4:].isdigit():
        raise ValueError(f"serial number {text[4:]!r} must be 6 digits")
    total = 0
    for position, char in enumerate(text):
        value = _ISO6346_LETTER_VALUES[char] if char.isalpha() else int(char)
        total += value * (1 << position)
    # A remainder of 10 is written as 0; owners avoid serials that produce it, but they exist.
    return total % 11 % 10


def validate_container_number(s: str) -> str:
    """A container number checked against ISO 6346 (owner code, category U/J/Z, serial, check digit)."""
    text = _compact(_require_str(s, "container number"))
    if len(text) != 11:
        raise ValueError(
            f"container number must be 11 characters (4 letters, 6 digits, check digit), got {len(text)}: "
            f"{text!r}"
        )
    owner, category, serial, check = text[:3], text[3], text[4:10], text[10]
    if not (owner.isascii() and owner.isalpha()):
        raise ValueError(f"owner code {owner!r} must be 3 letters A-Z")
    if category not in _CATEGORY_IDENTIFIERS:
        raise ValueError(f"category identifier {category!r} must be U, J or Z")
    if not (serial.isascii() and serial.isdigit()):
        raise ValueError(f"serial number {serial!r} must be 6 digits")
    if not (check.isascii() and check.isdigit()):
        raise ValueError(f"check digit {check!r} must be a digit")
    expected = iso6346_check_digit(text[:10])
    if int(check) != expected:
        raise ValueError(f"wrong check digit for {text[:10]}: got {check}, expected {expected}")
    return text


# ---------------------------------------------------------------------------------------------------------
# ISO 6346 size and type codes (the 1995 four-character codes, e.g. 22G1, 45R1, L5G1)
# ---------------------------------------------------------------------------------------------------------


class TypeGroup(StrEnum):
    """The kind of container a type code describes."""

    GENERAL = "general"
    VENTILATED = "ventilated"
    BULK = "bulk"
    REEFER = "reefer"
    INSULATED = "insulated"
    OPEN_TOP = "open_top"
    PLATFORM = "platform"
    FLAT_RACK = "flat_rack"
    TANK = "tank"
    NAMED_CARGO = "named_cargo"


# First character: length (feet, millimetres).
_LENGTH_CODES: dict[str, tuple[float, int]] = {
    "1": (10, 2991),
    "2": (20, 6058),
    "3": (30, 9125),
    "4": (40, 12192),
    "L": (45, 13716),
    "M": (48, 14630),
}

# Second character: height (text, millimetres or None for "more than"/"at most") and width.
_HEIGHT_CODES: dict[str, tuple[str, int | None, str]] = {
    "0": ("8ft", 2438, "8ft wide"),
    "2": ("8ft 6in", 2591, "8ft wide"),
    "4": ("9ft", 2743, "8ft wide"),
    "5": ("9ft 6in (high cube)", 2895, "8ft wide"),
    "6": ("over 9ft 6in", None, "8ft wide"),
    "8": ("4ft 3in", 1295, "8ft wide"),
    "9": ("4ft or less", None, "8ft wide"),
    "C": ("8ft 6in", 2591, "2438-2500mm wide"),
    "D": ("9ft", 2743, "2438-2500mm wide"),
    "E": ("9ft 6in (high cube)", 2895, "2438-2500mm wide"),
    "F": ("over 9ft 6in", None, "2438-2500mm wide"),
    "L": ("8ft 6in", 2591, "over 2500mm wide"),
    "M": ("9ft", 2743, "over 2500mm wide"),
    "N": ("9ft 6in (high cube)", 2895, "over 2500mm wide"),
    "P": ("over 9ft 6in", None, "over 2500mm wide"),
}

# Third and fourth characters: type group and detailed type.
_TYPE_CODES: dict[str, tuple[TypeGroup, str]] = {
    "G0": (TypeGroup.GENERAL, "general purpose, openings at one or both ends"),
    "G1": (TypeGroup.GENERAL, "general purpose, passive vents at upper part of cargo space"),
    "G2": (TypeGroup.GENERAL, "general purpose, openings at ends and full openings on sides"),
    "G3": (TypeGroup.GENERAL, "general purpose, openings at ends and partial openings on sides"),
    "V0": (TypeGroup.VENTILATED, "ventilated, non-mechanical vents at lower and upper parts"),
    "V2": (TypeGroup.VENTILATED, "ventilated, mechanical system located internally"),
    "V4": (TypeGroup.VENTILATED, "ventilated, mechanical system located externally"),
    "B0": (TypeGroup.BULK, "dry bulk, closed"),
    "B1": (TypeGroup.BULK, "dry bulk, airtight"),
    "B3": (TypeGroup.BULK, "dry bulk, horizontal discharge, test pressure 1.5 bar"),
    "B4": (TypeGroup.BULK, "dry bulk, horizontal discharge, test pressure 2.65 bar"),
    "B5": (TypeGroup.BULK, "dry bulk, tipping discharge, test pressure 1.5 bar"),
    "B6": (TypeGroup.BULK, "dry bulk, tipping discharge, test pressure 2.65 bar"),
    "R0": (TypeGroup.REEFER, "refrigerated, mechanically"),
    "R1": (TypeGroup.REEFER, "refrigerated and heated, mechanically"),
    "R2": (TypeGroup.REEFER, "refrigerated, self-powered"),
    "R3": (TypeGroup.REEFER, "refrigerated and heated, self-powered"),
    "H0": (TypeGroup.INSULATED, "thermal, removable equipment located externally"),
    "H1": (TypeGroup.INSULATED, "thermal, removable equipment located internally"),
    "H2": (TypeGroup.INSULATED, "thermal, removable equipment located externally, higher heat transfer"),
    "H5": (TypeGroup.INSULATED, "insulated"),
    "H6": (TypeGroup.INSULATED, "insulated, higher heat transfer"),
    "U0": (TypeGroup.OPEN_TOP, "open top, openings at one or both ends"),
    "U1": (TypeGroup.OPEN_TOP, "open top, removable top members in end frames"),
    "U2": (TypeGroup.OPEN_TOP, "open top, openings at sides and ends"),
    "U3": (TypeGroup.OPEN_TOP, "open top, openings at sides and ends, removable top members"),
    "U4": (TypeGroup.OPEN_TOP, "open top, openings at sides, partial and full openings at ends"),
    "U5": (TypeGroup.OPEN_TOP, "open top, complete fixed side and end walls"),
    "P0": (TypeGroup.PLATFORM, "platform (flat), plain"),
    "P1": (TypeGroup.FLAT_RACK, "flat rack, two complete fixed ends"),
    "P2": (TypeGroup.FLAT_RACK, "flat rack, fixed posts"),
    "P3": (TypeGroup.FLAT_RACK, "flat rack, folding complete end structure"),
    "P4": (TypeGroup.FLAT_RACK, "flat rack, folding posts"),
    "P5": (TypeGroup.PLATFORM, "platform, open top and open ends (skeletal)"),
    "T0": (TypeGroup.TANK, "tank for non-dangerous liquids, test pressure 0.45 bar"),
    "T1": (TypeGroup.TANK, "tank for non-dangerous liquids, test pressure 1.5 bar"),
    "T2": (TypeGroup.TANK, "tank for non-dangerous liquids, test pressure 2.65 bar"),
    "T3": (TypeGroup.TANK, "tank for dangerous liquids, test pressure 1.5 bar"),
    "T4": (TypeGroup.TANK, "tank for dangerous liquids, test pressure 2.65 bar"),
    "T5": (TypeGroup.TANK, "tank for dangerous liquids, test pressure 4 bar"),
    "T6": (TypeGroup.TANK, "tank for dangerous liquids, test pressure 6 bar"),
    "T7": (TypeGroup.TANK, "tank for gases, test pressure 9.1 bar"),
    "T8": (TypeGroup.TANK, "tank for gases, test pressure 22 bar"),
    "T9": (TypeGroup.TANK, "tank for gases, test pressure to be decided"),
    "S0": (TypeGroup.NAMED_CARGO, "named cargo, livestock carrier"),
    "S1": (TypeGroup.NAMED_CARGO, "named cargo, automobile carrier"),
    "S2": (TypeGroup.NAMED_CARGO, "named cargo, live fish carrier"),
}

#: The size/type codes seen every day on Chinese sea and rail legs, with how people call them.
COMMON_SIZE_TYPES: dict[str, str] = {
    "22G1": "20ft general purpose (20GP)",
    "22G0": "20ft general purpose, no vents",
    "25G1": "20ft high cube",
    "42G1": "40ft general purpose (40GP)",
    "42G0": "40ft general purpose, no vents",
    "45G1": "40ft high cube (40HC)",
    "L5G1": "45ft high cube (45HC)",
    "22R1": "20ft reefer (20RF)",
    "42R1": "40ft reefer, standard height",
    "45R1": "40ft high cube reefer (40RH)",
    "L5R1": "45ft high cube reefer",
    "22U1": "20ft open top (20OT)",
    "42U1": "40ft open top (40OT)",
    "45U1": "40ft high cube open top",
    "22P1": "20ft flat rack, fixed ends",
    "22P3": "20ft flat rack, collapsible ends (20FR)",
    "42P1": "40ft flat rack, fixed ends",
    "42P3": "40ft flat rack, collapsible ends (40FR)",
    "45P3": "40ft high cube flat rack, collapsible ends",
    "22T0": "20ft tank, non-dangerous liquids",
    "22T6": "20ft tank, dangerous liquids (ISO tank)",
    "22T7": "20ft tank, gases",
    "22V0": "20ft ventilated",
    "22B0": "20ft dry bulk",
    "22H5": "20ft insulated",
}


@dataclass(frozen=True, slots=True)
class SizeType:
    """What an ISO 6346 size/type code says about a container."""

    code: str
    length_ft: float
    length_mm: int
    height: str
    height_mm: int | None
    width: str
    group: TypeGroup
    type_description: str

    @property
    def description(self) -> str:
        """A one-line description, e.g. ``40ft, 9ft 6in (high cube) high, general purpose, ...``."""
        length = f"{self.length_ft:g}ft"
        return f"{length}, {self.height} high, {self.width}, {self.type_description}"


def describe_size_type(code: str) -> SizeType:
    """Decode an ISO 6346 size/type code (length, height, width, type group) or raise ValueError."""
    text = _compact(_require_str(code, "size/type code"))
    if len(text) != 4:
        raise ValueError(f"size/type code must be 4 characters (e.g. 22G1, 45G1, L5G1), got {text!r}")
    if text[0] not in _LENGTH_CODES:
        allowed = ", ".join(sorted(_LENGTH_CODES))
        raise ValueError(f"unknown length code {text[0]!r} in {text}; known: {allowed}")
    if text[1] not in _HEIGHT_CODES:
        allowed = ", ".join(sorted(_HEIGHT_CODES))
        raise ValueError(f"unknown height/width code {text[1]!r} in {text}; known: {allowed}")
    if text[2:] not in _TYPE_CODES:
        raise ValueError(f"unknown type code {text[2:]!r} in {text} (e.g. G1 general, R1 reefer, T6 tank)")
    length_ft, length_mm = _LENGTH_CODES[text[0]]
    height, height_mm, width = _HEIGHT_CODES[text[1]]
    group, type_description = _TYPE_CODES[text[2:]]
    return SizeType(text, length_ft, length_mm, height, height_mm, width, group, type_description)


def validate_size_type(code: str) -> str:
    """An ISO 6346 size/type code, normalised to upper case, e.g. ``45g1`` -> ``45G1``."""
    return describe_size_type(code).code


def teu(code: str) -> float:
    """Twenty-foot equivalent units of a size/type code: length in feet / 20 (a 45ft box is 2.25)."""
    return describe_size_type(code).length_ft / 20


# ---------------------------------------------------------------------------------------------------------
# Waybill numbers
# ---------------------------------------------------------------------------------------------------------

_WAYBILL_PREFIX = "YD"
_WAYBILL_SERIAL_MAX = 9_999_999
_WAYBILL_PATTERN = re.compile(r"YD(\d{2})(\d{7})([0-9X])")


def iso7064_mod11_2(digits: str) -> str:
    """The ISO/IEC 7064 MOD 11-2 check character ('0'-'9' or 'X') of a string of digits."""
    text = _require_str(digits, "digits")
    if not text or not (text.isascii() and text.isdigit()):
        raise ValueError(f"MOD 11-2 works on digits only, got {text!r}")
    remainder = 0
    for char in text:
        remainder = (remainder + int(char)) * 2 % 11
    check = (12 - remainder) % 11
    return "X" if check == 10 else str(check)


def make_waybill_number(year: int, serial: int) -> str:
    """A waybill number for a year (2026 or 26) and serial: ``YD`` + ``YY`` + 7 digits + MOD 11-2 check."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise ValueError(f"year must be an integer, got {year!r}")
    if isinstance(serial, bool) or not isinstance(serial, int):
        raise ValueError(f"serial must be an integer, got {serial!r}")
    if 2000 <= year <= 2099:
        yy = year - 2000
    elif 0 <= year <= 99:
        yy = year
    else:
        raise ValueError(f"year must be 2000-2099 or its last two digits 0-99, got {year}")
    if not 1 <= serial <= _WAYBILL_SERIAL_MAX:
        raise ValueError(f"serial must be 1-{_WAYBILL_SERIAL_MAX:,} (7 digits), got {serial}")
    payload = f"{yy:02d}{serial:07d}"
    return f"{_WAYBILL_PREFIX}{payload}{iso7064_mod11_2(payload)}"


def validate_waybill_number(s: str) -> str:
    """A waybill number checked for format and MOD 11-2 check character, normalised (``YD260000123X``)."""
    text = _compact(_require_str(s, "waybill number"))
    if not text.startswith(_WAYBILL_PREFIX):
        raise ValueError(f"waybill number must start with {_WAYBILL_PREFIX}, got {text!r}")
    if len(text) != 12:
        raise ValueError(
            f"waybill number must be 12 characters (YD, year, 7-digit serial, check), got {len(text)}: "
            f"{text!r}"
        )
    match = _WAYBILL_PATTERN.fullmatch(text)
    if match is None:
        body, check = text[2:11], text[11]
        if not (body.isascii() and body.isdigit()):
            raise ValueError(f"year and serial {body!r} of waybill number must be 9 digits")
        raise ValueError(f"check character {check!r} of waybill number must be a digit or X")
    yy, serial, check = match.groups()
    if int(serial) == 0:
        raise ValueError("waybill serial 0000000 is never issued")
    expected = iso7064_mod11_2(yy + serial)
    if check != expected:
        raise ValueError(f"wrong check character for {text[:11]}: got {check}, expected {expected}")
    return text


def waybill_number_parts(s: str) -> tuple[int, int]:
    """The (two-digit year, serial) of a valid waybill number."""
    text = validate_waybill_number(s)
    return int(text[2:4]), int(text[4:11])


# ---------------------------------------------------------------------------------------------------------
# Places, dangerous goods, customs
# ---------------------------------------------------------------------------------------------------------

_UNLOCODE_PATTERN = re.compile(r"[A-Z]{2}[A-Z2-9]{3}")


def validate_unlocode(s: str) -> str:
    """A UN/LOCODE (2-letter country + 3 characters A-Z or 2-9), normalised: ``cn sha`` -> ``CNSHA``."""
    text = _require_str(s, "UN/LOCODE").strip().upper()
    # The official list prints a space between country and place ("CN SHA").
    if len(text) == 6 and text[2] == " ":
        text = text[:2] + text[3:]
    if len(text) != 5:
        raise ValueError(f"UN/LOCODE must be 5 characters (country + 3), got {len(text)}: {text!r}")
    if not (text[:2].isascii() and text[:2].isalpha()):
        raise ValueError(f"UN/LOCODE country {text[:2]!r} must be 2 letters A-Z")
    if not _UNLOCODE_PATTERN.fullmatch(text):
        raise ValueError(
            f"UN/LOCODE location {text[2:]!r} must be 3 characters A-Z or 2-9 (0 and 1 are not used)"
        )
    return text


def validate_un_number(s: str) -> str:
    """A UN number of dangerous goods, normalised to ``UN`` + 4 digits: ``1203`` -> ``UN1203``."""
    text = _compact(_require_str(s, "UN number"))
    if text.startswith("UN"):
        text = text[2:]
    if len(text) != 4 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"UN number must be 4 digits, optionally after UN (e.g. UN1203), got {s!r}")
    if text == "0000":
        raise ValueError("UN0000 is not a UN number")
    return f"UN{text}"


# Class 1 divisions with their allowed compatibility groups (UN Model Regulations 2.1.2; 35 codes).
_EXPLOSIVE_COMPATIBILITY: dict[str, str] = {
    "1.1": "ABCDEFGJL",
    "1.2": "BCDEFGHJKL",
    "1.3": "CFGHJKL",
    "1.4": "BCDEFGS",
    "1.5": "D",
    "1.6": "N",
}
_DIVISIONS: dict[str, tuple[str, ...]] = {
    "1": tuple(_EXPLOSIVE_COMPATIBILITY),
    "2": ("2.1", "2.2", "2.3"),
    "4": ("4.1", "4.2", "4.3"),
    "5": ("5.1", "5.2"),
    "6": ("6.1", "6.2"),
}
_CLASSES_WITHOUT_DIVISION = ("3", "7", "8", "9")
_DG_CLASS_PATTERN = re.compile(r"(\d)(?:\.(\d))?([A-Z])?")


def validate_dg_class(s: str) -> str:
    """A dangerous-goods class or division (3, 2.1, 1.4S, ...), normalised: ``1.4s`` -> ``1.4S``."""
    text = _compact(_require_str(s, "dangerous-goods class"))
    text = text.removeprefix("CLASS")
    match = _DG_CLASS_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"dangerous-goods class must look like 3, 2.1 or 1.4S, got {s!r}")
    klass, division, group = match.groups()
    if klass in _CLASSES_WITHOUT_DIVISION:
        if division is not None or group is not None:
            raise ValueError(f"class {klass} has no divisions or compatibility groups, got {text!r}")
        return klass
    if klass not in _DIVISIONS:
        raise ValueError(f"there is no class {klass}; classes are 1 to 9")
    allowed = _DIVISIONS[klass]
    if division is None:
        raise ValueError(f"class {klass} needs a division: one of {', '.join(allowed)}")
    name = f"{klass}.{division}"
    if name not in allowed:
        raise ValueError(f"there is no division {name}; class {klass} has {', '.join(allowed)}")
    if group is not None:
        if klass != "1":
            raise ValueError(f"compatibility groups exist only for class 1, got {text!r}")
        if group not in _EXPLOSIVE_COMPATIBILITY[name]:
            groups = ", ".join(_EXPLOSIVE_COMPATIBILITY[name])
            raise ValueError(f"division {name} has no compatibility group {group}; allowed: {groups}")
        return name + group
    return name


_PACKING_GROUPS = {"I": "I", "II": "II", "III": "III", "1": "I", "2": "II", "3": "III"}


def validate_packing_group(s: str) -> str:
    """A packing group (great, medium, minor danger), normalised to ``I``, ``II`` or ``III``."""
    text = _compact(_require_str(s, "packing group")).removeprefix("PG")
    if text not in _PACKING_GROUPS:
        raise ValueError(f"packing group must be I, II or III, got {s!r}")
    return _PACKING_GROUPS[text]


def validate_hs_code(s: str) -> str:
    """A Harmonized System code of 6 to 10 digits, dots and spaces removed: ``8471.30`` -> ``847130``."""
    text = re.sub(r"[\s.\-]+", "", _require_str(s, "HS code"))
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"HS code must be digits (dots allowed between groups), got {s!r}")
    if not 6 <= len(text) <= 10:
        raise ValueError(f"HS code must have 6 to 10 digits, got {len(text)}: {text!r}")
    chapter = text[:2]
    if chapter == "00":
        raise ValueError(f"HS chapter 00 does not exist ({text})")
    if chapter == "77":
        raise ValueError(f"HS chapter 77 is reserved and holds no goods ({text})")
    return text


# ---------------------------------------------------------------------------------------------------------
# Vessels and vehicles
# ---------------------------------------------------------------------------------------------------------


def imo_check_digit(first_six: str) -> int:
    """The IMO ship identification number check digit: digits weighted 7..2, sum mod 10."""
    text = _require_str(first_six, "IMO number digits").strip()
    if len(text) != 6 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"need the first 6 digits of an IMO number, got {text!r}")
    return sum(int(d) * w for d, w in zip(text, range(7, 1, -1), strict=True)) % 10


def validate_imo(s: str) -> str:
    """An IMO ship number with its check digit verified, as 7 digits: ``IMO 9074729`` -> ``9074729``."""
    text = _compact(_require_str(s, "IMO number")).removeprefix("IMO")
    if len(text) != 7 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"IMO number must be 7 digits, optionally after IMO, got {s!r}")
    expected = imo_check_digit(text[:6])
    if int(text[6]) != expected:
        raise ValueError(f"wrong check digit for IMO {text[:6]}: got {text[6]}, expected {expected}")
    return text


def validate_mmsi(s: str) -> str:
    """A Maritime Mobile Service Identity: exactly 9 digits (spaces removed)."""
    text = _compact(_require_str(s, "MMSI"))
    if len(text) != 9 or not (text.isascii() and text.isdigit()):
        raise ValueError(f"MMSI must be 9 digits, got {s!r}")
    if text == "000000000":
        raise ValueError("MMSI 000000000 is not assigned to any station")
    return text


# One-character abbreviations of the provincial-level divisions on PRC number plates (GA 36).
_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Plates never use I or O, which read as 1 and 0.
_PLATE_LETTER = "A-HJ-NP-Z"
_PLATE_PATTERNS = (
    # Ordinary plates (blue, yellow truck, trailer ending in 挂): province, issuer letter, 5 more.
    re.compile(rf"[{_PLATE_PROVINCES}][{_PLATE_LETTER}][{_PLATE_LETTER}0-9]{{4}}[{_PLATE_LETTER}0-9挂]"),
    # New-energy plates: 6 characters after the issuer letter, D (battery) or F (hybrid) first or last.
    re.compile(rf"[{_PLATE_PROVINCES}][{_PLATE_LETTER}](?:[DF][{_PLATE_LETTER}0-9]\d{{4}}|\d{{5}}[DF])"),
)


def validate_cn_plate(s: str) -> str:
    """A PRC vehicle number plate, normalised without separators: ``浙B·12345`` -> ``浙B12345``."""
    text = re.sub(r"[\s\-·•.]+", "", _require_str(s, "number plate")).upper()
    if not text:
        raise ValueError("number plate is empty")
    if text[0] not in _PLATE_PROVINCES:
        raise ValueError(f"number plate must start with a province abbreviation such as 浙 or 沪, got {s!r}")
    if len(text) not in (7, 8):
        raise ValueError(
            f"number plate must have 7 characters (8 for new-energy plates), got {len(text)}: {text!r}"
        )
    if not any(pattern.fullmatch(text) for pattern in _PLATE_PATTERNS):
        raise ValueError(
            f"{text!r} is not a valid plate: after the province come letters/digits without I or O"
        )
    return text
