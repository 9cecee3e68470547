"""The rules of the one waybill: booking, editing drafts, the lifecycle, events, visibility."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, Forbidden, IllegalTransition, NotFound, ValidationFailed, field_error
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind, Principal, Role, Scope
from yidan.locations.models import Location, Terminal
from yidan.partners import outbox
from yidan.waybills import identifiers
from yidan.waybills.lifecycle import (
    EVENT_CODES,
    Classifier,
    EventType,
    LegStatus,
    Mode,
    WaybillStatus,
    allowed_next,
    check_leg_transition,
    check_waybill_transition,
    leg_status_after,
)
from yidan.waybills.models import CargoLine, Equipment, Event, Leg, Party, Waybill, waybill_serial
from yidan.waybills.schemas import EventIn, LegIn, PartyIn, WaybillIn, WaybillPatch

CLOCK_SKEW = timedelta(minutes=5)
CARRIER_KINDS = frozenset({OrgKind.CARRIER, OrgKind.FORWARDER})
OWNER_ROLES = (Role.SHIPPER,)
CARRIER_ROLES = (Role.DISPATCHER, Role.PARTNER_ADMIN)


@dataclass
class WaybillFilter:
    """What a waybill list may be narrowed by."""

    status: list[WaybillStatus] = field(default_factory=list)
    mode: Mode | None = None
    q: str | None = None
    dangerous_goods: bool | None = None
    origin: str | None = None
    destination: str | None = None
    relation: str | None = None  # owner | carrier | consignee
    created_from: datetime | None = None
    created_to: datetime | None = None


# ---- visibility ----


def visible_clause(principal: Principal) -> ColumnElement[bool]:
    """Waybills the caller's organisation may see: owner, consignee, a carrier, or a terminal on the route."""
    org = principal.org_id
    carrier = exists().where(Leg.waybill_id == Waybill.id, Leg.carrier_org_id == org)
    terminal_codes = select(Terminal.code).where(Terminal.operator_org_id == org)
    terminal = exists().where(
        Leg.waybill_id == Waybill.id,
        or_(Leg.from_terminal.in_(terminal_codes), Leg.to_terminal.in_(terminal_codes)),
    )
    return or_(Waybill.org_id == org, Waybill.consignee_org_id == org, carrier, terminal)


def relations(principal: Principal, waybill: Waybill) -> set[str]:
    """How the caller's organisation relates to a (loaded) waybill."""
    rel: set[str] = set()
    if waybill.org_id == principal.org_id:
        rel.add("owner")
    if waybill.consignee_org_id == principal.org_id:
        rel.add("consignee")
    if any(leg.carrier_org_id == principal.org_id for leg in waybill.legs):
        rel.add("carrier")
    return rel


def _full() -> list:  # type: ignore[type-arg]
    return [
        selectinload(Waybill.parties),
        selectinload(Waybill.cargo_lines),
        selectinload(Waybill.equipment),
        selectinload(Waybill.legs),
    ]


async def get_waybill(
    session: AsyncSession, principal: Principal, number: str, *, lock: bool = False
) -> Waybill:
    """A waybill the caller may see, with parties, cargo, equipment and legs; else 404."""
    query = select(Waybill).where(Waybill.number == number.strip().upper(), visible_clause(principal))
    if lock:
        query = query.with_for_update(of=Waybill)
    waybill = await session.scalar(query.options(*_full()))
    if waybill is None:
        raise NotFound(f"waybill {number} not found")
    return waybill


async def get_waybill_unscoped(session: AsyncSession, number: str) -> Waybill | None:
    """A waybill by number for system use (public tracking checks its own key)."""
    return await session.scalar(
        select(Waybill).where(Waybill.number == number.strip().upper()).options(*_full())
    )


# ---- input checks that need the database ----


async def _check_route(session: AsyncSession, legs: Sequence[LegIn], prefix: str = "legs") -> None:
    codes = {c for leg in legs for c in (leg.from_unlocode, leg.to_unlocode)}
    known = set(await session.scalars(select(Location.unlocode).where(Location.unlocode.in_(codes))))
    terminal_codes = {t for leg in legs for t in (leg.from_terminal, leg.to_terminal) if t}
    terminals = {
        t.code: t for t in await session.scalars(select(Terminal).where(Terminal.code.in_(terminal_codes)))
    }
    carrier_ids = {leg.carrier_id for leg in legs}
    carriers = {
        o.id: o for o in await session.scalars(select(Organisation).where(Organisation.id.in_(carrier_ids)))
    }
    errors: list[dict[str, str]] = []
    for i, leg in enumerate(legs):
        where = f"{prefix}[{i}]"
        for end in ("from", "to"):
            code = getattr(leg, f"{end}_unlocode")
            if code not in known:
                errors.append({"field": f"{where}.{end}_unlocode", "message": f"unknown UN/LOCODE {code}"})
            term = getattr(leg, f"{end}_terminal")
            if term:
                t = terminals.get(term)
                if t is None:
                    errors.append({"field": f"{where}.{end}_terminal", "message": f"unknown terminal {term}"})
                elif t.unlocode != code:
                    errors.append(
                        {
                            "field": f"{where}.{end}_terminal",
                            "message": f"terminal {term} is at {t.unlocode}, not {code}",
                        }
                    )
        carrier = carriers.get(leg.carrier_id)
        if carrier is None:
            errors.append(
                {"field": f"{where}.carrier_id", "message": f"unknown organisation {leg.carrier_id}"}
            )
        elif carrier.kind not in CARRIER_KINDS:
            errors.append(
                {
                    "field": f"{where}.carrier_id",
                    "message": f"{carrier.name} is a {carrier.kind.value}, not a carrier",
                }
            )
        if i > 0:
            prev = legs[i - 1]
            if leg.from_unlocode != prev.to_unlocode:
                errors.append(
                    {
                        "field": f"{where}.from_unlocode",
                        "message": f"leg {i + 1} must begin at {prev.to_unlocode}, where leg {i} ends",
                    }
                )
            elif prev.to_terminal and leg.from_terminal and prev.to_terminal != leg.from_terminal:
                errors.append(
                    {
                        "field": f"{where}.from_terminal",
                        "message": f"leg {i + 1} must begin at {prev.to_terminal}, where leg {i} ends",
                    }
                )
            if leg.planned_departure < prev.planned_arrival:
                errors.append(
                    {
                        "field": f"{where}.planned_departure",
                        "message": f"leg {i + 1} cannot depart before leg {i} arrives",
                    }
                )
    if errors:
        raise ValidationFailed(f"{errors[0]['field']}: {errors[0]['message']}", errors=errors)


async def _check_party_orgs(session: AsyncSession, parties: dict[str, PartyIn | None]) -> None:
    ids = {p.organisation_id for p in parties.values() if p and p.organisation_id}
    if not ids:
        return
    found = set(await session.scalars(select(Organisation.id).where(Organisation.id.in_(ids))))
    for role, party in parties.items():
        if party and party.organisation_id and party.organisation_id not in found:
            raise field_error(f"{role}.organisation_id", f"unknown organisation {party.organisation_id}")


def _leg_row(seq: int, leg: LegIn) -> Leg:
    v = leg.vehicle
    return Leg(
        seq=seq,
        mode=leg.mode,
        status=LegStatus.PLANNED,
        carrier_org_id=leg.carrier_id,
        vessel_name=v.vessel_name,
        imo=v.imo,
        mmsi=v.mmsi,
        voyage=v.voyage,
        train_number=v.train_number,
        truck_plate=v.truck_plate,
        from_unlocode=leg.from_unlocode,
        from_terminal=leg.from_terminal,
        from_address=leg.from_address,
        to_unlocode=leg.to_unlocode,
        to_terminal=leg.to_terminal,
        to_address=leg.to_address,
        planned_departure=leg.planned_departure,
        planned_arrival=leg.planned_arrival,
    )


def _party_row(role: str, p: PartyIn) -> Party:
    return Party(role=role, name=p.name, address=p.address, contact=p.contact, org_id=p.organisation_id)


def _require_owner_writer(principal: Principal) -> None:
    if principal.is_api_key:
        if not principal.allows(Scope.WAYBILLS_WRITE):
            raise Forbidden("this API key lacks the scope waybills:write", code="scope_required")
    elif not principal.has_role(*OWNER_ROLES):
        raise Forbidden(
            f"booking and editing waybills needs the role shipper; you are {principal.role.value}",
            code="role_required",
        )


# ---- commands ----


async def create_waybill(session: AsyncSession, principal: Principal, data: WaybillIn) -> Waybill:
    """Create a waybill as a draft (or booked at once) for the caller's organisation."""
    _require_owner_writer(principal)
    org = await session.get_one(Organisation, principal.org_id)
    await _check_route(session, data.legs)
    await _check_party_orgs(
        session, {"shipper": data.shipper, "consignee": data.consignee, "notify": data.notify}
    )
    if data.reference and await session.scalar(
        select(Waybill.number).where(Waybill.org_id == org.id, Waybill.reference == data.reference)
    ):
        raise Conflict(
            f"your organisation already has a waybill with reference {data.reference}",
            code="reference_exists",
        )
    shipper = data.shipper or PartyIn(name=org.name, organisation_id=org.id)
    serial = int(await session.scalar(select(waybill_serial.next_value())) or 0)
    waybill = Waybill(
        number=identifiers.make_waybill_number(utcnow().year % 100, serial),
        org_id=org.id,
        reference=data.reference,
        consignee_org_id=data.consignee.organisation_id,
        status=WaybillStatus.DRAFT,
        remarks=data.remarks,
        created_by=principal.user_id,
    )
    waybill.parties = [_party_row("shipper", shipper), _party_row("consignee", data.consignee)]
    if data.notify:
        waybill.parties.append(_party_row("notify", data.notify))
    waybill.cargo_lines = [CargoLine(seq=i + 1, **c.model_dump()) for i, c in enumerate(data.cargo_lines)]
    _check_unique_containers([e.container_number for e in data.equipment], "equipment")
    waybill.equipment = [Equipment(**e.model_dump()) for e in data.equipment]
    waybill.legs = [_leg_row(i + 1, leg) for i, leg in enumerate(data.legs)]
    session.add(waybill)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="waybill.create",
        object_type="waybill",
        object_id=waybill.number,
        changes={"status": waybill.status.value, "legs": len(waybill.legs)},
    )
    if data.book:
        await _book(session, principal, waybill)
    return waybill


def _check_unique_containers(numbers: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, n in enumerate(numbers):
        if n in seen:
            raise field_error(f"{where}[{i}].container_number", f"container {n} is listed twice")
        seen.add(n)


async def update_draft(
    session: AsyncSession, principal: Principal, number: str, patch: WaybillPatch
) -> Waybill:
    """Change a draft; a list given replaces the whole list. Only drafts can be edited."""
    waybill = await get_waybill(session, principal, number, lock=True)
    if "owner" not in relations(principal, waybill):
        raise Forbidden(
            f"only the shipper's organisation may edit waybill {waybill.number}", code="not_owner"
        )
    _require_owner_writer(principal)
    if waybill.status is not WaybillStatus.DRAFT:
        raise IllegalTransition(
            f"waybill {waybill.number} is {waybill.status.value}; only drafts can be edited",
            code="not_a_draft",
        )
    given = patch.model_fields_set
    changes: dict[str, object] = {}
    if patch.legs is not None:
        await _check_route(session, patch.legs)
    await _check_party_orgs(
        session, {"shipper": patch.shipper, "consignee": patch.consignee, "notify": patch.notify}
    )
    if "remarks" in given:
        changes["remarks"] = {"from": waybill.remarks, "to": patch.remarks}
        waybill.remarks = patch.remarks
    for role in ("shipper", "consignee", "notify"):
        if role in given:
            new: PartyIn | None = getattr(patch, role)
            old = next((p for p in waybill.parties if p.role == role), None)
            if new is None and role != "notify":
                raise field_error(role, f"the {role} cannot be removed")
            changes[role] = {"from": old.name if old else None, "to": new.name if new else None}
            if old is not None:
                waybill.parties.remove(old)
                await session.flush()
            if new is not None:
                waybill.parties.append(_party_row(role, new))
            if role == "consignee" and new is not None:
                waybill.consignee_org_id = new.organisation_id
    if patch.cargo_lines is not None:
        changes["cargo_lines"] = {"from": len(waybill.cargo_lines), "to": len(patch.cargo_lines)}
        waybill.cargo_lines.clear()
        await session.flush()
        waybill.cargo_lines.extend(
            CargoLine(seq=i + 1, **c.model_dump()) for i, c in enumerate(patch.cargo_lines)
        )
    if patch.equipment is not None:
        _check_unique_containers([e.container_number for e in patch.equipment], "equipment")
        changes["equipment"] = {
            "from": [e.container_number for e in waybill.equipment],
            "to": [e.container_number for e in patch.equipment],
        }
        waybill.equipment.clear()
        await session.flush()
        waybill.equipment.extend(Equipment(**e.model_dump()) for e in patch.equipment)
    if patch.legs is not None:
        changes["legs"] = {
            "from": [f"{leg.mode.value}:{leg.from_unlocode}-{leg.to_unlocode}" for leg in waybill.legs],
            "to": [f"{leg.mode.value}:{leg.from_unlocode}-{leg.to_unlocode}" for leg in patch.legs],
        }
        waybill.legs.clear()
        await session.flush()
        waybill.legs.extend(_leg_row(i + 1, leg) for i, leg in enumerate(patch.legs))
    waybill.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        principal,
        action="waybill.edit",
        object_type="waybill",
        object_id=waybill.number,
        changes=changes,
    )
    return waybill


async def _system_event(
    session: AsyncSession,
    waybill: Waybill,
    *,
    event_type: EventType,
    code: str,
    classifier: Classifier,
    when: datetime,
    leg: Leg | None = None,
    unlocode: str | None = None,
    description: str | None = None,
    org_id: uuid.UUID | None = None,
    source: str = "yidan",
) -> Event:
    event = Event(
        waybill_id=waybill.id,
        leg_id=leg.id if leg else None,
        event_type=event_type,
        event_code=code,
        classifier=classifier,
        event_time=when,
        unlocode=unlocode,
        description=description,
        source=source,
        org_id=org_id,
    )
    session.add(event)
    return event


async def _book(
    session: AsyncSession, principal: Principal, waybill: Waybill, at: datetime | None = None
) -> None:
    check_waybill_transition(waybill.number, waybill.status, WaybillStatus.BOOKED)
    now = at or utcnow()
    waybill.status = WaybillStatus.BOOKED
    waybill.updated_at = now
    for code in ("CONF", "ISSU"):
        await _system_event(
            session,
            waybill,
            event_type=EventType.SHIPMENT,
            code=code,
            classifier=Classifier.ACT,
            when=now,
            org_id=principal.org_id,
        )
    for leg in waybill.legs:
        for code, when, place in (
            ("DEPA", leg.planned_departure, leg.from_unlocode),
            ("ARRI", leg.planned_arrival, leg.to_unlocode),
        ):
            await _system_event(
                session,
                waybill,
                event_type=EventType.TRANSPORT,
                code=code,
                classifier=Classifier.PLN,
                when=when,
                leg=leg,
                unlocode=place,
            )
    await audit.record(
        session,
        principal,
        action="waybill.status",
        object_type="waybill",
        object_id=waybill.number,
        changes={"status": {"from": "draft", "to": "booked"}},
    )
    await outbox.waybill_booked(session, waybill)


def transitions_for(principal: Principal, waybill: Waybill) -> list[WaybillStatus]:
    """The statuses the caller may move the waybill to now."""
    rel = relations(principal, waybill)
    out = []
    for to in allowed_next(waybill.status):
        actors = check_waybill_transition(waybill.number, waybill.status, to)
        if rel & actors and _actor_ok(principal, waybill, to, rel & actors):
            out.append(to)
    return out


def _actor_ok(principal: Principal, waybill: Waybill, to: WaybillStatus, as_: set[str]) -> bool:
    if "owner" in as_ or "consignee" in as_:
        if principal.is_api_key:
            return principal.allows(Scope.WAYBILLS_WRITE)
        return principal.has_role(Role.SHIPPER)
    if "carrier" in as_:
        leg = waybill.legs[0] if to is WaybillStatus.IN_TRANSIT else waybill.legs[-1]
        if leg.carrier_org_id != principal.org_id:
            return False
        return (
            principal.allows(Scope.EVENTS_WRITE)
            if principal.is_api_key
            else principal.has_role(*CARRIER_ROLES)
        )
    return False


async def change_status(
    session: AsyncSession,
    principal: Principal,
    number: str,
    to: WaybillStatus,
    reason: str | None = None,
    *,
    at: datetime | None = None,
) -> Waybill:
    """Move a waybill along its lifecycle; illegal moves are 409, moves by the wrong party 403."""
    waybill = await get_waybill(session, principal, number, lock=True)
    frm = waybill.status
    actors = check_waybill_transition(waybill.number, frm, to)
    rel = relations(principal, waybill) & actors
    if not rel or not _actor_ok(principal, waybill, to, rel):
        who = " or ".join(sorted(actors - {"system"}))
        raise Forbidden(
            f"moving waybill {waybill.number} from {frm.value} to {to.value} is for the {who}",
            code="not_allowed",
        )
    # `at` lets a back-fill (imports, demo data) record when the move really happened; the API never sets it
    now = at or utcnow()
    if to is WaybillStatus.BOOKED:
        await _book(session, principal, waybill, now)
        return waybill
    if to is WaybillStatus.IN_TRANSIT:
        event = await _apply_transport(session, principal, waybill, waybill.legs[0], "DEPA", now)
    elif to is WaybillStatus.DELIVERED:
        last = waybill.legs[-1]
        if last.status is not LegStatus.DEPARTED:
            raise IllegalTransition(
                f"waybill {waybill.number} cannot be delivered: its last leg is {last.status.value}, "
                "not departed"
            )
        event = await _apply_transport(session, principal, waybill, last, "ARRI", now)
    else:
        waybill.status = to
        waybill.updated_at = now
        code = {WaybillStatus.CANCELLED: "VOID", WaybillStatus.CLOSED: "CMPL"}[to]
        event = await _system_event(
            session,
            waybill,
            event_type=EventType.SHIPMENT,
            code=code,
            classifier=Classifier.ACT,
            when=now,
            description=reason,
            org_id=principal.org_id,
        )
        await audit.record(
            session,
            principal,
            action="waybill.status",
            object_type="waybill",
            object_id=waybill.number,
            changes={"status": {"from": frm.value, "to": to.value}, "reason": reason},
        )
        await outbox.waybill_status_changed(session, waybill, frm, reason=reason)
    await outbox.waybill_event(session, waybill, event)
    await session.flush()
    return waybill


async def _apply_transport(
    session: AsyncSession,
    principal: Principal | None,
    waybill: Waybill,
    leg: Leg,
    code: str,
    when: datetime,
    *,
    source: str = "api",
    unlocode: str | None = None,
    description: str | None = None,
) -> Event:
    """An actual DEPA/ARRI: moves the leg and, at the ends of the route, the waybill."""
    to = leg_status_after(code)
    assert to is not None
    check_leg_transition(waybill.number, leg.seq, leg.status, to)
    if to is LegStatus.DEPARTED and leg.seq > 1:
        prev = waybill.legs[leg.seq - 2]
        if prev.status is not LegStatus.ARRIVED:
            raise IllegalTransition(
                f"leg {leg.seq} of waybill {waybill.number} cannot depart before leg {prev.seq} has arrived",
                code="illegal_leg_transition",
            )
    if waybill.status not in (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT):
        raise IllegalTransition(
            f"waybill {waybill.number} is {waybill.status.value}; transport events need booked or in_transit"
        )
    old_leg = leg.status
    leg.status = to
    if to is LegStatus.DEPARTED:
        leg.actual_departure = when
    else:
        leg.actual_arrival = when
    event = await _system_event(
        session,
        waybill,
        event_type=EventType.TRANSPORT,
        code=code,
        classifier=Classifier.ACT,
        when=when,
        leg=leg,
        unlocode=unlocode or (leg.from_unlocode if code == "DEPA" else leg.to_unlocode),
        description=description,
        # None: Yidan itself (e.g. tracking) recorded it, on no organisation's behalf
        org_id=principal.org_id if principal else None,
        source=source,
    )
    changes: dict[str, object] = {f"leg{leg.seq}.status": {"from": old_leg.value, "to": to.value}}
    frm = waybill.status
    if code == "DEPA" and leg.seq == 1 and frm is WaybillStatus.BOOKED:
        check_waybill_transition(waybill.number, frm, WaybillStatus.IN_TRANSIT)
        waybill.status = WaybillStatus.IN_TRANSIT
    elif code == "ARRI" and leg.seq == len(waybill.legs):
        check_waybill_transition(waybill.number, frm, WaybillStatus.DELIVERED)
        waybill.status = WaybillStatus.DELIVERED
    if waybill.status is not frm:
        changes["status"] = {"from": frm.value, "to": waybill.status.value}
        await outbox.waybill_status_changed(session, waybill, frm)
    waybill.updated_at = utcnow()
    await audit.record(
        session,
        principal,
        action=f"leg.{code.lower()}",
        object_type="waybill",
        object_id=waybill.number,
        changes=changes,
    )
    return event


_LEG_ORDER = {LegStatus.PLANNED: 0, LegStatus.DEPARTED: 1, LegStatus.ARRIVED: 2}


async def record_system_transport_event(
    session: AsyncSession,
    waybill_id: uuid.UUID,
    leg_id: uuid.UUID,
    code: str,
    when: datetime,
    source: str,
    *,
    classifier: Classifier = Classifier.ACT,
    description: str | None = None,
    payload: dict[str, object] | None = None,
) -> Event | None:
    """A DEPA/ARRI Yidan derives itself (e.g. from tracking), under the API's rules; None if already so."""
    code = code.upper()
    if code not in EVENT_CODES[EventType.TRANSPORT]:
        raise ValueError(f"{code} is not a transport event code")
    # the row lock serialises automatic events of one waybill; populate_existing re-reads legs a caller
    # may have loaded before the lock was taken
    waybill = await session.scalar(
        select(Waybill)
        .where(Waybill.id == waybill_id)
        .with_for_update(of=Waybill)
        .options(selectinload(Waybill.legs))
        .execution_options(populate_existing=True)
    )
    if waybill is None:
        raise NotFound(f"waybill {waybill_id} not found")
    leg = next((leg for leg in waybill.legs if leg.id == leg_id), None)
    if leg is None:
        raise NotFound(f"leg {leg_id} is not on waybill {waybill.number}")
    if classifier is Classifier.ACT:
        target = leg_status_after(code)
        assert target is not None
        if _LEG_ORDER[leg.status] >= _LEG_ORDER[target]:
            return None  # already departed/arrived: an automatic event is never recorded twice
        event = await _apply_transport(
            session, None, waybill, leg, code, when, source=source, description=description
        )
    else:
        if (leg.actual_departure if code == "DEPA" else leg.actual_arrival) is not None:
            return None  # an estimate after the fact says nothing
        _apply_plan_or_estimate(waybill, leg, code, classifier, when)
        event = await _system_event(
            session,
            waybill,
            event_type=EventType.TRANSPORT,
            code=code,
            classifier=classifier,
            when=when,
            leg=leg,
            unlocode=leg.from_unlocode if code == "DEPA" else leg.to_unlocode,
            description=description,
            source=source,
        )
        await audit.record(
            session,
            None,
            action="event.post",
            object_type="waybill",
            object_id=waybill.number,
            changes={"event": f"{classifier.value} {code}", "leg": leg.seq, "source": source},
        )
    if payload:
        event.payload = dict(payload)
    await session.flush()
    await outbox.waybill_event(session, waybill, event)
    return event


async def post_event(session: AsyncSession, principal: Principal, number: str, data: EventIn) -> Event:
    """Append an event from the carrier of its leg; actual DEPA/ARRI move the leg and the waybill."""
    waybill = await get_waybill(session, principal, number, lock=True)
    if principal.is_api_key and not principal.allows(Scope.EVENTS_WRITE):
        raise Forbidden("this API key lacks the scope events:write", code="scope_required")
    code = data.event_code.upper()
    if code not in EVENT_CODES[data.event_type]:
        allowed = ", ".join(sorted(EVENT_CODES[data.event_type]))
        raise field_error(
            "event_code", f"{code} is not a {data.event_type.value} event code (one of {allowed})"
        )
    if data.event_type is EventType.SHIPMENT:
        raise Forbidden("shipment events are recorded by Yidan as the waybill moves", code="not_allowed")
    if data.leg_seq is None:
        raise field_error("leg_seq", f"{data.event_type.value} events name the leg they belong to")
    if data.leg_seq > len(waybill.legs):
        raise field_error("leg_seq", f"waybill {waybill.number} has {len(waybill.legs)} legs")
    leg = waybill.legs[data.leg_seq - 1]
    if leg.carrier_org_id != principal.org_id:
        raise Forbidden(f"only the carrier of leg {leg.seq} may post events for it", code="not_leg_carrier")
    if not principal.is_api_key and not principal.has_role(
        *CARRIER_ROLES, Role.GATE_OPERATOR, Role.PORT_OPERATOR
    ):
        raise Forbidden(
            f"posting events needs a carrier role; you are {principal.role.value}", code="role_required"
        )
    now = utcnow()
    if data.classifier is Classifier.ACT and data.event_time > now + CLOCK_SKEW:
        raise field_error("event_time", "an actual event cannot be in the future")
    if data.unlocode and not await session.get(Location, data.unlocode):
        raise field_error("unlocode", f"unknown UN/LOCODE {data.unlocode}")
    if data.terminal_code and not await session.get(Terminal, data.terminal_code):
        raise field_error("terminal_code", f"unknown terminal {data.terminal_code}")
    if data.container_number and data.container_number not in {e.container_number for e in waybill.equipment}:
        raise field_error(
            "container_number", f"container {data.container_number} is not on waybill {waybill.number}"
        )
    if data.supersedes is not None:
        old = await session.get(Event, data.supersedes)
        if old is None or old.waybill_id != waybill.id:
            raise field_error(
                "supersedes", f"event {data.supersedes} is not an event of waybill {waybill.number}"
            )
    if waybill.status not in (WaybillStatus.BOOKED, WaybillStatus.IN_TRANSIT, WaybillStatus.DELIVERED):
        raise IllegalTransition(
            f"waybill {waybill.number} is {waybill.status.value}; events are accepted once it is booked",
            code="waybill_not_active",
        )
    if data.event_type is EventType.TRANSPORT and data.classifier is Classifier.ACT:
        event = await _apply_transport(
            session,
            principal,
            waybill,
            leg,
            code,
            data.event_time,
            unlocode=data.unlocode,
            description=data.description,
        )
        event.terminal_code = data.terminal_code
        event.container_number = data.container_number
        event.supersedes_id = data.supersedes
    else:
        if data.event_type is EventType.TRANSPORT:
            _apply_plan_or_estimate(waybill, leg, code, data.classifier, data.event_time)
        event = Event(
            waybill_id=waybill.id,
            leg_id=leg.id,
            event_type=data.event_type,
            event_code=code,
            classifier=data.classifier,
            event_time=data.event_time,
            unlocode=data.unlocode,
            terminal_code=data.terminal_code,
            container_number=data.container_number,
            description=data.description,
            source="api",
            org_id=principal.org_id,
            supersedes_id=data.supersedes,
        )
        session.add(event)
        await audit.record(
            session,
            principal,
            action="event.post",
            object_type="waybill",
            object_id=waybill.number,
            changes={"event": f"{data.classifier.value} {code}", "leg": leg.seq},
        )
    await session.flush()
    await outbox.waybill_event(session, waybill, event)
    return event


def _apply_plan_or_estimate(
    waybill: Waybill, leg: Leg, code: str, classifier: Classifier, when: datetime
) -> None:
    actual = leg.actual_departure if code == "DEPA" else leg.actual_arrival
    if actual is not None:
        raise IllegalTransition(
            f"leg {leg.seq} of waybill {waybill.number} already has an actual {code}; "
            f"{classifier.value} {code} is no longer accepted",
            code="already_actual",
        )
    prefix = "planned" if classifier is Classifier.PLN else "estimated"
    setattr(leg, f"{prefix}_{'departure' if code == 'DEPA' else 'arrival'}", when)


# ---- queries ----


async def list_waybills(
    session: AsyncSession, principal: Principal, flt: WaybillFilter, *, limit: int, cursor: str | None
) -> tuple[list[Waybill], str | None]:
    """A page of visible waybills, newest first, with the cursor of the next page."""
    query = select(Waybill).where(visible_clause(principal))
    if flt.status:
        query = query.where(Waybill.status.in_(flt.status))
    if flt.mode:
        query = query.where(exists().where(Leg.waybill_id == Waybill.id, Leg.mode == flt.mode))
    if flt.q:
        like = f"%{flt.q.strip()}%"
        query = query.where(
            or_(
                Waybill.number.ilike(like),
                Waybill.reference.ilike(like),
                exists().where(Party.waybill_id == Waybill.id, Party.name.ilike(like)),
                exists().where(Equipment.waybill_id == Waybill.id, Equipment.container_number.ilike(like)),
            )
        )
    if flt.dangerous_goods is not None:
        dg = exists().where(CargoLine.waybill_id == Waybill.id, CargoLine.un_number.is_not(None))
        query = query.where(dg if flt.dangerous_goods else ~dg)
    if flt.origin:
        query = query.where(
            exists().where(
                Leg.waybill_id == Waybill.id, Leg.seq == 1, Leg.from_unlocode == flt.origin.upper()
            )
        )
    if flt.destination:
        last = select(Leg.to_unlocode).where(Leg.waybill_id == Waybill.id).order_by(Leg.seq.desc()).limit(1)
        query = query.where(last.scalar_subquery() == flt.destination.upper())
    if flt.relation == "owner":
        query = query.where(Waybill.org_id == principal.org_id)
    elif flt.relation == "consignee":
        query = query.where(Waybill.consignee_org_id == principal.org_id)
    elif flt.relation == "carrier":
        query = query.where(
            exists().where(Leg.waybill_id == Waybill.id, Leg.carrier_org_id == principal.org_id)
        )
    if flt.created_from:
        query = query.where(Waybill.created_at >= flt.created_from)
    if flt.created_to:
        query = query.where(Waybill.created_at < flt.created_to)
    if cursor:
        created, ident = decode_cursor(cursor)
        query = query.where(tuple_(Waybill.created_at, Waybill.id) < tuple_(created, ident))
    query = query.order_by(Waybill.created_at.desc(), Waybill.id.desc()).limit(limit + 1)
    rows = list(
        await session.scalars(
            query.options(
                selectinload(Waybill.parties), selectinload(Waybill.legs), selectinload(Waybill.cargo_lines)
            )
        )
    )
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def events_for(session: AsyncSession, waybill_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Event]]:
    """The timelines of several waybills, each in event order."""
    out: dict[uuid.UUID, list[Event]] = {i: [] for i in waybill_ids}
    if not waybill_ids:
        return out
    rows = await session.scalars(
        select(Event).where(Event.waybill_id.in_(waybill_ids)).order_by(Event.event_time, Event.seq)
    )
    for ev in rows:
        out[ev.waybill_id].append(ev)
    return out


def latest_arrival_estimates(events: Iterable[Event]) -> dict[uuid.UUID, Event]:
    """The most recently recorded EST ARRI of each leg, by leg id."""
    out: dict[uuid.UUID, Event] = {}
    for ev in events:
        if ev.leg_id is None or ev.event_code != "ARRI" or ev.classifier is not Classifier.EST:
            continue
        seen = out.get(ev.leg_id)
        if seen is None or (ev.recorded_at, ev.seq) > (seen.recorded_at, seen.seq):
            out[ev.leg_id] = ev
    return out


def estimate_confidence(event: Event | None) -> float | None:
    """The confidence (0..1) a tracking estimate carries in its payload, else None."""
    value = (event.payload or {}).get("confidence") if event is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


async def audit_trail(session: AsyncSession, principal: Principal, number: str) -> list[audit.AuditEntry]:
    """The audit trail of a waybill the caller may see."""
    waybill = await get_waybill(session, principal, number)
    return await audit.trail(session, "waybill", waybill.number)


def has_dangerous_goods(waybill: Waybill) -> bool:
    """True when any cargo line is dangerous goods."""
    return any(c.un_number for c in waybill.cargo_lines)


def party(waybill: Waybill, role: str) -> Party | None:
    """The party with a role, if any."""
    return next((p for p in waybill.parties if p.role == role), None)
