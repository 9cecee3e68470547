"""Rate cards per carrier and mode, and pricing one leg of a booking against them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from yidan.core import audit
from yidan.core.errors import Conflict, NotFound
from yidan.identity.principal import Principal
from yidan.settlement.access import require_tariff_admin
from yidan.settlement.models import ChargeBasis, ChargeCode, Tariff, TariffCharge
from yidan.settlement.money import round_minor, vat
from yidan.settlement.schemas import TariffIn

UNITS: dict[str, str] = {
    ChargeBasis.CONTAINER: "container",
    ChargeBasis.TEU: "TEU",
    ChargeBasis.KG: "kg",
    ChargeBasis.M3: "m3",
    ChargeBasis.SHIPMENT: "shipment",
    ChargeBasis.PERCENT_OF_FREIGHT: "percent",
}
# ISO 6346 size codes: the first character is the length
_LENGTHS = {"2": "20", "4": "40", "L": "45"}


@dataclass(frozen=True, slots=True)
class Cargo:
    """What pricing needs to know of a waybill's cargo and containers."""

    size_types: tuple[str, ...]
    gross_weight_kg: Decimal
    volume_m3: Decimal
    dangerous_goods: bool

    @property
    def reefer(self) -> bool:
        """True when a container is a reefer (ISO 6346 type group R)."""
        return any(len(st) >= 3 and st[2] == "R" for st in self.size_types)


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One charge on one leg, priced."""

    leg_seq: int
    carrier_org_id: uuid.UUID
    tariff_id: uuid.UUID
    charge_code: str
    description: str
    description_zh: str | None
    quantity: Decimal
    unit: str
    unit_amount_minor: int
    net_minor: int
    vat_rate_bp: int
    tax_minor: int


def length_class(size_type: str) -> str | None:
    """The container's length class ("20", "40", "45") from its ISO 6346 size-type code."""
    return _LENGTHS.get(size_type[:1].upper()) if size_type else None


def teu(size_type: str) -> Decimal:
    """Twenty-foot equivalent units of one container."""
    return Decimal(1) if length_class(size_type) == "20" else Decimal(2)


def _quantity(charge: TariffCharge, cargo: Cargo) -> Decimal:
    basis = ChargeBasis(charge.basis)
    if basis is ChargeBasis.CONTAINER:
        return Decimal(sum(1 for st in cargo.size_types if charge.size_class in (None, length_class(st))))
    if basis is ChargeBasis.TEU:
        return sum((teu(st) for st in cargo.size_types), Decimal(0))
    if basis is ChargeBasis.KG:
        return cargo.gross_weight_kg
    if basis is ChargeBasis.M3:
        return cargo.volume_m3
    return Decimal(1)


def _applies(charge: TariffCharge, cargo: Cargo) -> bool:
    code = charge.charge_code
    if code == ChargeCode.DANGEROUS_GOODS:
        return cargo.dangerous_goods
    if code == ChargeCode.REEFER:
        return cargo.reefer
    return True


def price_leg(tariff: Tariff, leg_seq: int, cargo: Cargo) -> list[PricedLine]:
    """Price one leg with a rate card: freight first, then surcharges (percentages of that freight)."""
    lines: list[PricedLine] = []
    freight = 0
    ordered = sorted(tariff.charges, key=lambda c: (c.basis == ChargeBasis.PERCENT_OF_FREIGHT, c.seq))
    for charge in ordered:
        if not _applies(charge, cargo):
            continue
        if charge.basis == ChargeBasis.PERCENT_OF_FREIGHT:
            quantity = Decimal(charge.rate) / Decimal(100)
            net = round_minor(Decimal(freight) * Decimal(charge.rate) / Decimal(10_000))
            unit_amount = freight
        else:
            quantity = _quantity(charge, cargo)
            if quantity <= 0:
                continue
            unit_amount = charge.rate
            net = round_minor(quantity * Decimal(charge.rate))
        net = max(net, charge.minimum_minor)
        if net <= 0:
            continue
        if charge.charge_code == ChargeCode.FREIGHT:
            freight += net
        lines.append(
            PricedLine(
                leg_seq=leg_seq,
                carrier_org_id=tariff.org_id,
                tariff_id=tariff.id,
                charge_code=charge.charge_code,
                description=charge.description,
                description_zh=charge.description_zh,
                quantity=quantity.quantize(Decimal("0.001")),
                unit=UNITS[ChargeBasis(charge.basis)],
                unit_amount_minor=unit_amount,
                net_minor=net,
                vat_rate_bp=charge.vat_rate_bp,
                tax_minor=vat(net, charge.vat_rate_bp),
            )
        )
    return lines


async def find_tariff(
    session: AsyncSession, *, carrier_id: uuid.UUID, mode: str, from_unlocode: str, to_unlocode: str, on: date
) -> Tariff | None:
    """The carrier's rate card for a leg on a date: a lane-specific card before a general one."""
    rows = await session.scalars(
        select(Tariff)
        .where(
            Tariff.org_id == carrier_id,
            Tariff.mode == mode,
            Tariff.valid_from <= on,
            or_(Tariff.valid_to.is_(None), Tariff.valid_to >= on),
            or_(Tariff.from_unlocode.is_(None), Tariff.from_unlocode == from_unlocode),
            or_(Tariff.to_unlocode.is_(None), Tariff.to_unlocode == to_unlocode),
        )
        .options(selectinload(Tariff.charges))
    )
    candidates = list(rows)
    if not candidates:
        return None

    def specificity(t: Tariff) -> tuple[int, date]:
        return (int(t.from_unlocode is not None) + int(t.to_unlocode is not None), t.valid_from)

    return max(candidates, key=specificity)


def tariff_rows(org_id: uuid.UUID, data: TariffIn) -> Tariff:
    """A rate card row with its charges (not yet added to a session)."""
    tariff = Tariff(
        org_id=org_id,
        code=data.code,
        name=data.name,
        mode=data.mode.value,
        from_unlocode=data.from_unlocode.upper() if data.from_unlocode else None,
        to_unlocode=data.to_unlocode.upper() if data.to_unlocode else None,
        currency=data.currency,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
    )
    tariff.charges = [
        TariffCharge(
            seq=i + 1,
            charge_code=c.charge_code.value,
            basis=c.basis.value,
            size_class=c.size_class,
            rate=c.rate,
            minimum_minor=c.minimum_minor,
            vat_rate_bp=c.vat_rate_bp,
            description=c.description,
            description_zh=c.description_zh,
        )
        for i, c in enumerate(data.charges)
    ]
    return tariff


async def create_tariff(session: AsyncSession, principal: Principal, data: TariffIn) -> Tariff:
    """Publish a rate card for the caller's organisation; codes are unique per organisation."""
    require_tariff_admin(principal)
    if await session.scalar(
        select(Tariff.id).where(Tariff.org_id == principal.org_id, Tariff.code == data.code)
    ):
        raise Conflict(f"your organisation already has a rate card {data.code}", code="tariff_exists")
    tariff = tariff_rows(principal.org_id, data)
    session.add(tariff)
    await session.flush()
    await audit.record(
        session,
        principal,
        action="tariff.create",
        object_type="tariff",
        object_id=str(tariff.id),
        changes={"code": data.code, "mode": data.mode.value, "charges": len(data.charges)},
    )
    return await get_tariff(session, principal, tariff.id)


async def get_tariff(session: AsyncSession, principal: Principal, tariff_id: uuid.UUID) -> Tariff:
    """One of the caller's organisation's rate cards; else 404."""
    tariff = await session.scalar(
        select(Tariff)
        .where(Tariff.id == tariff_id, Tariff.org_id == principal.org_id)
        .options(selectinload(Tariff.charges))
        .execution_options(populate_existing=True)
    )
    if tariff is None:
        raise NotFound(f"rate card {tariff_id} not found")
    return tariff


async def list_tariffs(session: AsyncSession, principal: Principal) -> Sequence[Tariff]:
    """The caller's organisation's rate cards, newest validity first."""
    rows = await session.scalars(
        select(Tariff)
        .where(Tariff.org_id == principal.org_id)
        .options(selectinload(Tariff.charges))
        .order_by(Tariff.mode, Tariff.valid_from.desc(), Tariff.code)
    )
    return list(rows)
