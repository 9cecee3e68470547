"""The waybill and leg state machines and the DCSA event vocabulary."""

from __future__ import annotations

from enum import StrEnum

from yidan.core.errors import IllegalTransition


class WaybillStatus(StrEnum):
    """Where a waybill is in its life."""

    DRAFT = "draft"
    BOOKED = "booked"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class LegStatus(StrEnum):
    """Where a leg is."""

    PLANNED = "planned"
    DEPARTED = "departed"
    ARRIVED = "arrived"


class Mode(StrEnum):
    """Transport mode of a leg (DCSA modeOfTransport)."""

    VESSEL = "VESSEL"
    RAIL = "RAIL"
    TRUCK = "TRUCK"
    BARGE = "BARGE"


class EventType(StrEnum):
    """DCSA event type."""

    TRANSPORT = "TRANSPORT"
    EQUIPMENT = "EQUIPMENT"
    SHIPMENT = "SHIPMENT"


class Classifier(StrEnum):
    """DCSA event classifier: planned, estimated, actual."""

    PLN = "PLN"
    EST = "EST"
    ACT = "ACT"


# DCSA Track & Trace 2.2 codes per event type.
EVENT_CODES: dict[EventType, frozenset[str]] = {
    EventType.TRANSPORT: frozenset({"ARRI", "DEPA"}),
    EventType.EQUIPMENT: frozenset(
        {"LOAD", "DISC", "GTIN", "GTOT", "STUF", "STRP", "PICK", "DROP", "INSP", "RSEA", "RMVD"}
    ),
    EventType.SHIPMENT: frozenset(
        {
            "RECE",
            "DRFT",
            "PENA",
            "PENU",
            "REJE",
            "APPR",
            "ISSU",
            "SURR",
            "SUBM",
            "VOID",
            "CONF",
            "REQS",
            "CMPL",
            "HOLD",
            "RELS",
        }
    ),
}

# Who moves a waybill along which edge: the owner (shipper side), a carrier of the route, or the system
# (automatic, from actual transport events).
WAYBILL_TRANSITIONS: dict[tuple[WaybillStatus, WaybillStatus], frozenset[str]] = {
    (WaybillStatus.DRAFT, WaybillStatus.BOOKED): frozenset({"owner"}),
    (WaybillStatus.DRAFT, WaybillStatus.CANCELLED): frozenset({"owner"}),
    (WaybillStatus.BOOKED, WaybillStatus.CANCELLED): frozenset({"owner"}),
    (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT): frozenset({"carrier", "system"}),
    (WaybillStatus.IN_TRANSIT, WaybillStatus.DELIVERED): frozenset({"carrier", "system"}),
    (WaybillStatus.DELIVERED, WaybillStatus.CLOSED): frozenset({"owner", "consignee"}),
}

LEG_TRANSITIONS: dict[tuple[LegStatus, LegStatus], str] = {
    (LegStatus.PLANNED, LegStatus.DEPARTED): "DEPA",
    (LegStatus.DEPARTED, LegStatus.ARRIVED): "ARRI",
}


def allowed_next(status: WaybillStatus) -> list[WaybillStatus]:
    """The statuses a waybill may move to from status."""
    return [to for (frm, to) in WAYBILL_TRANSITIONS if frm is status]


def check_waybill_transition(number: str, frm: WaybillStatus, to: WaybillStatus) -> frozenset[str]:
    """The parties that may make this move; IllegalTransition when the machine has no such edge."""
    actors = WAYBILL_TRANSITIONS.get((frm, to))
    if actors is None:
        nxt = ", ".join(s.value for s in allowed_next(frm)) or "none (final state)"
        raise IllegalTransition(
            f"waybill {number} cannot move from {frm.value} to {to.value}; allowed from {frm.value}: {nxt}"
        )
    return actors


def check_leg_transition(number: str, seq: int, frm: LegStatus, to: LegStatus) -> None:
    """IllegalTransition unless a leg may move from frm to to."""
    if (frm, to) not in LEG_TRANSITIONS:
        raise IllegalTransition(
            f"leg {seq} of waybill {number} cannot move from {frm.value} to {to.value}",
            code="illegal_leg_transition",
        )


def leg_status_after(code: str) -> LegStatus | None:
    """The leg status an actual transport event with this code leads to."""
    return {"DEPA": LegStatus.DEPARTED, "ARRI": LegStatus.ARRIVED}.get(code)
