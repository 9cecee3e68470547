"""Quotes: a booking priced leg by leg from each carrier's rate card; frozen once the shipper accepts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta, timezone
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.clock import utcnow
from yidan.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from yidan.identity.principal import Principal
from yidan.settlement.access import require_payer
from yidan.settlement.models import Quote, QuoteLine, QuoteStatus
from yidan.settlement.tariffs import Cargo, PricedLine, find_tariff, price_leg
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import WaybillStatus
from yidan.waybills.models import Waybill

QUOTE_VALIDITY = timedelta(days=7)
# rate cards are dated in China Standard Time, the carriers' business day
CST = timezone(timedelta(hours=8), "CST")


def cargo_of(waybill: Waybill) -> Cargo:
    """The pricing view of a loaded waybill's cargo and containers."""
    return Cargo(
        size_types=tuple(e.size_type for e in waybill.equipment),
        gross_weight_kg=sum((Decimal(str(c.gross_weight_kg)) for c in waybill.cargo_lines), Decimal(0)),
        volume_m3=sum((Decimal(str(c.volume_m3 or 0)) for c in waybill.cargo_lines), Decimal(0)),
        dangerous_goods=waybills.has_dangerous_goods(waybill),
    )


async def price_waybill(session: AsyncSession, waybill: Waybill) -> tuple[str, list[PricedLine]]:
    """Price every leg; every leg needs a valid rate card and all must share one currency."""
    cargo = cargo_of(waybill)
    lines: list[PricedLine] = []
    errors: list[dict[str, str]] = []
    currencies: set[str] = set()
    for i, leg in enumerate(waybill.legs):
        on = leg.planned_departure.astimezone(CST).date()
        tariff = await find_tariff(
            session,
            carrier_id=leg.carrier_org_id,
            mode=leg.mode.value,
            from_unlocode=leg.from_unlocode,
            to_unlocode=leg.to_unlocode,
            on=on,
        )
        if tariff is None:
            errors.append(
                {
                    "field": f"legs[{i}]",
                    "message": f"the carrier of leg {leg.seq} has no {leg.mode.value} rate card for {on}",
                }
            )
            continue
        currencies.add(tariff.currency)
        lines.extend(price_leg(tariff, leg.seq, cargo))
    if not errors and len(currencies) > 1:
        errors.append(
            {"field": "legs", "message": f"the legs are priced in several currencies: {sorted(currencies)}"}
        )
    if errors:
        raise ValidationFailed(
            f"{errors[0]['field']}: {errors[0]['message']}", errors=errors, code="unpriced"
        )
    return currencies.pop(), lines


def _owner(principal: Principal, waybill: Waybill) -> None:
    if "owner" not in waybills.relations(principal, waybill):
        raise NotFound(f"waybill {waybill.number} not found")


async def quote_waybill(session: AsyncSession, principal: Principal, number: str) -> Quote:
    """Offer a new quote for the caller's waybill (earlier offers are superseded)."""
    waybill = await waybills.get_waybill(session, principal, number, lock=True)
    _owner(principal, waybill)
    require_payer(principal)
    if waybill.status is WaybillStatus.CANCELLED:
        raise IllegalTransition(f"waybill {waybill.number} is cancelled", code="waybill_cancelled")
    accepted = await session.scalar(
        select(Quote.id).where(Quote.waybill_id == waybill.id, Quote.status == QuoteStatus.ACCEPTED)
    )
    if accepted is not None:
        raise Conflict(f"waybill {waybill.number} already has an accepted quote", code="quote_frozen")
    currency, priced = await price_waybill(session, waybill)
    await session.execute(
        update(Quote)
        .where(Quote.waybill_id == waybill.id, Quote.status == QuoteStatus.OFFERED)
        .values(status=QuoteStatus.SUPERSEDED)
    )
    now = utcnow()
    quote = Quote(
        waybill_id=waybill.id,
        org_id=waybill.org_id,
        # the carrier of the first leg contracts for the whole journey and issues the one invoice
        seller_org_id=waybill.legs[0].carrier_org_id,
        status=QuoteStatus.OFFERED,
        currency=currency,
        subtotal_minor=sum(p.net_minor for p in priced),
        tax_minor=sum(p.tax_minor for p in priced),
        total_minor=sum(p.net_minor + p.tax_minor for p in priced),
        priced_at=now,
        valid_until=now + QUOTE_VALIDITY,
    )
    quote.lines = [
        QuoteLine(
            seq=i + 1,
            leg_seq=p.leg_seq,
            carrier_org_id=p.carrier_org_id,
            tariff_id=p.tariff_id,
            charge_code=p.charge_code,
            description=p.description,
            description_zh=p.description_zh,
            quantity=p.quantity,
            unit=p.unit,
            unit_amount_minor=p.unit_amount_minor,
            net_minor=p.net_minor,
            vat_rate_bp=p.vat_rate_bp,
            tax_minor=p.tax_minor,
        )
        for i, p in enumerate(priced)
    ]
    session.add(quote)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="quote.offer",
        object_type="waybill",
        object_id=waybill.number,
        changes={"quote": str(quote.id), "total_minor": quote.total_minor, "currency": currency},
    )
    return await get_quote(session, principal, quote.id)


def _visible(principal: Principal):  # type: ignore[no-untyped-def]
    return or_(Quote.org_id == principal.org_id, Quote.seller_org_id == principal.org_id)


async def get_quote(session: AsyncSession, principal: Principal, quote_id: uuid.UUID) -> Quote:
    """A quote of the caller's organisation (as shipper or seller); else 404."""
    quote = await session.scalar(
        select(Quote)
        .where(Quote.id == quote_id, _visible(principal))
        .options(selectinload(Quote.lines))
        .execution_options(populate_existing=True)
    )
    if quote is None:
        raise NotFound(f"quote {quote_id} not found")
    return quote


async def accept_quote(session: AsyncSession, principal: Principal, quote_id: uuid.UUID) -> Quote:
    """The shipper accepts an offered quote before it expires; it is frozen from then on."""
    quote = await session.scalar(
        select(Quote).where(Quote.id == quote_id, Quote.org_id == principal.org_id).with_for_update()
    )
    if quote is None:
        raise NotFound(f"quote {quote_id} not found")
    require_payer(principal)
    if quote.status != QuoteStatus.OFFERED:
        raise IllegalTransition(f"quote {quote_id} is {quote.status}; only an offered quote can be accepted")
    now = utcnow()
    if quote.valid_until < now:
        raise IllegalTransition(
            f"quote {quote_id} expired at {quote.valid_until:%Y-%m-%d %H:%M} UTC", code="quote_expired"
        )
    quote.status = QuoteStatus.ACCEPTED
    quote.accepted_at = now
    quote.accepted_by = principal.user_id
    await session.flush()
    number = await session.scalar(select(Waybill.number).where(Waybill.id == quote.waybill_id))
    await audit.record(
        session,
        principal,
        action="quote.accept",
        object_type="waybill",
        object_id=str(number),
        changes={"quote": str(quote.id), "total_minor": quote.total_minor, "currency": quote.currency},
    )
    return await get_quote(session, principal, quote.id)


async def quotes_for(session: AsyncSession, principal: Principal, number: str) -> Sequence[Quote]:
    """The quotes of a waybill the caller's organisation may see, newest first."""
    waybill = await waybills.get_waybill(session, principal, number)
    rows = await session.scalars(
        select(Quote)
        .where(Quote.waybill_id == waybill.id, _visible(principal))
        .options(selectinload(Quote.lines))
        .order_by(Quote.created_at.desc())
    )
    return list(rows)


async def accepted_quote(session: AsyncSession, waybill_id: uuid.UUID) -> Quote | None:
    """The frozen quote of a waybill, if the shipper accepted one."""
    return await session.scalar(
        select(Quote)
        .where(Quote.waybill_id == waybill_id, Quote.status == QuoteStatus.ACCEPTED)
        .options(selectinload(Quote.lines))
    )
