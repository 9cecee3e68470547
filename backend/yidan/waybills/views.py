"""Turning loaded waybills into API output (names of places and carriers fetched in one query each)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.errors import NotFound
from yidan.core.security import constant_time_equal, sign
from yidan.identity.models import Organisation
from yidan.identity.principal import Principal
from yidan.locations.models import Location
from yidan.waybills import service
from yidan.waybills.documents import CargoLineView, EquipmentView, LegView, PartyView, WaybillDocument
from yidan.waybills.models import Event, Leg, Waybill
from yidan.waybills.schemas import (
    CargoLineOut,
    CarrierOut,
    EquipmentOut,
    EtaOut,
    EventOut,
    LegOut,
    PartyOut,
    PlaceOut,
    PublicEventOut,
    PublicLegOut,
    PublicTrackingOut,
    VehicleOut,
    WaybillOut,
    WaybillSummaryOut,
)


def tracking_key(secret: str, number: str) -> str:
    """The key that makes a public tracking link unguessable for one waybill."""
    return sign(secret, f"track:{number}")


def tracking_url(base_url: str, secret: str, number: str) -> str:
    """The public tracking page of a waybill (what the e-waybill's QR code links to)."""
    return f"{base_url.rstrip('/')}/track/{number}?k={tracking_key(secret, number)}"


async def _places(session: AsyncSession, codes: Iterable[str | None]) -> dict[str, Location]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    return {
        p.unlocode: p for p in await session.scalars(select(Location).where(Location.unlocode.in_(wanted)))
    }


async def _orgs(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Organisation]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {o.id: o for o in await session.scalars(select(Organisation).where(Organisation.id.in_(wanted)))}


def _place(places: dict[str, Location], code: str | None) -> PlaceOut | None:
    if not code:
        return None
    p = places.get(code)
    if p is None:
        return PlaceOut(unlocode=code, name=code)
    return PlaceOut(unlocode=p.unlocode, name=p.name, name_zh=p.name_zh, lat=p.lat, lon=p.lon)


def _leg_out(
    leg: Leg,
    places: dict[str, Location],
    orgs: dict[uuid.UUID, Organisation],
    estimates: dict[uuid.UUID, Event] | None = None,
) -> LegOut:
    estimate = (estimates or {}).get(leg.id)
    carrier = orgs.get(leg.carrier_org_id)
    return LegOut(
        seq=leg.seq,
        mode=leg.mode,
        status=leg.status,
        carrier=CarrierOut(id=leg.carrier_org_id, name=carrier.name if carrier else "?"),
        vehicle=VehicleOut(
            vessel_name=leg.vessel_name,
            imo=leg.imo,
            mmsi=leg.mmsi,
            voyage=leg.voyage,
            train_number=leg.train_number,
            truck_plate=leg.truck_plate,
        ),
        from_location=_place(places, leg.from_unlocode) or PlaceOut(unlocode=leg.from_unlocode, name=""),
        to_location=_place(places, leg.to_unlocode) or PlaceOut(unlocode=leg.to_unlocode, name=""),
        from_terminal=leg.from_terminal,
        to_terminal=leg.to_terminal,
        from_address=leg.from_address,
        to_address=leg.to_address,
        planned_departure=leg.planned_departure,
        planned_arrival=leg.planned_arrival,
        estimated_departure=leg.estimated_departure,
        estimated_arrival=leg.estimated_arrival,
        actual_departure=leg.actual_departure,
        actual_arrival=leg.actual_arrival,
        eta_confidence=service.estimate_confidence(estimate) if leg.actual_arrival is None else None,
    )


def waybill_eta(legs: Sequence[Leg], estimates: dict[uuid.UUID, Event]) -> EtaOut | None:
    """The final leg's latest tracking estimate of arrival, or None (none, manual, or already arrived)."""
    if not legs or legs[-1].actual_arrival is not None:
        return None
    estimate = estimates.get(legs[-1].id)
    confidence = service.estimate_confidence(estimate)
    if estimate is None or confidence is None:
        return None
    return EtaOut(arrival=estimate.event_time, confidence=confidence, computed_at=estimate.recorded_at)


def _event_out(ev: Event, legs: dict[uuid.UUID, Leg], places: dict[str, Location]) -> EventOut:
    return EventOut(
        id=ev.id,
        event_type=ev.event_type,
        event_code=ev.event_code,
        classifier=ev.classifier,
        event_time=ev.event_time,
        recorded_at=ev.recorded_at,
        leg_seq=legs[ev.leg_id].seq if ev.leg_id and ev.leg_id in legs else None,
        location=_place(places, ev.unlocode),
        terminal_code=ev.terminal_code,
        container_number=ev.container_number,
        description=ev.description,
        source=ev.source,
        supersedes=ev.supersedes_id,
    )


async def waybill_out(
    session: AsyncSession, principal: Principal, waybill: Waybill, *, base_url: str, secret: str
) -> WaybillOut:
    """The whole waybill as the caller sees it."""
    events = (await service.events_for(session, [waybill.id]))[waybill.id]
    places = await _places(
        session,
        [c for leg in waybill.legs for c in (leg.from_unlocode, leg.to_unlocode)]
        + [e.unlocode for e in events],
    )
    orgs = await _orgs(session, [leg.carrier_org_id for leg in waybill.legs])
    legs_by_id = {leg.id: leg for leg in waybill.legs}
    estimates = service.latest_arrival_estimates(events)
    rel = service.relations(principal, waybill)
    return WaybillOut(
        number=waybill.number,
        reference=waybill.reference,
        status=waybill.status,
        created_at=waybill.created_at,
        updated_at=waybill.updated_at,
        remarks=waybill.remarks,
        dangerous_goods=service.has_dangerous_goods(waybill),
        parties=[
            PartyOut(
                role=p.role,
                name=p.name,
                address=p.address,
                contact=p.contact,  # type: ignore[arg-type]
                organisation_id=p.org_id,
            )
            for p in waybill.parties
        ],
        cargo_lines=[CargoLineOut.model_validate(c) for c in waybill.cargo_lines],
        equipment=[EquipmentOut.model_validate(e) for e in waybill.equipment],
        legs=[_leg_out(leg, places, orgs, estimates) for leg in waybill.legs],
        events=[_event_out(e, legs_by_id, places) for e in events],
        eta=waybill_eta(waybill.legs, estimates),
        allowed_transitions=service.transitions_for(principal, waybill),
        tracking_url=tracking_url(base_url, secret, waybill.number) if rel & {"owner", "consignee"} else None,
    )


async def summaries(session: AsyncSession, waybills: Sequence[Waybill]) -> list[WaybillSummaryOut]:
    """List rows for waybills loaded with parties, legs and cargo lines."""
    places = await _places(
        session, [c for w in waybills for leg in w.legs for c in (leg.from_unlocode, leg.to_unlocode)]
    )
    out = []
    for w in waybills:
        shipper, consignee = service.party(w, "shipper"), service.party(w, "consignee")
        out.append(
            WaybillSummaryOut(
                number=w.number,
                reference=w.reference,
                status=w.status,
                shipper_name=shipper.name if shipper else "",
                consignee_name=consignee.name if consignee else "",
                origin=_place(places, w.legs[0].from_unlocode) if w.legs else PlaceOut(unlocode="", name=""),
                destination=_place(places, w.legs[-1].to_unlocode)
                if w.legs
                else PlaceOut(unlocode="", name=""),
                modes=list(dict.fromkeys(leg.mode for leg in w.legs)),
                dangerous_goods=service.has_dangerous_goods(w),
                created_at=w.created_at,
                updated_at=w.updated_at,
            )
        )
    return out


async def public_tracking(session: AsyncSession, number: str, key: str, *, secret: str) -> PublicTrackingOut:
    """What the holder of the e-waybill's QR link may see: route, status, milestones; no parties or cargo."""
    waybill = await service.get_waybill_unscoped(session, number)
    if waybill is None or not constant_time_equal(key or "", tracking_key(secret, waybill.number)):
        raise NotFound(f"waybill {number} not found")
    events = (await service.events_for(session, [waybill.id]))[waybill.id]
    places = await _places(
        session,
        [c for leg in waybill.legs for c in (leg.from_unlocode, leg.to_unlocode)]
        + [e.unlocode for e in events],
    )
    first, last = waybill.legs[0], waybill.legs[-1]
    return PublicTrackingOut(
        number=waybill.number,
        status=waybill.status,
        origin=_place(places, first.from_unlocode) or PlaceOut(unlocode=first.from_unlocode, name=""),
        destination=_place(places, last.to_unlocode) or PlaceOut(unlocode=last.to_unlocode, name=""),
        legs=[
            PublicLegOut(
                seq=leg.seq,
                mode=leg.mode,
                status=leg.status,
                from_location=_place(places, leg.from_unlocode) or PlaceOut(unlocode="", name=""),
                to_location=_place(places, leg.to_unlocode) or PlaceOut(unlocode="", name=""),
                planned_arrival=leg.planned_arrival,
                estimated_arrival=leg.estimated_arrival,
                actual_arrival=leg.actual_arrival,
            )
            for leg in waybill.legs
        ],
        events=[
            PublicEventOut(
                event_code=e.event_code,
                classifier=e.classifier,
                event_time=e.event_time,
                location=_place(places, e.unlocode),
            )
            for e in events
            if e.event_type.value != "SHIPMENT"
        ],
    )


async def document_for(session: AsyncSession, waybill: Waybill, *, url: str) -> WaybillDocument:
    """What the printable e-waybill shows."""
    places = await _places(session, [c for leg in waybill.legs for c in (leg.from_unlocode, leg.to_unlocode)])
    orgs = await _orgs(session, [leg.carrier_org_id for leg in waybill.legs])

    def party_view(role: str) -> PartyView | None:
        p = service.party(waybill, role)
        return (
            PartyView(role=role, name=p.name, address=p.address or "", contact=p.contact or "") if p else None
        )

    def vehicle(leg: Leg) -> str | None:
        if leg.mode.value in ("VESSEL", "BARGE"):
            parts = [
                leg.vessel_name or "",
                f"voy {leg.voyage}" if leg.voyage else "",
                f"IMO {leg.imo}" if leg.imo else "",
            ]
            return " / ".join(p for p in parts if p) or None
        return leg.train_number if leg.mode.value == "RAIL" else leg.truck_plate

    def place_name(code: str, address: str | None) -> str:
        p = places.get(code)
        name = f"{p.name_zh or ''} {p.name}".strip() if p else code
        return f"{name} — {address}" if address else name

    return WaybillDocument(
        number=waybill.number,
        status=waybill.status.value,
        issued_at=waybill.created_at,
        shipper=party_view("shipper") or PartyView(role="shipper", name="", address="", contact=""),
        consignee=party_view("consignee") or PartyView(role="consignee", name="", address="", contact=""),
        notify=party_view("notify"),
        cargo_lines=[
            CargoLineView(
                description=c.description,
                hs_code=c.hs_code,
                packages=c.packages,
                package_type=c.package_type,
                gross_weight_kg=c.gross_weight_kg,
                volume_m3=c.volume_m3,
                marks=c.marks,
                un_number=c.un_number,
                dg_class=c.dg_class,
                packing_group=c.packing_group,
            )
            for c in waybill.cargo_lines
        ],
        equipment=[
            EquipmentView(container_number=e.container_number, size_type=e.size_type, seals=list(e.seals))
            for e in waybill.equipment
        ],
        legs=[
            LegView(
                seq=leg.seq,
                mode=leg.mode.value,
                carrier_name=orgs[leg.carrier_org_id].name if leg.carrier_org_id in orgs else "",
                vehicle=vehicle(leg),
                from_name=place_name(leg.from_unlocode, leg.from_address),
                from_unlocode=leg.from_unlocode,
                to_name=place_name(leg.to_unlocode, leg.to_address),
                to_unlocode=leg.to_unlocode,
                planned_departure=leg.planned_departure,
                planned_arrival=leg.planned_arrival,
                status=leg.status.value,
            )
            for leg in waybill.legs
        ],
        tracking_url=url,
        remarks=waybill.remarks,
    )
