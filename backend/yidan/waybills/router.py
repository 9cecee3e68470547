"""REST routes for waybills, their lifecycle, events, documents and public tracking."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, status

from yidan.core.db import SessionDep
from yidan.identity.deps import PrincipalDep
from yidan.waybills import service, views
from yidan.waybills.documents import render_waybill_pdf
from yidan.waybills.lifecycle import Mode, WaybillStatus
from yidan.waybills.schemas import (
    AuditOut,
    EventIn,
    EventOut,
    PublicTrackingOut,
    StatusIn,
    WaybillIn,
    WaybillOut,
    WaybillPageOut,
    WaybillPatch,
)

router = APIRouter(prefix="/api/v1", tags=["waybills"])
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])


def _ctx(request: Request) -> tuple[str, str]:
    settings = request.app.state.settings
    return settings.public_base_url, request.app.state.secret


async def _out(request: Request, session: SessionDep, principal: PrincipalDep, number: str) -> WaybillOut:
    base, secret = _ctx(request)
    waybill = await service.get_waybill(session, principal, number)
    return await views.waybill_out(session, principal, waybill, base_url=base, secret=secret)


@router.post(
    "/waybills", response_model=WaybillOut, status_code=status.HTTP_201_CREATED, summary="Create a waybill"
)
async def create_waybill(
    request: Request, session: SessionDep, principal: PrincipalDep, body: WaybillIn
) -> WaybillOut:
    """Create a draft waybill (or book it at once with `book: true`)."""
    waybill = await service.create_waybill(session, principal, body)
    return await _out(request, session, principal, waybill.number)


@router.get("/waybills", response_model=WaybillPageOut, summary="List waybills")
async def list_waybills(
    session: SessionDep,
    principal: PrincipalDep,
    status_: Annotated[list[WaybillStatus] | None, Query(alias="status")] = None,
    mode: Mode | None = None,
    q: Annotated[str | None, Query(max_length=100, description="number, party name or container")] = None,
    dangerous_goods: bool | None = None,
    origin: Annotated[str | None, Query(max_length=5)] = None,
    destination: Annotated[str | None, Query(max_length=5)] = None,
    relation: Literal["owner", "carrier", "consignee"] | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> WaybillPageOut:
    """Waybills the caller may see, newest first, with cursor pagination."""
    flt = service.WaybillFilter(
        status=status_ or [],
        mode=mode,
        q=q,
        dangerous_goods=dangerous_goods,
        origin=origin,
        destination=destination,
        relation=relation,
        created_from=created_from,
        created_to=created_to,
    )
    rows, next_cursor = await service.list_waybills(session, principal, flt, limit=limit, cursor=cursor)
    return WaybillPageOut(items=await views.summaries(session, rows), next_cursor=next_cursor)


@router.get("/waybills/{number}", response_model=WaybillOut, summary="One waybill")
async def get_waybill(
    request: Request, session: SessionDep, principal: PrincipalDep, number: str
) -> WaybillOut:
    """The whole waybill: parties, cargo, equipment, legs and timeline."""
    return await _out(request, session, principal, number)


@router.patch("/waybills/{number}", response_model=WaybillOut, summary="Edit a draft")
async def edit_waybill(
    request: Request, session: SessionDep, principal: PrincipalDep, number: str, body: WaybillPatch
) -> WaybillOut:
    """Change a draft waybill; lists given replace the whole list."""
    await service.update_draft(session, principal, number, body)
    return await _out(request, session, principal, number)


@router.post("/waybills/{number}/status", response_model=WaybillOut, summary="Change status")
async def change_status(
    request: Request, session: SessionDep, principal: PrincipalDep, number: str, body: StatusIn
) -> WaybillOut:
    """Move the waybill along draft → booked → in_transit → delivered → closed, or cancel it."""
    await service.change_status(session, principal, number, body.status, body.reason)
    return await _out(request, session, principal, number)


@router.get("/waybills/{number}/events", response_model=list[EventOut], summary="Timeline")
async def events(
    request: Request, session: SessionDep, principal: PrincipalDep, number: str
) -> list[EventOut]:
    """The waybill's events in order."""
    return (await _out(request, session, principal, number)).events


@router.post(
    "/waybills/{number}/events",
    response_model=EventOut,
    status_code=status.HTTP_201_CREATED,
    summary="Post an event",
)
async def post_event(
    request: Request, session: SessionDep, principal: PrincipalDep, number: str, body: EventIn
) -> EventOut:
    """Append a Track & Trace event for a leg; only that leg's carrier may."""
    event = await service.post_event(session, principal, number, body)
    out = await _out(request, session, principal, number)
    return next(e for e in out.events if e.id == event.id)


@router.get("/waybills/{number}/audit", response_model=list[AuditOut], summary="Audit trail")
async def audit_trail(session: SessionDep, principal: PrincipalDep, number: str) -> list[AuditOut]:
    """Who changed what on this waybill, when, and from where."""
    return [AuditOut.model_validate(a) for a in await service.audit_trail(session, principal, number)]


@router.get(
    "/waybills/{number}/document.pdf",
    summary="E-waybill PDF",
    responses={200: {"content": {"application/pdf": {}}}},
)
async def document(request: Request, session: SessionDep, principal: PrincipalDep, number: str) -> Response:
    """The printable e-waybill in Chinese and English, with a QR code to its public tracking page."""
    base, secret = _ctx(request)
    waybill = await service.get_waybill(session, principal, number)
    doc = await views.document_for(session, waybill, url=views.tracking_url(base, secret, waybill.number))
    pdf = await asyncio.to_thread(render_waybill_pdf, doc)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{waybill.number}.pdf"'},
    )


@public_router.get("/track/{number}", response_model=PublicTrackingOut, summary="Public tracking")
async def public_track(
    request: Request, session: SessionDep, number: str, k: Annotated[str, Query(max_length=64)] = ""
) -> PublicTrackingOut:
    """Route and milestones for whoever holds the e-waybill's QR link; no parties or cargo."""
    return await views.public_tracking(session, number, k, secret=request.app.state.secret)
