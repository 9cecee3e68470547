"""Events are written to the outbox in the transaction that makes them, for the organisations that may
see the object, and only for subscriptions that asked for them."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.conftest import Account, waybill_body
from tests.gates.test_scans import booked
from tests.partners.conftest import ALL_TYPES, deliveries_of, subscribe
from yidan.identity import service as identity
from yidan.identity.models import Organisation, User
from yidan.identity.principal import OrgKind, Principal, Role
from yidan.locations.models import Terminal
from yidan.partners import outbox
from yidan.partners.models import WebhookDelivery
from yidan.settlement import payments
from yidan.settlement.schemas import PaymentIn, RefundIn
from yidan.waybills import service as waybills
from yidan.waybills.lifecycle import Classifier, WaybillStatus
from yidan.waybills.models import Leg, Waybill


async def principal_of(maker, account: Account) -> Principal:
    """The service-level principal of a factory account."""
    async with maker() as session:
        user = await session.scalar(select(User).where(User.email == account.email))
        assert user is not None
        org = await session.get_one(Organisation, user.org_id)
        return identity.principal_for_user(user, org)


async def terminal_at(maker, factory, unlocode: str = "CNNGB") -> tuple[str, Organisation]:
    """A terminal of its own operator at a place."""
    operator = await factory.org(OrgKind.TERMINAL)
    code = f"T{uuid.uuid4().hex[:8].upper()}"
    async with maker() as session:
        session.add(
            Terminal(
                code=code,
                unlocode=unlocode,
                name=f"Terminal {code}",
                name_zh="码头",
                kind="container_terminal",
                lat=29.9,
                lon=121.8,
                operator_org_id=operator.id,
            )
        )
        await session.commit()
    return code, operator


def types_of(rows: list[WebhookDelivery]) -> Counter[str]:
    """How many deliveries of each event type."""
    return Counter(r.event_type for r in rows)


async def test_booking_tells_every_organisation_that_may_see_the_waybill(
    client, factory, sessionmaker, receiver
):
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    consignee = await factory.org(OrgKind.SHIPPER)
    terminal, operator = await terminal_at(sessionmaker, factory)
    url = receiver.url
    subs = {
        "shipper": await subscribe(client, await factory.account(Role.PARTNER_ADMIN, org=shipper.org), url),
        "carrier": await subscribe(
            client, await factory.account(Role.PARTNER_ADMIN, org=carriers[1]), url, ["waybill.booked"]
        ),
        "consignee": await subscribe(client, await factory.account(Role.PARTNER_ADMIN, org=consignee), url),
        "terminal": await subscribe(client, await factory.account(Role.PARTNER_ADMIN, org=operator), url),
        "foreign": await subscribe(client, await factory.account(Role.PARTNER_ADMIN), url),
        "settlement only": await subscribe(
            client, await factory.account(Role.PARTNER_ADMIN, org=carriers[0]), url, ["invoice.issued"]
        ),
    }
    body = waybill_body([c.id for c in carriers], book=True)
    body["consignee"] = {"name": "Consignee Co.", "organisation_id": str(consignee.id)}
    body["legs"][0]["from_terminal"] = terminal  # type: ignore[index]
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 201, r.text
    number = r.json()["number"]

    got = {name: await deliveries_of(sessionmaker, s["id"]) for name, s in subs.items()}
    booking = Counter({"waybill.booked": 1, "waybill.status_changed": 1, "waybill.event": 8})
    for name in ("shipper", "consignee", "terminal"):
        assert types_of(got[name]) == booking, name
    assert types_of(got["carrier"]) == Counter({"waybill.booked": 1})
    assert got["foreign"] == [] and got["settlement only"] == []

    rows = got["shipper"]
    assert all(r.status == "pending" and r.attempts == 0 and r.next_attempt_at for r in rows)
    assert len({r.event_id for r in rows}) == len(rows)
    booked_row = next(r for r in rows if r.event_type == "waybill.booked")
    envelope = booked_row.payload
    assert set(envelope) == {"id", "type", "created_at", "data"}
    assert envelope["id"] == str(booked_row.event_id) and envelope["type"] == "waybill.booked"
    data = envelope["data"]["waybill"]
    assert data["number"] == number and data["status"] == "booked"
    assert [leg["mode"] for leg in data["legs"]] == ["VESSEL", "RAIL", "TRUCK"]
    assert data["legs"][0]["from_terminal"] == terminal
    assert data["containers"] == [{"number": "CSQU3054383", "size_type": "45G1"}]
    change = next(r for r in rows if r.event_type == "waybill.status_changed").payload["data"]
    assert (change["from"], change["to"]) == ("draft", "booked")
    events = [r.payload["data"]["event"] for r in rows if r.event_type == "waybill.event"]
    codes = sorted(f"{e['classifier']} {e['event_code']} {e['leg_seq']}" for e in events)
    assert codes == sorted(
        ["ACT CONF None", "ACT ISSU None"] + [f"PLN {c} {s}" for s in (1, 2, 3) for c in ("DEPA", "ARRI")]
    )
    # the same event reaches each organisation under the same id
    consignee_ids = {r.payload["data"].get("event", {}).get("id") for r in got["consignee"]}
    assert {e["id"] for e in events} <= consignee_ids


async def test_transport_events_and_status_changes(client, factory, sessionmaker):
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.account(Role.DISPATCHER)
    terminal, _ = await terminal_at(sessionmaker, factory)
    sub = await subscribe(
        client,
        await factory.account(Role.PARTNER_ADMIN, org=shipper.org),
        "https://erp.example.com/",
        ["waybill.status_changed", "waybill.event"],
    )
    body = waybill_body([carrier.org.id], book=True)
    number = (await client.post("/api/v1/waybills", json=body, headers=shipper.headers)).json()["number"]
    before = {r.id for r in await deliveries_of(sessionmaker, sub["id"])}

    when = datetime.now(UTC) - timedelta(hours=1)
    r = await client.post(
        f"/api/v1/waybills/{number}/events",
        json={
            "event_type": "TRANSPORT",
            "event_code": "DEPA",
            "classifier": "ACT",
            "event_time": when.isoformat(),
            "leg_seq": 1,
            "terminal_code": terminal,
            "container_number": "CSQU3054383",
            "description": "sailed",
        },
        headers=carrier.headers,
    )
    assert r.status_code == 201, r.text
    posted = r.json()
    new = [d for d in await deliveries_of(sessionmaker, sub["id"]) if d.id not in before]
    assert types_of(new) == Counter({"waybill.status_changed": 1, "waybill.event": 1})
    change = next(d for d in new if d.event_type == "waybill.status_changed").payload["data"]
    assert (change["from"], change["to"], change["waybill"]["number"]) == ("booked", "in_transit", number)
    event = next(d for d in new if d.event_type == "waybill.event").payload["data"]["event"]
    assert event["id"] == posted["id"]
    assert (event["event_type"], event["event_code"], event["classifier"]) == ("TRANSPORT", "DEPA", "ACT")
    assert (event["leg_seq"], event["mode"], event["unlocode"]) == (1, "VESSEL", "CNNGB")
    assert event["terminal_code"] == terminal and event["container_number"] == "CSQU3054383"
    assert datetime.fromisoformat(event["event_time"]) == when

    # an estimate Yidan derives itself (as tracking posts it): the confidence goes out, the device stays in
    async with sessionmaker() as session:
        w = await session.scalar(select(Waybill).where(Waybill.number == number))
        assert w is not None
        leg2 = await session.scalar(select(Leg).where(Leg.waybill_id == w.id, Leg.seq == 2))
        assert leg2 is not None
        est = await waybills.record_system_transport_event(
            session,
            w.id,
            leg2.id,
            "ARRI",
            datetime.now(UTC) + timedelta(days=3),
            "tracking",
            classifier=Classifier.EST,
            payload={"confidence": 0.82, "device": "013912345678", "lat": 36.1, "remaining_km": 800.0},
        )
        assert est is not None
        await session.commit()
    newest = (await deliveries_of(sessionmaker, sub["id"]))[-1].payload["data"]["event"]
    assert (newest["classifier"], newest["event_code"], newest["leg_seq"]) == ("EST", "ARRI", 2)
    assert newest["confidence"] == 0.82 and newest["id"] == str(est.id)
    assert not {"device", "lat", "remaining_km"} & set(newest)


async def test_a_cancellation_carries_its_reason(client, factory, sessionmaker):
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    sub = await subscribe(
        client, await factory.account(Role.PARTNER_ADMIN, org=carrier), "https://tms.example.com/", ALL_TYPES
    )
    number = (
        await client.post("/api/v1/waybills", json=waybill_body([carrier.id]), headers=shipper.headers)
    ).json()["number"]
    assert await deliveries_of(sessionmaker, sub["id"]) == []  # a draft is not news
    r = await client.post(
        f"/api/v1/waybills/{number}/status",
        json={"status": "cancelled", "reason": "order withdrawn"},
        headers=shipper.headers,
    )
    assert r.status_code == 200, r.text
    rows = await deliveries_of(sessionmaker, sub["id"])
    assert types_of(rows) == Counter({"waybill.status_changed": 1, "waybill.event": 1})
    change = next(d for d in rows if d.event_type == "waybill.status_changed").payload["data"]
    assert (change["from"], change["to"], change["reason"]) == ("draft", "cancelled", "order withdrawn")
    void = next(d for d in rows if d.event_type == "waybill.event").payload["data"]["event"]
    assert (void["event_type"], void["event_code"]) == ("SHIPMENT", "VOID")


async def test_a_rolled_back_transaction_leaves_nothing_in_the_outbox(client, factory, sessionmaker):
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    sub = await subscribe(
        client, await factory.account(Role.PARTNER_ADMIN, org=shipper.org), "https://erp.example.com/"
    )
    number = (
        await client.post("/api/v1/waybills", json=waybill_body([carrier.id]), headers=shipper.headers)
    ).json()["number"]
    principal = await principal_of(sessionmaker, shipper)
    count = select(func.count()).where(WebhookDelivery.subscription_id == uuid.UUID(sub["id"]))
    async with sessionmaker() as session:
        await waybills.change_status(session, principal, number, WaybillStatus.BOOKED)
        assert await session.scalar(count) == 10  # written, in this transaction
        await session.rollback()
    async with sessionmaker() as session:
        assert await session.scalar(count) == 0
        status = await session.scalar(select(Waybill.status).where(Waybill.number == number))
        assert status is WaybillStatus.DRAFT
    # the same change committed is told
    async with sessionmaker() as session:
        await waybills.change_status(session, principal, number, WaybillStatus.BOOKED)
        await session.commit()
    assert len(await deliveries_of(sessionmaker, sub["id"])) == 10


async def test_an_inactive_subscription_is_told_nothing(client, factory, sessionmaker):
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    admin = await factory.account(Role.PARTNER_ADMIN, org=shipper.org)
    sub = await subscribe(client, admin, "https://erp.example.com/", active=False)
    body = waybill_body([carrier.id], book=True)
    assert (await client.post("/api/v1/waybills", json=body, headers=shipper.headers)).status_code == 201
    assert await deliveries_of(sessionmaker, sub["id"]) == []
    async with sessionmaker() as session:
        written = await outbox.emit(
            session,
            org_ids=[shipper.org.id, None],
            event_type=outbox.WebhookEventType.WAYBILL_EVENT,
            payload={"x": 1},
        )
        assert written == []


async def test_gate_scans_tell_the_terminal_the_trucker_and_the_shipper(client, factory, world, sessionmaker):
    wb, appt, token, truck = await booked(world)
    url = "https://hooks.example.com/"
    subs = {
        "terminal": await subscribe(
            client, await factory.account(Role.PARTNER_ADMIN, org=world.operator_org), url
        ),
        "trucker": await subscribe(
            client, await factory.account(Role.PARTNER_ADMIN, org=world.carriers[2]), url
        ),
        "shipper": await subscribe(
            client, await factory.account(Role.PARTNER_ADMIN, org=world.shipper.org), url
        ),
        "foreign": await subscribe(client, await factory.account(Role.PARTNER_ADMIN), url),
    }
    denied = await world.scan("not-a-pass", truck)
    assert denied["result"] == "deny"
    answer = await world.scan(token, truck)
    assert answer["result"] == "admit", answer

    got = {name: await deliveries_of(sessionmaker, s["id"]) for name, s in subs.items()}
    assert got["foreign"] == []
    tx_ids = [d.payload["data"]["id"] for d in got["terminal"] if d.event_type == "gate.transaction"]
    assert tx_ids == [denied["id"], answer["id"]]  # a garbage pass names no appointment: the terminal's only
    for name in ("trucker", "shipper"):
        assert [d.payload["data"]["id"] for d in got[name] if d.event_type == "gate.transaction"] == [
            answer["id"]
        ]
    tx = next(d for d in got["shipper"] if d.event_type == "gate.transaction").payload["data"]
    assert tx["result"] == "admit" and tx["direction"] == "in" and tx["waybill_number"] == wb["number"]
    assert tx["appointment_reference"] == appt["reference"] and tx["lane"] == "1"
    assert [r["code"] for r in tx["reasons"]] == ["position_untracked"] and tx["reasons"][0]["zh"]
    assert not {"checks", "ip", "actor", "token_digest"} & set(tx)
    gtin = [
        d.payload["data"]["event"]
        for d in got["shipper"]
        if d.event_type == "waybill.event" and d.payload["data"]["event"]["event_code"] == "GTIN"
    ]
    assert len(gtin) == 1 and gtin[0]["event_type"] == "EQUIPMENT" and gtin[0]["empty_indicator"] == "EMPTY"
    assert gtin[0]["gate"] == world.gate and str(gtin[0]["id"]) in tx["event_ids"]
    assert "pass_id" not in gtin[0] and "transaction_id" not in gtin[0]


async def test_invoices_payments_and_refunds_tell_seller_and_buyer(client, factory, sessionmaker):
    from tests.settlement.conftest import Deal, publish_rate_cards

    finance = await factory.account(Role.FINANCE)
    await publish_rate_cards(client, finance)
    shipper = await factory.account(Role.SHIPPER)
    deal = Deal(finance, await factory.account(Role.DISPATCHER, org=finance.org), shipper, client, "CNY")
    seller = await subscribe(
        client,
        await factory.account(Role.PARTNER_ADMIN, org=finance.org),
        "https://erp.example.com/",
        ["invoice.issued", "payment.succeeded", "payment.refunded"],
    )
    buyer = await subscribe(
        client,
        await factory.account(Role.PARTNER_ADMIN, org=shipper.org),
        "https://buyer.example.com/",
        ["payment.succeeded"],
    )
    invoice = await deal.invoice()

    rows = await deliveries_of(sessionmaker, seller["id"])
    assert types_of(rows) == Counter({"invoice.issued": 1})
    issued = rows[0].payload["data"]["invoice"]
    assert issued["number"] == invoice["number"] and issued["kind"] == "invoice"
    assert issued["total_minor"] == invoice["total_minor"] and issued["waybill_number"]
    assert await deliveries_of(sessionmaker, buyer["id"]) == []

    payer = await principal_of(sessionmaker, shipper)
    async with sessionmaker() as session:
        payment = await payments.start_payment(session, payer, uuid.UUID(invoice["id"]), PaymentIn())
        await session.commit()
    intent = {
        "id": f"pi_{uuid.uuid4().hex[:16]}",
        "status": "succeeded",
        "amount": payment.amount_minor,
        "amount_received": payment.amount_minor,
        "metadata": {"yidan_payment": str(payment.id)},
        "latest_charge": None,
    }
    async with sessionmaker() as session:
        await payments.sync_intent(session, intent)
        await payments.sync_intent(session, intent)  # told once, however often Stripe says so
        await session.commit()
    for sub in (seller, buyer):
        paid = [
            d for d in await deliveries_of(sessionmaker, sub["id"]) if d.event_type == "payment.succeeded"
        ]
        assert len(paid) == 1
        data = paid[0].payload["data"]
        assert (
            data["payment"]["id"] == str(payment.id)
            and data["payment"]["amount_minor"] == payment.amount_minor
        )
        assert data["invoice"]["status"] == "paid" and "stripe" not in str(data)

    refunder = await principal_of(sessionmaker, finance)
    async with sessionmaker() as session:
        refund = await payments.start_refund(
            session, refunder, payment.id, RefundIn(amount_minor=1000, reason="damage")
        )
        await session.commit()
    async with sessionmaker() as session:
        locked = await session.get_one(type(payment), payment.id)
        await payments.apply_refund(
            session,
            locked,
            {
                "id": f"re_{uuid.uuid4().hex[:16]}",
                "amount": 1000,
                "status": "succeeded",
                "created": int(datetime.now(UTC).timestamp()),
                "metadata": {"yidan_refund": str(refund.id)},
            },
        )
        await session.commit()
    rows = await deliveries_of(sessionmaker, seller["id"])
    refunded = [d.payload["data"] for d in rows if d.event_type == "payment.refunded"]
    assert len(refunded) == 1 and refunded[0]["refund"]["amount_minor"] == 1000
    assert refunded[0]["refund"]["reason"] == "damage" and refunded[0]["refund"]["credit_note_id"]
    notes = [d.payload["data"]["invoice"] for d in rows if d.event_type == "invoice.issued"]
    assert [n["kind"] for n in notes] == ["invoice", "credit_note"]
    assert notes[1]["total_minor"] == -1000 and notes[1]["credited_invoice_id"] == invoice["id"]
    assert [d.event_type for d in await deliveries_of(sessionmaker, buyer["id"])] == ["payment.succeeded"]
