"""Gate passes: issuing and revoking them, their tokens, links for the driver, and what they look like."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, NotFound
from yidan.core.security import constant_time_equal, sign
from yidan.gates.config import GateConfig
from yidan.gates.documents import PassDocument
from yidan.gates.models import GateAppointment, GatePass, GateSlot, PassScope
from yidan.gates.schemas import PassOut
from yidan.gates.tokens import PassClaims
from yidan.identity.principal import Principal
from yidan.locations.models import Gate, Terminal
from yidan.waybills.models import Waybill


def token_for(gate_pass: GatePass, cfg: GateConfig) -> str:
    """The signed token of a pass (the same every time: Ed25519 signatures are deterministic)."""
    return cfg.keys.sign(
        PassClaims(
            pass_id=gate_pass.id,
            gate=gate_pass.gate_code,
            scope=gate_pass.scope,
            valid_from=gate_pass.valid_from,
            valid_to=gate_pass.valid_to,
            plate=gate_pass.truck_plate,
            container=gate_pass.container_number,
        )
    )


def driver_key(secret: str, pass_id: uuid.UUID) -> str:
    """The key that makes a pass's driver link unguessable."""
    return sign(secret, f"gatepass:{pass_id}")


def check_driver_key(secret: str, pass_id: uuid.UUID, key: str) -> bool:
    """True when key opens this pass's driver link."""
    return constant_time_equal(key or "", driver_key(secret, pass_id))


def links(gate_pass: GatePass, cfg: GateConfig) -> dict[str, str]:
    """Where the pass can be fetched: with credentials, and through the driver's keyed link."""
    api = f"{cfg.base_url}/api/v1/gates/passes/{gate_pass.id}"
    public = f"{cfg.base_url}/api/v1/public/gate-passes/{gate_pass.id}"
    k = driver_key(cfg.secret, gate_pass.id)
    return {
        "png": f"{api}/qr.png",
        "svg": f"{api}/qr.svg",
        "pdf": f"{api}/pass.pdf",
        "driver": f"{public}?k={k}",
        "driver_png": f"{public}/qr.png?k={k}",
        "driver_svg": f"{public}/qr.svg?k={k}",
        "driver_pdf": f"{public}/pass.pdf?k={k}",
    }


def pass_out(gate_pass: GatePass, appointment: GateAppointment, gate: Gate, cfg: GateConfig) -> PassOut:
    """The API view of a pass."""
    urls = links(gate_pass, cfg)
    window = _document(gate_pass, appointment, gate, None, "", cfg).window()
    message = (
        f"【一单】闸口预约 {appointment.reference}：{gate.name_zh or gate.name}（{gate.code}），{window}，"
        f"车牌 {gate_pass.truck_plate}，箱号 {gate_pass.container_number}。通行证：{urls['driver']} / "
        f"Yidan gate pass {appointment.reference}: {gate.name} ({gate.code}), {window}, truck "
        f"{gate_pass.truck_plate}, container {gate_pass.container_number}: {urls['driver']}"
    )
    return PassOut(
        id=gate_pass.id,
        appointment_id=gate_pass.appointment_id,
        gate_code=gate_pass.gate_code,
        scope=gate_pass.scope,
        valid_from=gate_pass.valid_from,
        valid_to=gate_pass.valid_to,
        truck_plate=gate_pass.truck_plate,
        container_number=gate_pass.container_number,
        key_id=cfg.keys.kid,
        status="revoked" if gate_pass.revoked_at else "active",
        issued_at=gate_pass.issued_at,
        revoked_at=gate_pass.revoked_at,
        revoke_reason=gate_pass.revoke_reason,
        token=token_for(gate_pass, cfg),
        qr_png_url=urls["png"],
        qr_svg_url=urls["svg"],
        pdf_url=urls["pdf"],
        driver_url=urls["driver"],
        driver_message=message,
    )


def _document(
    gate_pass: GatePass,
    appointment: GateAppointment,
    gate: Gate,
    terminal: Terminal | None,
    waybill_number: str,
    cfg: GateConfig,
) -> PassDocument:
    return PassDocument(
        token=token_for(gate_pass, cfg),
        pass_id=str(gate_pass.id),
        reference=appointment.reference,
        kind=appointment.kind.value,
        scope=gate_pass.scope.value,
        gate_code=gate.code,
        gate_name=gate.name,
        gate_name_zh=gate.name_zh,
        terminal_name=terminal.name if terminal else "",
        terminal_name_zh=terminal.name_zh if terminal else None,
        valid_from=gate_pass.valid_from,
        valid_to=gate_pass.valid_to,
        truck_plate=gate_pass.truck_plate,
        container_number=gate_pass.container_number,
        driver_name=appointment.driver_name,
        waybill_number=waybill_number,
        revoked=gate_pass.revoked_at is not None,
        revoke_reason=gate_pass.revoke_reason,
        tz=cfg.tz,
    )


@dataclass(frozen=True)
class PassBundle:
    """A pass with what its views need."""

    gate_pass: GatePass
    appointment: GateAppointment
    gate: Gate
    terminal: Terminal
    waybill_number: str

    def document(self, cfg: GateConfig, *, public: bool = False) -> PassDocument:
        """The printable view; the driver's copy links to the keyed downloads."""
        doc = _document(self.gate_pass, self.appointment, self.gate, self.terminal, self.waybill_number, cfg)
        urls = links(self.gate_pass, cfg)
        chosen = (
            {"pdf": urls["driver_pdf"], "png": urls["driver_png"]}
            if public
            else {"pdf": urls["pdf"], "png": urls["png"]}
        )
        return dataclasses.replace(doc, links=chosen)


async def bundle(session: AsyncSession, pass_id: uuid.UUID) -> PassBundle | None:
    """A pass with its appointment, gate, terminal and waybill number (no visibility check)."""
    row = (
        await session.execute(
            select(GatePass, GateAppointment, Gate, Terminal, Waybill.number)
            .join(GateAppointment, GateAppointment.id == GatePass.appointment_id)
            .join(Gate, Gate.code == GatePass.gate_code)
            .join(Terminal, Terminal.code == Gate.terminal_code)
            .join(Waybill, Waybill.id == GateAppointment.waybill_id)
            .where(GatePass.id == pass_id)
        )
    ).first()
    if row is None:
        return None
    return PassBundle(*row)


async def public_bundle(session: AsyncSession, pass_id: uuid.UUID, key: str, cfg: GateConfig) -> PassBundle:
    """The pass behind a driver link; 404 unless the key matches."""
    found = await bundle(session, pass_id) if check_driver_key(cfg.secret, pass_id, key) else None
    if found is None:
        raise NotFound(f"gate pass {pass_id} not found")
    return found


async def issue(
    session: AsyncSession,
    principal: Principal | None,
    appointment: GateAppointment,
    slot: GateSlot,
    key_id: str,
    *,
    scope: PassScope = PassScope.IN_OUT,
) -> GatePass:
    """A new pass for an appointment, valid for its slot; the caller has revoked any earlier one."""
    gate_pass = GatePass(
        id=uuid.uuid4(),
        appointment_id=appointment.id,
        gate_code=appointment.gate_code,
        scope=scope,
        valid_from=slot.starts_at,
        valid_to=slot.ends_at,
        truck_plate=appointment.truck_plate,
        container_number=appointment.container_number,
        key_id=key_id,
        issued_at=utcnow(),
        issued_by=principal.user_id if principal else None,
    )
    session.add(gate_pass)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="gate_pass.issue",
        object_type="gate_pass",
        object_id=str(gate_pass.id),
        changes={
            "appointment": appointment.reference,
            "gate": gate_pass.gate_code,
            "valid_from": gate_pass.valid_from,
            "valid_to": gate_pass.valid_to,
            "plate": gate_pass.truck_plate,
            "container": gate_pass.container_number,
        },
    )
    return gate_pass


async def revoke(
    session: AsyncSession, principal: Principal | None, gate_pass: GatePass, reason: str, *, now: datetime
) -> None:
    """Revoke a pass (locked by the caller); a revoked pass fails at every lane from now on."""
    if gate_pass.revoked_at is not None:
        raise Conflict(f"gate pass {gate_pass.id} is already revoked", code="already_revoked")
    gate_pass.revoked_at = now
    gate_pass.revoked_by = principal.user_id if principal else None
    gate_pass.revoke_reason = reason
    await session.flush()
    await audit.record(
        session,
        principal,
        action="gate_pass.revoke",
        object_type="gate_pass",
        object_id=str(gate_pass.id),
        changes={"reason": reason},
    )


async def active_pass(
    session: AsyncSession, appointment_id: uuid.UUID, *, lock: bool = False
) -> GatePass | None:
    """The appointment's usable pass, if any."""
    query = select(GatePass).where(GatePass.appointment_id == appointment_id, GatePass.revoked_at.is_(None))
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def latest_passes(session: AsyncSession, appointment_ids: list[uuid.UUID]) -> dict[uuid.UUID, GatePass]:
    """Each appointment's newest pass (active, or the last revoked one)."""
    out: dict[uuid.UUID, GatePass] = {}
    if not appointment_ids:
        return out
    rows = await session.scalars(
        select(GatePass)
        .where(GatePass.appointment_id.in_(appointment_ids))
        .order_by(GatePass.appointment_id, GatePass.revoked_at.is_(None), GatePass.issued_at)
    )
    for row in rows:
        out[row.appointment_id] = row  # ordered so the active (or newest) pass comes last
    return out


async def revoked_since(session: AsyncSession, gate_code: str, since: datetime) -> list[GatePass]:
    """Passes of a gate revoked since a moment and not yet expired, for a lane's local revocation list."""
    rows = await session.scalars(
        select(GatePass)
        .where(
            GatePass.gate_code == gate_code,
            GatePass.revoked_at.is_not(None),
            GatePass.revoked_at >= since,
            GatePass.valid_to >= utcnow(),
        )
        .order_by(GatePass.revoked_at)
    )
    return list(rows)
