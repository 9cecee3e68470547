"""Slots and appointments: capacity under concurrency, who may book, reschedule and cancel (audited)."""

import asyncio

from sqlalchemy import select

from tests.gates.conftest import container, plate
from yidan.gates.models import GateSlot
from yidan.identity.principal import Role


async def test_slot_capacity_holds_when_bookings_race(world):
    boxes = [container() for _ in range(8)]
    wb = await world.waybill(containers=boxes)
    slot = await world.slot(capacity=3)
    second = await world.factory.account(Role.DISPATCHER, org=world.carriers[2])
    results = await asyncio.gather(
        *(
            world.book(slot, wb, box=b, who=world.trucker if i % 2 else second, expect=0)
            for i, b in enumerate(boxes)
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] * 3 + [409] * 5, [r.text for r in results]
    assert all(r.json()["code"] == "slot_full" for r in results if r.status_code == 409)
    async with world.maker() as session:
        row = await session.scalar(select(GateSlot).where(GateSlot.id == slot["id"]))
        assert (row.booked, row.capacity) == (3, 3)


async def test_two_dispatchers_race_for_the_last_place(world):
    boxes = [container(), container()]
    wb = await world.waybill(containers=boxes)
    slot = await world.slot(capacity=2)
    await world.book(slot, wb, box=boxes[0])
    # the shipper's dispatcher and the trucking company's dispatcher both want the last place
    shipper_dispatcher = await world.factory.account(Role.DISPATCHER, org=world.shipper.org)
    third = container()
    wb2 = await world.waybill(containers=[third])
    a, b = await asyncio.gather(
        world.book(slot, wb, box=boxes[1], who=world.trucker, expect=0),
        world.book(slot, wb2, box=third, who=shipper_dispatcher, expect=0),
    )
    assert sorted([a.status_code, b.status_code]) == [201, 409], (a.text, b.text)
    r = await world.client.get(f"/api/v1/gates/{world.gate}/slots", headers=world.trucker.headers)
    mine = next(s for s in r.json() if s["id"] == slot["id"])
    assert (mine["booked"], mine["available"]) == (2, 0)


async def test_booking_checks_leg_place_plate_and_role(world):
    wb = await world.waybill()
    slot = await world.slot()
    r = await world.client.post(
        "/api/v1/gates/appointments",
        json={
            "waybill_number": wb["number"],
            "leg_seq": 3,
            "kind": "pickup",
            "slot_id": slot["id"],
            "truck_plate": "XX12345",
            "driver": {"name": "Li", "phone": "13912345678", "licence": "610102199001011234"},
            "container_number": wb["containers"][0],
        },
        headers=world.trucker.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("truck_plate")
    r = await world.client.post(
        "/api/v1/gates/appointments",
        json={
            "waybill_number": wb["number"],
            "leg_seq": 1,
            "kind": "pickup",
            "slot_id": slot["id"],
            "truck_plate": plate(),
            "driver": {"name": "Li", "phone": "13912345678", "licence": "610102199001011234"},
            "container_number": wb["containers"][0],
        },
        headers=world.trucker.headers,
    )
    assert r.status_code == 422 and "TRUCK" in r.text
    # a container not on the waybill, a bad check digit
    r = await world.book(slot, wb, box=container(), expect=422)
    r = await world.book(slot, wb, box="CSQU3054384", expect=422)
    # the rail carrier's dispatcher is not the truck leg's
    rail = await world.factory.account(Role.DISPATCHER, org=world.carriers[1])
    r = await world.book(slot, wb, who=rail, expect=403)
    # a shipper user is not a dispatcher
    r = await world.book(slot, wb, who=world.shipper, expect=403)
    # the same container cannot be booked twice for the same movement
    await world.book(slot, wb)
    r = await world.book(slot, wb, expect=409)
    assert r.json()["code"] == "appointment_exists"


async def test_reschedule_and_cancel_are_audited_and_move_capacity(world):
    wb = await world.waybill()
    first = await world.slot(capacity=1)
    second = await world.slot(starts_in_min=60, capacity=1)
    appt = (await world.book(first, wb)).json()
    old_pass = appt["gate_pass"]
    r = await world.client.post(
        f"/api/v1/gates/appointments/{appt['id']}/reschedule",
        json={"slot_id": second["id"], "reason": "truck delayed"},
        headers=world.trucker.headers,
    )
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["slot"]["id"] == second["id"] and moved["slot"]["booked"] == 1
    assert moved["gate_pass"]["id"] != old_pass["id"]
    slots_now = {
        s["id"]: s
        for s in (
            await world.client.get(f"/api/v1/gates/{world.gate}/slots", headers=world.trucker.headers)
        ).json()
    }
    assert slots_now[first["id"]]["booked"] == 0
    r = await world.client.get(f"/api/v1/gates/passes/{old_pass['id']}", headers=world.trucker.headers)
    assert r.json()["status"] == "revoked" and "superseded" in r.json()["revoke_reason"]
    r = await world.client.post(
        f"/api/v1/gates/appointments/{appt['id']}/cancel",
        json={"reason": "order withdrawn"},
        headers=world.trucker.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["slot"]["booked"] == 0 and r.json()["gate_pass"]["status"] == "revoked"
    r = await world.client.post(
        f"/api/v1/gates/appointments/{appt['id']}/cancel",
        json={"reason": "again"},
        headers=world.trucker.headers,
    )
    assert r.status_code == 409
    trail = (
        await world.client.get(
            f"/api/v1/gates/appointments/{appt['id']}/audit", headers=world.trucker.headers
        )
    ).json()
    actions = [e["action"] for e in trail]
    assert actions == [
        "gate_appointment.book",
        "gate_pass.issue",
        "gate_pass.revoke",
        "gate_appointment.reschedule",
        "gate_pass.issue",
        "gate_pass.revoke",
        "gate_appointment.cancel",
    ], actions
    assert trail[3]["changes"]["reason"] == "truck delayed"


async def test_capacity_cannot_drop_below_booked_and_only_operators_publish(world):
    wb = await world.waybill()
    slot = await world.slot(capacity=2)
    await world.book(slot, wb)
    r = await world.client.patch(
        f"/api/v1/gates/slots/{slot['id']}", json={"capacity": 0}, headers=world.gate_op.headers
    )
    assert r.status_code == 409 and r.json()["code"] == "capacity_below_booked"
    r = await world.client.patch(
        f"/api/v1/gates/slots/{slot['id']}", json={"capacity": 1}, headers=world.gate_op.headers
    )
    assert r.status_code == 200 and r.json()["available"] == 0
    other_op = await world.factory.account(Role.GATE_OPERATOR)
    r = await world.client.post(
        f"/api/v1/gates/{world.gate}/slots",
        json={"starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-01-01T02:00:00Z", "capacity": 3},
        headers=other_op.headers,
    )
    assert r.status_code == 403 and r.json()["code"] == "not_gate_operator"
    r = await world.client.post(
        f"/api/v1/gates/{world.gate}/slots",
        json={
            "starts_at": "2030-01-01T00:00:00Z",
            "ends_at": "2030-01-01T02:00:00Z",
            "slot_minutes": 30,
            "capacity": 3,
        },
        headers=world.gate_op.headers,
    )
    assert r.status_code == 201 and len(r.json()) == 4
