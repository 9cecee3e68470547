"""REST routes for gates: lanes, slots, appointments, passes (QR, PDF, driver link), scans and reports."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from yidan.core import audit
from yidan.core.db import SessionDep
from yidan.gates import appointments, passes, reports, scans, slots
from yidan.gates.access import gate_and_terminal, require_operator
from yidan.gates.config import DEFAULT_TZ, GateConfig, config_for
from yidan.gates.documents import driver_page, qr_png, qr_svg, render_pass_pdf
from yidan.gates.models import AppointmentStatus, ScanResult
from yidan.gates.schemas import (
    AppointmentIn,
    AppointmentOut,
    ArrivalsOut,
    DenialsOut,
    DwellOut,
    JwkOut,
    LaneOut,
    LanesIn,
    OverrideIn,
    PassKeysOut,
    PassOut,
    ReasonIn,
    RescheduleIn,
    RevokedPassOut,
    ScanIn,
    SlotOut,
    SlotPatch,
    SlotsIn,
    TransactionOut,
    TransactionPageOut,
)
from yidan.gates.tokens import __doc__ as TOKEN_DOC
from yidan.identity.deps import PrincipalDep
from yidan.waybills.schemas import AuditOut

router = APIRouter(prefix="/api/v1/gates", tags=["gates"])
public_router = APIRouter(prefix="/api/v1/public/gate-passes", tags=["public"])


def _media(kind: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {kind: {}}}}


PNG, SVG, PDF, CSV = (
    _media("image/png"),
    _media("image/svg+xml"),
    _media("application/pdf"),
    _media("text/csv"),
)


def gate_config(request: Request) -> GateConfig:
    """The gate configuration of this app."""
    return config_for(request.app.state.settings, request.app.state.secret)


ConfigDep = Annotated[GateConfig, Depends(gate_config)]
TzQuery = Annotated[str, Query(max_length=40, description="IANA time zone of the day")]


class CsvReport(StrEnum):
    """The gate reports that export as CSV."""

    TRANSACTIONS = "transactions"
    ARRIVALS = "arrivals"
    DWELL = "dwell"
    DENIALS = "denials"


# ---- keys (public) ----


@router.get("/pass-keys", response_model=PassKeysOut, summary="Keys that verify gate passes offline")
async def pass_keys(cfg: ConfigDep) -> PassKeysOut:
    """The Ed25519 public keys (JWK) a lane needs to verify a pass token without calling Yidan."""
    return PassKeysOut(
        keys=[JwkOut.model_validate(k) for k in cfg.keys.jwks()],
        token_format=" ".join((TOKEN_DOC or "").split()),
    )


# ---- appointments ----


@router.post(
    "/appointments", response_model=AppointmentOut, status_code=status.HTTP_201_CREATED, summary="Book a slot"
)
async def book(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, body: AppointmentIn
) -> AppointmentOut:
    """Book a truck into a slot for a TRUCK leg's pickup or drop-off; the gate pass is issued at once."""
    return appointments.appointment_out(await appointments.book(session, principal, body, cfg.keys.kid), cfg)


@router.get("/appointments", response_model=list[AppointmentOut], summary="Appointments")
async def list_appointments(
    session: SessionDep,
    principal: PrincipalDep,
    cfg: ConfigDep,
    gate: Annotated[str | None, Query(max_length=30)] = None,
    day: date | None = None,
    tz: TzQuery = DEFAULT_TZ,
    status_: Annotated[list[AppointmentStatus] | None, Query(alias="status")] = None,
    waybill: Annotated[str | None, Query(max_length=16)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[AppointmentOut]:
    """Appointments the caller may see, by slot time; narrowed to a local day when `day` is given."""
    frm = to = None
    if day is not None:
        _, frm, to = slots.day_window(day, tz)
    rows = await appointments.list_appointments(
        session,
        principal,
        gate_code=gate,
        frm=frm,
        to=to,
        status=status_ or (),
        waybill_number=waybill,
        limit=limit,
    )
    return [appointments.appointment_out(b, cfg) for b in rows]


@router.get("/appointments/{appointment_id}", response_model=AppointmentOut, summary="One appointment")
async def get_appointment(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, appointment_id: uuid.UUID
) -> AppointmentOut:
    """An appointment with its slot and current pass."""
    return appointments.appointment_out(await appointments.load(session, principal, appointment_id), cfg)


@router.post("/appointments/{appointment_id}/reschedule", response_model=AppointmentOut, summary="Reschedule")
async def reschedule(
    session: SessionDep,
    principal: PrincipalDep,
    cfg: ConfigDep,
    appointment_id: uuid.UUID,
    body: RescheduleIn,
) -> AppointmentOut:
    """Move to another slot or change truck or driver; the old pass is revoked and a new one issued."""
    b = await appointments.reschedule(session, principal, appointment_id, body, cfg.keys.kid)
    return appointments.appointment_out(b, cfg)


@router.post("/appointments/{appointment_id}/cancel", response_model=AppointmentOut, summary="Cancel")
async def cancel(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, appointment_id: uuid.UUID, body: ReasonIn
) -> AppointmentOut:
    """Cancel an appointment: the place returns to the slot and the pass is revoked."""
    b = await appointments.cancel(session, principal, appointment_id, body.reason)
    return appointments.appointment_out(b, cfg)


@router.post("/appointments/{appointment_id}/pass", response_model=AppointmentOut, summary="Issue a new pass")
async def reissue(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, appointment_id: uuid.UUID, body: ReasonIn
) -> AppointmentOut:
    """Issue a fresh pass (e.g. after the old one was revoked); a pass still active is revoked first."""
    b = await appointments.reissue_pass(session, principal, appointment_id, body.reason, cfg.keys.kid)
    return appointments.appointment_out(b, cfg)


@router.get("/appointments/{appointment_id}/audit", response_model=list[AuditOut], summary="Audit trail")
async def appointment_audit(
    session: SessionDep, principal: PrincipalDep, appointment_id: uuid.UUID
) -> list[AuditOut]:
    """Booking, reschedules, cancellation and the passes issued and revoked, oldest first."""
    b = await appointments.load(session, principal, appointment_id)
    entries = await audit.trail(session, "gate_appointment", b.appointment.reference)
    for p in await appointments.all_passes(session, b.appointment.id):
        entries += await audit.trail(session, "gate_pass", str(p.id))
    return [AuditOut.model_validate(e) for e in sorted(entries, key=lambda e: e.id)]


# ---- passes ----


@router.get("/passes/{pass_id}", response_model=PassOut, summary="A gate pass")
async def get_pass(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, pass_id: uuid.UUID
) -> PassOut:
    """A pass with its token and links."""
    b = await appointments.load_by_pass(session, principal, pass_id)
    assert b.gate_pass is not None
    return passes.pass_out(b.gate_pass, b.appointment, b.gate, cfg)


@router.post("/passes/{pass_id}/revoke", response_model=PassOut, summary="Revoke a pass")
async def revoke_pass(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, pass_id: uuid.UUID, body: ReasonIn
) -> PassOut:
    """Revoke a pass; lanes refuse it from now on."""
    b = await appointments.revoke_pass(session, principal, pass_id, body.reason)
    assert b.gate_pass is not None
    return passes.pass_out(b.gate_pass, b.appointment, b.gate, cfg)


async def _bundle(session: SessionDep, principal: PrincipalDep, pass_id: uuid.UUID) -> passes.PassBundle:
    await appointments.load_by_pass(session, principal, pass_id)
    found = await passes.bundle(session, pass_id)
    assert found is not None
    return found


@router.get("/passes/{pass_id}/qr.png", summary="Pass QR code (PNG)", response_class=Response, responses=PNG)
async def pass_png(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, pass_id: uuid.UUID
) -> Response:
    """The pass token as a PNG QR code."""
    found = await _bundle(session, principal, pass_id)
    return Response(
        await asyncio.to_thread(qr_png, passes.token_for(found.gate_pass, cfg)), media_type="image/png"
    )


@router.get("/passes/{pass_id}/qr.svg", summary="Pass QR code (SVG)", response_class=Response, responses=SVG)
async def pass_svg(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, pass_id: uuid.UUID
) -> Response:
    """The pass token as an SVG QR code."""
    found = await _bundle(session, principal, pass_id)
    return Response(qr_svg(passes.token_for(found.gate_pass, cfg)), media_type="image/svg+xml")


@router.get(
    "/passes/{pass_id}/pass.pdf", summary="Printable pass (PDF)", response_class=Response, responses=PDF
)
async def pass_pdf(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, pass_id: uuid.UUID
) -> Response:
    """The pass as a one-page bilingual A5 PDF."""
    found = await _bundle(session, principal, pass_id)
    pdf = await asyncio.to_thread(render_pass_pdf, found.document(cfg))
    name = f"gate-pass-{found.appointment.reference}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


# ---- the driver's link (no login: the key in the link is the credential) ----


@public_router.get("/{pass_id}", response_class=HTMLResponse, summary="Driver's pass page")
async def driver_pass(
    session: SessionDep, cfg: ConfigDep, pass_id: uuid.UUID, k: Annotated[str, Query(max_length=64)] = ""
) -> HTMLResponse:
    """The page the driver opens from the text message: the QR code to show at the lane."""
    found = await passes.public_bundle(session, pass_id, k, cfg)
    svg = qr_svg(passes.token_for(found.gate_pass, cfg))
    return HTMLResponse(
        driver_page(found.document(cfg, public=True), svg), headers={"Cache-Control": "no-store"}
    )


@public_router.get(
    "/{pass_id}/qr.png", summary="Driver's QR code (PNG)", response_class=Response, responses=PNG
)
async def driver_png(
    session: SessionDep, cfg: ConfigDep, pass_id: uuid.UUID, k: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """The pass QR code for the driver's link."""
    found = await passes.public_bundle(session, pass_id, k, cfg)
    return Response(
        await asyncio.to_thread(qr_png, passes.token_for(found.gate_pass, cfg)), media_type="image/png"
    )


@public_router.get(
    "/{pass_id}/qr.svg", summary="Driver's QR code (SVG)", response_class=Response, responses=SVG
)
async def driver_svg(
    session: SessionDep, cfg: ConfigDep, pass_id: uuid.UUID, k: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """The pass QR code for the driver's link, as SVG."""
    found = await passes.public_bundle(session, pass_id, k, cfg)
    return Response(qr_svg(passes.token_for(found.gate_pass, cfg)), media_type="image/svg+xml")


@public_router.get(
    "/{pass_id}/pass.pdf", summary="Driver's pass (PDF)", response_class=Response, responses=PDF
)
async def driver_pdf(
    session: SessionDep, cfg: ConfigDep, pass_id: uuid.UUID, k: Annotated[str, Query(max_length=64)] = ""
) -> Response:
    """The printable pass for the driver's link."""
    found = await passes.public_bundle(session, pass_id, k, cfg)
    pdf = await asyncio.to_thread(render_pass_pdf, found.document(cfg, public=True))
    return Response(pdf, media_type="application/pdf")


# ---- slots ----


@router.patch("/slots/{slot_id}", response_model=SlotOut, summary="Change a slot's capacity")
async def patch_slot(
    session: SessionDep, principal: PrincipalDep, slot_id: uuid.UUID, body: SlotPatch
) -> SlotOut:
    """Raise or lower a slot's capacity (never below what is booked)."""
    return slots.slot_out(await slots.change_capacity(session, principal, slot_id, body.capacity))


# ---- transactions ----


@router.get("/transactions/{transaction_id}", response_model=TransactionOut, summary="A gate transaction")
async def get_transaction(
    session: SessionDep, principal: PrincipalDep, transaction_id: uuid.UUID
) -> TransactionOut:
    """One stored scan or override with its answer and reasons."""
    row = await reports.get_transaction(session, principal, transaction_id)
    return (await reports.transaction_views(session, [row]))[0]


@router.post(
    "/transactions/{transaction_id}/override",
    response_model=TransactionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Manual override",
)
async def override(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, transaction_id: uuid.UUID, body: OverrideIn
) -> TransactionOut:
    """A gate operator admits or denies a denied or inspected scan, giving the reason; audited."""
    row = await scans.override(session, principal, transaction_id, body, cfg)
    return (await reports.transaction_views(session, [row]))[0]


# ---- one gate ----


@router.get("/{gate}/lanes", response_model=list[LaneOut], summary="Lanes of a gate")
async def lanes(session: SessionDep, _: PrincipalDep, gate: str) -> list[LaneOut]:
    """The lanes the terminal has published for this gate."""
    g, _t = await gate_and_terminal(session, gate)
    return [LaneOut.model_validate(lane) for lane in await slots.list_lanes(session, g.code)]


@router.put("/{gate}/lanes", response_model=list[LaneOut], summary="Publish lanes")
async def put_lanes(session: SessionDep, principal: PrincipalDep, gate: str, body: LanesIn) -> list[LaneOut]:
    """Create or change lanes of a gate (its terminal's operators)."""
    return [
        LaneOut.model_validate(lane) for lane in await slots.publish_lanes(session, principal, gate, body)
    ]


@router.get("/{gate}/slots", response_model=list[SlotOut], summary="Slots of a gate")
async def list_slots(
    session: SessionDep,
    _: PrincipalDep,
    gate: str,
    day: date | None = None,
    tz: TzQuery = DEFAULT_TZ,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> list[SlotOut]:
    """Slots with their free places: one local day (today by default), or a from/to period."""
    g, _t = await gate_and_terminal(session, gate)
    if from_ is None or to is None:
        _day, from_, to = slots.day_window(day, tz)
    return [slots.slot_out(s) for s in await slots.list_slots(session, g.code, from_, to)]


@router.post(
    "/{gate}/slots",
    response_model=list[SlotOut],
    status_code=status.HTTP_201_CREATED,
    summary="Publish slots",
)
async def post_slots(session: SessionDep, principal: PrincipalDep, gate: str, body: SlotsIn) -> list[SlotOut]:
    """Publish slots for a window, cut into slot_minutes pieces, each with the given capacity."""
    return [slots.slot_out(s) for s in await slots.publish_slots(session, principal, gate, body)]


@router.get(
    "/{gate}/appointments", response_model=list[AppointmentOut], summary="A gate's appointments of a day"
)
async def gate_appointments(
    session: SessionDep,
    principal: PrincipalDep,
    cfg: ConfigDep,
    gate: str,
    day: date | None = None,
    tz: TzQuery = DEFAULT_TZ,
) -> list[AppointmentOut]:
    """The appointments of one local day at the gate (today by default), by slot time."""
    g, _t = await gate_and_terminal(session, gate)
    _, frm, to = slots.day_window(day, tz)
    rows = await appointments.list_appointments(
        session, principal, gate_code=g.code, frm=frm, to=to, limit=2000
    )
    return [appointments.appointment_out(b, cfg) for b in rows]


@router.get("/{gate}/passes/revoked", response_model=list[RevokedPassOut], summary="Revoked passes")
async def revoked(
    session: SessionDep, principal: PrincipalDep, gate: str, since: datetime | None = None
) -> list[RevokedPassOut]:
    """Passes of this gate revoked since a moment and still within their window, for offline lanes."""
    g, t = await gate_and_terminal(session, gate)
    require_operator(principal, t, lane_device=True)
    rows = await passes.revoked_since(session, g.code, since or datetime.fromtimestamp(0).astimezone())
    return [
        RevokedPassOut(id=p.id, revoked_at=p.revoked_at, valid_to=p.valid_to) for p in rows if p.revoked_at
    ]


@router.post(
    "/{gate}/scans", response_model=TransactionOut, status_code=status.HTTP_201_CREATED, summary="Lane scan"
)
async def scan(
    session: SessionDep, principal: PrincipalDep, cfg: ConfigDep, gate: str, body: ScanIn
) -> TransactionOut:
    """Check a scanned pass, the plate and container read at the lane, and answer admit, deny or inspect."""
    row = await scans.scan(session, principal, gate, body, cfg)
    return (await reports.transaction_views(session, [row]))[0]


@router.get("/{gate}/transactions", response_model=TransactionPageOut, summary="Gate transactions")
async def transactions(
    session: SessionDep,
    principal: PrincipalDep,
    gate: str,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    result: ScanResult | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> TransactionPageOut:
    """The gate's scans and overrides, newest first (today by default)."""
    rows, nxt = await reports.list_transactions(
        session, principal, gate, frm=from_, to=to, result=result, limit=limit, cursor=cursor
    )
    return TransactionPageOut(items=await reports.transaction_views(session, rows), next_cursor=nxt)


@router.get("/{gate}/reports/arrivals", response_model=ArrivalsOut, summary="Arrivals against slots")
async def arrivals(
    session: SessionDep, principal: PrincipalDep, gate: str, day: date | None = None, tz: TzQuery = DEFAULT_TZ
) -> ArrivalsOut:
    """Per slot of a local day: capacity, booked, arrived early, on time or late, and no-shows."""
    return await reports.arrivals(session, principal, gate, day, tz)


@router.get("/{gate}/reports/dwell", response_model=DwellOut, summary="Dwell time")
async def dwell(
    session: SessionDep,
    principal: PrincipalDep,
    gate: str,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> DwellOut:
    """Minutes between gate-in and gate-out for trucks that came in during the period (today by default)."""
    return await reports.dwell(session, principal, gate, from_, to)


@router.get("/{gate}/reports/denials", response_model=DenialsOut, summary="Denials by reason")
async def denials(
    session: SessionDep,
    principal: PrincipalDep,
    gate: str,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> DenialsOut:
    """How scans were answered and how often each reason came up (today by default)."""
    return await reports.denials(session, principal, gate, from_, to)


@router.get("/{gate}/reports/{report}.csv", summary="Report as CSV", response_class=Response, responses=CSV)
async def report_csv(
    session: SessionDep,
    principal: PrincipalDep,
    gate: str,
    report: CsvReport,
    day: date | None = None,
    tz: TzQuery = DEFAULT_TZ,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> Response:
    """Transactions, arrivals (by `day`), dwell or denials (by `from`/`to`) as CSV for a spreadsheet."""
    if report is CsvReport.TRANSACTIONS:
        text = await reports.transactions_csv(session, principal, gate, from_, to)
    elif report is CsvReport.ARRIVALS:
        text = reports.arrivals_csv(await reports.arrivals(session, principal, gate, day, tz))
    elif report is CsvReport.DWELL:
        text = reports.dwell_csv(await reports.dwell(session, principal, gate, from_, to))
    else:
        text = reports.denials_csv(await reports.denials(session, principal, gate, from_, to))
    name = f"{gate.upper()}-{report.value}.csv"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# what the app mounts: the authenticated gate API and the driver's keyed links
routes = APIRouter()
routes.include_router(router)
routes.include_router(public_router)
