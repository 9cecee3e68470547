"""Who may do what at a gate: terminal operators run their gates; appointments are seen by those involved."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.errors import Forbidden, NotFound
from yidan.gates.models import GateAppointment
from yidan.identity.principal import Principal, Role, Scope
from yidan.locations.models import Gate, Terminal
from yidan.waybills.models import Leg, Waybill

OPERATOR_ROLES = (Role.GATE_OPERATOR, Role.PORT_OPERATOR)
DISPATCHER_ROLES = (Role.DISPATCHER,)


async def gate_and_terminal(session: AsyncSession, gate_code: str) -> tuple[Gate, Terminal]:
    """A gate and its terminal; 404 when there is no such gate."""
    row = (
        await session.execute(
            select(Gate, Terminal)
            .join(Terminal, Terminal.code == Gate.terminal_code)
            .where(Gate.code == gate_code.strip().upper())
        )
    ).first()
    if row is None:
        raise NotFound(f"gate {gate_code} not found")
    return row[0], row[1]


def is_operator(principal: Principal, terminal: Terminal) -> bool:
    """True when the caller's organisation runs the terminal."""
    return terminal.operator_org_id is not None and terminal.operator_org_id == principal.org_id


def require_operator(principal: Principal, terminal: Terminal, *, lane_device: bool = False) -> None:
    """403 unless the caller is a gate or port operator (or, for scans, a lane device) of this terminal."""
    if not is_operator(principal, terminal):
        raise Forbidden(
            f"only the operator of terminal {terminal.code} may do this at its gates",
            code="not_gate_operator",
        )
    if principal.is_api_key:
        # a lane device is an API key of the terminal operator allowed to write events
        if lane_device and principal.allows(Scope.EVENTS_WRITE):
            return
        raise Forbidden(
            "this API key may not operate the gate (it needs events:write)", code="scope_required"
        )
    if not principal.has_role(*OPERATOR_ROLES):
        raise Forbidden(
            f"this needs the role gate_operator or port_operator; you are {principal.role.value}",
            code="role_required",
        )


def appointment_visible(principal: Principal) -> ColumnElement[bool]:
    """Appointments the caller may see: booked by them, for their waybill or leg, or at their terminal."""
    org = principal.org_id
    return or_(
        GateAppointment.org_id == org,
        GateAppointment.terminal_code.in_(select(Terminal.code).where(Terminal.operator_org_id == org)),
        exists().where(Waybill.id == GateAppointment.waybill_id, Waybill.org_id == org),
        exists().where(Leg.id == GateAppointment.leg_id, Leg.carrier_org_id == org),
    )
