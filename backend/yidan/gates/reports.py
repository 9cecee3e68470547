"""What a terminal sees of its gate: transactions, arrivals against slots, dwell, denials, CSV exports."""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.core.clock import utcnow
from yidan.core.errors import NotFound, field_error
from yidan.core.pagination import decode_cursor, encode_cursor
from yidan.gates.access import appointment_visible, gate_and_terminal, require_operator
from yidan.gates.models import AppointmentStatus, GateAppointment, GateSlot, GateTransaction, ScanResult
from yidan.gates.reasons import LABELS, REASONS
from yidan.gates.schemas import (
    ArrivalSlotOut,
    ArrivalsOut,
    DenialReasonOut,
    DenialsOut,
    DwellItemOut,
    DwellOut,
    ReasonOut,
    TransactionOut,
)
from yidan.gates.slots import day_window
from yidan.identity.principal import Principal
from yidan.waybills.models import Waybill

MAX_PERIOD_DAYS = 92


async def _operator_gate(session: AsyncSession, principal: Principal, gate_code: str) -> str:
    gate, terminal = await gate_and_terminal(session, gate_code)
    require_operator(principal, terminal)
    return gate.code


def _period(frm: datetime | None, to: datetime | None) -> tuple[datetime, datetime]:
    """A period defaulting to today (port time); at most MAX_PERIOD_DAYS long."""
    _, day_start, day_end = day_window(None, "Asia/Shanghai")
    start, end = frm or day_start, to or (day_end if frm is None else utcnow())
    if end <= start:
        raise field_error("to", "must be after from")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise field_error("to", f"a report covers at most {MAX_PERIOD_DAYS} days")
    return start, end


# ---- transactions ----


async def transaction_views(session: AsyncSession, rows: Sequence[GateTransaction]) -> list[TransactionOut]:
    """The API view of transactions, with appointment references and waybill numbers in two queries."""
    appointment_ids = {r.appointment_id for r in rows if r.appointment_id}
    waybill_ids = {r.waybill_id for r in rows if r.waybill_id}
    refs: dict[uuid.UUID, str] = {}
    numbers: dict[uuid.UUID, str] = {}
    if appointment_ids:
        refs = dict(
            (
                await session.execute(
                    select(GateAppointment.id, GateAppointment.reference).where(
                        GateAppointment.id.in_(appointment_ids)
                    )
                )
            ).all()  # type: ignore[arg-type]
        )
    if waybill_ids:
        numbers = dict(
            (
                await session.execute(select(Waybill.id, Waybill.number).where(Waybill.id.in_(waybill_ids)))
            ).all()  # type: ignore[arg-type]
        )
    return [
        TransactionOut(
            id=r.id,
            gate_code=r.gate_code,
            terminal_code=r.terminal_code,
            lane=r.lane,
            direction=r.direction,
            result=r.result,
            reasons=[ReasonOut.model_validate(x) for x in r.reasons],
            checks=r.checks,
            scanned_at=r.scanned_at,
            plate_read=r.plate_read,
            container_read=r.container_read,
            pass_id=r.pass_id,
            appointment_id=r.appointment_id,
            appointment_reference=refs.get(r.appointment_id) if r.appointment_id else None,
            waybill_number=numbers.get(r.waybill_id) if r.waybill_id else None,
            actor=r.actor,
            override_of=r.override_of_id,
            override_reason=r.override_reason,
            event_ids=[uuid.UUID(e) for e in r.event_ids],
        )
        for r in rows
    ]


async def get_transaction(
    session: AsyncSession, principal: Principal, transaction_id: uuid.UUID
) -> GateTransaction:
    """A transaction at the caller's terminal, or of an appointment the caller may see; else 404."""
    row = await session.scalar(
        select(GateTransaction).where(
            GateTransaction.id == transaction_id,
            or_(
                GateTransaction.org_id == principal.org_id,
                GateTransaction.appointment_id.in_(
                    select(GateAppointment.id).where(appointment_visible(principal))
                ),
            ),
        )
    )
    if row is None:
        raise NotFound(f"gate transaction {transaction_id} not found")
    return row


async def list_transactions(
    session: AsyncSession,
    principal: Principal,
    gate_code: str,
    *,
    frm: datetime | None = None,
    to: datetime | None = None,
    result: ScanResult | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[GateTransaction], str | None]:
    """A page of a gate's transactions, newest first (the terminal operator's view)."""
    code = await _operator_gate(session, principal, gate_code)
    start, end = _period(frm, to)
    query = select(GateTransaction).where(
        GateTransaction.gate_code == code,
        GateTransaction.scanned_at >= start,
        GateTransaction.scanned_at < end,
    )
    if result is not None:
        query = query.where(GateTransaction.result == result)
    if cursor:
        at, ident = decode_cursor(cursor)
        query = query.where(tuple_(GateTransaction.scanned_at, GateTransaction.id) < tuple_(at, ident))
    rows = list(
        await session.scalars(
            query.order_by(GateTransaction.scanned_at.desc(), GateTransaction.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].scanned_at, rows[-1].id) if more else None


# ---- arrivals against slots ----


async def arrivals(
    session: AsyncSession, principal: Principal, gate_code: str, day: date | None, tz: str
) -> ArrivalsOut:
    """For each slot of a day: capacity, booked, arrived (early, on time, late) and no-shows."""
    code = await _operator_gate(session, principal, gate_code)
    the_day, start, end = day_window(day, tz)
    slot_rows = list(
        await session.scalars(
            select(GateSlot)
            .where(GateSlot.gate_code == code, GateSlot.starts_at >= start, GateSlot.starts_at < end)
            .order_by(GateSlot.starts_at)
        )
    )
    appointments = list(
        await session.scalars(
            select(GateAppointment).where(
                GateAppointment.slot_id.in_([s.id for s in slot_rows]),
                GateAppointment.status != AppointmentStatus.CANCELLED,
            )
        )
    )
    now = utcnow()
    by_slot: dict[uuid.UUID, list[GateAppointment]] = {s.id: [] for s in slot_rows}
    for a in appointments:
        by_slot[a.slot_id].append(a)
    out: list[ArrivalSlotOut] = []
    for s in slot_rows:
        came = [a for a in by_slot[s.id] if a.gated_in_at is not None]
        waiting = [a for a in by_slot[s.id] if a.gated_in_at is None]
        out.append(
            ArrivalSlotOut(
                slot_id=s.id,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                capacity=s.capacity,
                booked=s.booked,
                arrived=len(came),
                early=sum(1 for a in came if a.gated_in_at and a.gated_in_at < s.starts_at),
                on_time=sum(1 for a in came if a.gated_in_at and s.starts_at <= a.gated_in_at <= s.ends_at),
                late=sum(1 for a in came if a.gated_in_at and a.gated_in_at > s.ends_at),
                no_show=len(waiting) if s.ends_at < now else 0,
                expected=len(waiting) if s.ends_at >= now else 0,
            )
        )
    return ArrivalsOut(
        gate_code=code,
        day=the_day,
        tz=tz,
        slots=out,
        capacity=sum(s.capacity for s in out),
        booked=sum(s.booked for s in out),
        arrived=sum(s.arrived for s in out),
        no_show=sum(s.no_show for s in out),
    )


# ---- dwell time ----


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def dwell(
    session: AsyncSession, principal: Principal, gate_code: str, frm: datetime | None, to: datetime | None
) -> DwellOut:
    """Time between gate-in and gate-out for trucks that came in during the period."""
    code = await _operator_gate(session, principal, gate_code)
    start, end = _period(frm, to)
    rows = list(
        await session.scalars(
            select(GateAppointment)
            .where(
                GateAppointment.gate_code == code,
                GateAppointment.gated_in_at >= start,
                GateAppointment.gated_in_at < end,
            )
            .order_by(GateAppointment.gated_in_at)
        )
    )
    items = []
    for a in rows:
        assert a.gated_in_at is not None
        minutes = (a.gated_out_at - a.gated_in_at).total_seconds() / 60 if a.gated_out_at else None
        items.append(
            DwellItemOut(
                appointment_id=a.id,
                reference=a.reference,
                truck_plate=a.truck_plate,
                container_number=a.container_number,
                kind=a.kind,
                gated_in_at=a.gated_in_at,
                gated_out_at=a.gated_out_at,
                minutes=round(minutes, 1) if minutes is not None else None,
            )
        )
    done = sorted(i.minutes for i in items if i.minutes is not None)
    return DwellOut(
        gate_code=code,
        period_from=start,
        period_to=end,
        completed=len(done),
        inside=sum(1 for i in items if i.minutes is None),
        average_minutes=round(statistics.fmean(done), 1) if done else None,
        p50_minutes=_percentile(done, 50),
        p90_minutes=_percentile(done, 90),
        max_minutes=done[-1] if done else None,
        items=items,
    )


# ---- denials ----


async def denials(
    session: AsyncSession, principal: Principal, gate_code: str, frm: datetime | None, to: datetime | None
) -> DenialsOut:
    """How scans were answered over a period and how often each reason came up."""
    code = await _operator_gate(session, principal, gate_code)
    start, end = _period(frm, to)
    rows = (
        await session.execute(
            select(GateTransaction.result, GateTransaction.reasons).where(
                GateTransaction.gate_code == code,
                GateTransaction.scanned_at >= start,
                GateTransaction.scanned_at < end,
                GateTransaction.override_of_id.is_(None),
            )
        )
    ).all()
    results = Counter(r for r, _ in rows)
    reasons: Counter[str] = Counter()
    for result, found in rows:
        if result is not ScanResult.ADMIT:
            reasons.update({x["code"] for x in found if x.get("severity") in ("deny", "inspect")})
    by_reason = [
        DenialReasonOut(
            code=c,
            severity=REASONS[c].severity if c in REASONS else "deny",
            en=LABELS.get(c, (c, c))[0],
            zh=LABELS.get(c, (c, c))[1],
            count=n,
        )
        for c, n in reasons.most_common()
    ]
    return DenialsOut(
        gate_code=code,
        period_from=start,
        period_to=end,
        scans=len(rows),
        admitted=results[ScanResult.ADMIT],
        denied=results[ScanResult.DENY],
        manual_inspection=results[ScanResult.MANUAL_INSPECTION],
        by_reason=by_reason,
    )


# ---- CSV ----


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text with a header row (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v.isoformat() if isinstance(v, datetime) else v for v in row])
    return buffer.getvalue()


async def transactions_csv(
    session: AsyncSession, principal: Principal, gate_code: str, frm: datetime | None, to: datetime | None
) -> str:
    """Every transaction of the period as CSV, oldest first."""
    code = await _operator_gate(session, principal, gate_code)
    start, end = _period(frm, to)
    rows = list(
        await session.scalars(
            select(GateTransaction)
            .where(
                and_(
                    GateTransaction.gate_code == code,
                    GateTransaction.scanned_at >= start,
                    GateTransaction.scanned_at < end,
                )
            )
            .order_by(GateTransaction.seq)
        )
    )
    views = await transaction_views(session, rows)
    return to_csv(
        [
            "scanned_at",
            "transaction",
            "lane",
            "direction",
            "result",
            "reasons",
            "reasons_zh",
            "plate_read",
            "container_read",
            "appointment",
            "waybill",
            "actor",
            "override_of",
            "override_reason",
        ],
        (
            [
                v.scanned_at,
                v.id,
                v.lane,
                v.direction.value,
                v.result.value,
                "; ".join(f"{r.code}: {r.en}" for r in v.reasons),
                "；".join(r.zh for r in v.reasons),
                v.plate_read,
                v.container_read,
                v.appointment_reference,
                v.waybill_number,
                v.actor,
                v.override_of,
                v.override_reason,
            ]
            for v in views
        ),
    )


def arrivals_csv(report: ArrivalsOut) -> str:
    """The arrivals report as CSV, one slot a row."""
    fields = ["starts_at", "ends_at", "capacity", "booked", "arrived", "early", "on_time", "late", "no_show"]
    return to_csv(fields, ([getattr(s, f) for f in fields] for s in report.slots))


def dwell_csv(report: DwellOut) -> str:
    """The dwell report as CSV, one truck a row."""
    fields = [
        "reference",
        "truck_plate",
        "container_number",
        "kind",
        "gated_in_at",
        "gated_out_at",
        "minutes",
    ]
    return to_csv(fields, ([getattr(i, f) for f in fields] for i in report.items))


def denials_csv(report: DenialsOut) -> str:
    """The denials report as CSV, one reason a row."""
    return to_csv(
        ["code", "severity", "count", "en", "zh"],
        ([r.code, r.severity, r.count, r.en, r.zh] for r in report.by_reason),
    )
