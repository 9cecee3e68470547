"""Demo settlement data: rate cards for the demo carriers, quotes and invoices for the demo waybills
(seeded with the rest of the demo), and a few payments made through localstripe in test mode."""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from yidan.identity.models import Organisation
from yidan.identity.principal import Principal, Role
from yidan.settings import Settings
from yidan.settlement import invoices, payments, quotes
from yidan.settlement.models import Invoice, InvoiceKind, Payment, Quote, QuoteStatus, Tariff
from yidan.settlement.schemas import PaymentIn, RefundIn, TariffChargeIn, TariffIn
from yidan.settlement.tariffs import tariff_rows
from yidan.waybills.lifecycle import WaybillStatus
from yidan.waybills.models import Waybill

log = logging.getLogger("yidan.settlement.demo")

# what happens to each demo waybill's invoice: drafted, issued, or none (quote only)
INVOICE_PLAN = {
    "DEMO-NGB-XIA-01": "issue",
    "DEMO-SHA-CKG-02": "draft",
    "DEMO-XIA-NGB-04": "issue",
    "DEMO-TSN-ZZ-05": "issue",
}


def _principal(org: Organisation, role: Role) -> Principal:
    return Principal(org_id=org.id, org_kind=org.kind, role=role, label=f"seed:{org.name}", ip="127.0.0.1")


async def seed_tariffs(session: AsyncSession, seed_dir: Path, orgs: dict[str, Organisation]) -> int:
    """Rate cards from tariffs.csv (one row per charge); a card that exists is left as it is."""
    path = seed_dir / "tariffs.csv"
    if not path.exists():
        return 0
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cards: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        cards[(r["carrier"], r["code"])].append(r)
    added = 0
    for (carrier, code), charges in cards.items():
        org = orgs.get(carrier)
        if org is None:
            continue
        if await session.scalar(select(Tariff.id).where(Tariff.org_id == org.id, Tariff.code == code)):
            continue
        head = charges[0]
        data = TariffIn(
            code=code,
            name=head["name"],
            mode=head["mode"],  # type: ignore[arg-type]
            from_unlocode=head["from_unlocode"] or None,
            to_unlocode=head["to_unlocode"] or None,
            currency=head["currency"],
            valid_from=date.fromisoformat(head["valid_from"]),
            valid_to=date.fromisoformat(head["valid_to"]) if head["valid_to"] else None,
            charges=[
                TariffChargeIn(
                    charge_code=c["charge_code"],  # type: ignore[arg-type]
                    basis=c["basis"],  # type: ignore[arg-type]
                    size_class=c["size_class"] or None,  # type: ignore[arg-type]
                    rate=int(c["rate"]),
                    minimum_minor=int(c["minimum_minor"] or 0),
                    vat_rate_bp=int(c["vat_rate_bp"]),
                    description=c["description"],
                    description_zh=c["description_zh"] or None,
                )
                for c in charges
            ],
        )
        session.add(tariff_rows(org.id, data))
        added += 1
    await session.flush()
    return added


async def seed_settlement(session: AsyncSession, seed_dir: Path, orgs: dict[str, Organisation]) -> int:
    """Demo rate cards, accepted quotes and invoices; safe to run again. Returns the invoices added."""
    await seed_tariffs(session, seed_dir, orgs)
    by_id = {o.id: o for o in orgs.values()}
    added = 0
    for reference, plan in [*INVOICE_PLAN.items(), ("DEMO-DRAFT-03", "quote")]:
        waybill = await session.scalar(select(Waybill).where(Waybill.reference == reference))
        if waybill is None or waybill.status is WaybillStatus.CANCELLED:
            continue
        shipper = _principal(by_id[waybill.org_id], Role.SHIPPER)
        if not await session.scalar(select(Quote.id).where(Quote.waybill_id == waybill.id)):
            quote = await quotes.quote_waybill(session, shipper, waybill.number)
            if plan != "quote":
                await quotes.accept_quote(session, shipper, quote.id)
        accepted = await session.scalar(
            select(Quote).where(Quote.waybill_id == waybill.id, Quote.status == QuoteStatus.ACCEPTED)
        )
        if accepted is None or await session.scalar(
            select(Invoice.id).where(Invoice.waybill_id == waybill.id)
        ):
            continue
        seller = _principal(by_id[accepted.seller_org_id], Role.FINANCE)
        await invoices.create_invoice(session, seller, waybill.number, issue=plan == "issue")
        added += 1
    return added


async def pay_demo_invoices(settings: Settings, database_url: str) -> int:
    """Pay some demo invoices through Stripe (localstripe in test mode), once per invoice."""
    from yidan.core.db import make_engine, make_sessionmaker
    from yidan.settlement.gateway import gateway_for

    engine = make_engine(database_url, pool_size=2)
    gateway = gateway_for(settings)
    made = 0
    # (reference, payments as (share of the balance in per cent, card), refund in minor units)
    plan: list[tuple[str, list[tuple[int, str]], int]] = [
        ("DEMO-TSN-ZZ-05", [(100, "4242424242424242")], 0),
        ("DEMO-XIA-NGB-04", [(100, "4242424242424242")], 20000),
        ("DEMO-NGB-XIA-01", [(30, "4000000000000002"), (30, "4242424242424242")], 0),
    ]
    try:
        maker = make_sessionmaker(engine)
        for reference, attempts, refund in plan:
            async with maker() as session:
                invoice = await session.scalar(
                    select(Invoice)
                    .join(Waybill, Waybill.id == Invoice.waybill_id)
                    .where(Waybill.reference == reference, Invoice.kind == InvoiceKind.INVOICE)
                )
                if invoice is None or invoice.status != "issued":
                    continue
                if await session.scalar(select(Payment.id).where(Payment.invoice_id == invoice.id)):
                    continue
                buyer = await session.get_one(Organisation, invoice.buyer_org_id)
                seller = await session.get_one(Organisation, invoice.org_id)
                payer = _principal(buyer, Role.SHIPPER)
                last = None
                for share, number in attempts:
                    amount = invoice.total_minor * share // 100
                    pm = await _card(gateway, number)
                    started = await payments.start_payment(
                        session, payer, invoice.id, PaymentIn(amount_minor=amount, payment_method=pm)
                    )
                    last = await payments.submit_payment(session, gateway, started.id, pm)
                    made += 1
                if refund and last is not None and last.status == "succeeded":
                    started_refund = await payments.start_refund(
                        session,
                        _principal(seller, Role.FINANCE),
                        last.id,
                        RefundIn(amount_minor=refund, reason="demo: container held at gate for 2 hours"),
                    )
                    await payments.submit_refund(session, gateway, started_refund.id)
                await session.commit()
    finally:
        await engine.dispose()
    return made


async def _card(gateway: Any, number: str) -> str:
    pm = await gateway.client.v1.payment_methods.create_async(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    return str(pm.id)
