"""Lane scans: every pass check, exactly-once admits, reads, tenancy, and the waybill moving on."""

import asyncio
import base64
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.gates.conftest import SQUARE, container, plate
from yidan.core.clock import utcnow
from yidan.gates import scans as scans_module
from yidan.gates.models import GateTransaction
from yidan.gates.tokens import keyring
from yidan.identity.principal import Role


def codes(answer):
    return [r["code"] for r in answer["reasons"]]


async def booked(world, *, kind="pickup", progress="rail_arrived", dg=False, slot=None, truck=None):
    wb = await world.waybill(progress=progress, dg=dg)
    truck = truck or plate()
    appt = (await world.book(slot or await world.slot(), wb, kind=kind, truck=truck)).json()
    return wb, appt, appt["gate_pass"]["token"], truck


async def test_pickup_gate_in_and_out_admit_and_move_the_waybill(world):
    wb, appt, token, truck = await booked(world)
    answer = await world.scan(token, truck.replace("陕A", "陕A·"))
    assert answer["result"] == "admit", answer
    assert codes(answer) == ["position_untracked"]
    assert answer["reasons"][0]["zh"] and answer["reasons"][0]["en"]
    out = await world.scan(token, truck, direction="out", box=wb["containers"][0])
    assert out["result"] == "admit", out
    waybill = (
        await world.client.get(f"/api/v1/waybills/{wb['number']}", headers=world.shipper.headers)
    ).json()
    assert waybill["legs"][2]["status"] == "departed"
    gate_events = [
        (e["event_code"], e["classifier"], e["source"]) for e in waybill["events"] if e["source"] == "gate"
    ]
    assert gate_events == [("GTIN", "ACT", "gate"), ("GTOT", "ACT", "gate"), ("DEPA", "ACT", "gate")]
    gtot = next(e for e in waybill["events"] if e["event_code"] == "GTOT")
    assert gtot["container_number"] == wb["containers"][0] and gtot["terminal_code"] == world.terminal
    appt_now = (
        await world.client.get(f"/api/v1/gates/appointments/{appt['id']}", headers=world.trucker.headers)
    ).json()
    assert appt_now["status"] == "completed" and appt_now["gated_in_at"] and appt_now["gated_out_at"]


async def test_dropoff_gate_in_arrives_the_truck_leg_and_delivers(world):
    wb, _, token, truck = await booked(world, kind="dropoff", progress="truck_departed")
    answer = await world.scan(token, truck, box=wb["containers"][0])
    assert answer["result"] == "admit", answer
    waybill = (
        await world.client.get(f"/api/v1/waybills/{wb['number']}", headers=world.shipper.headers)
    ).json()
    assert waybill["legs"][2]["status"] == "arrived" and waybill["status"] == "delivered"
    # a truck inside must get out, also once the waybill is delivered
    out = await world.scan(token, truck, direction="out")
    assert out["result"] == "admit", out


async def test_dropoff_needs_a_departed_truck_leg(world):
    wb, _, token, truck = await booked(world, kind="dropoff", progress="rail_arrived")
    answer = await world.scan(token, truck, box=wb["containers"][0])
    assert answer["result"] == "deny" and codes(answer) == ["leg_not_departed", "position_untracked"]


async def test_pickup_before_the_container_arrives_is_denied(world):
    _, _, token, truck = await booked(world, progress="booked")
    answer = await world.scan(token, truck)
    assert answer["result"] == "deny" and "container_not_available" in codes(answer)


async def test_tampered_foreign_and_garbage_tokens_are_denied(world):
    _, _, token, truck = await booked(world)
    header, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["pl"] = "陕A99999"
    forged = base64.urlsafe_b64encode(json.dumps(claims, ensure_ascii=False).encode()).decode().rstrip("=")
    answer = await world.scan(f"{header}.{forged}.{sig}", "陕A99999")
    assert answer["result"] == "deny" and codes(answer) == ["invalid_signature"]
    other_key = keyring(base64.urlsafe_b64encode(b"x" * 32).decode().rstrip("="))
    foreign = other_key.sign(world_claims := keyring_claims(token))
    assert foreign != token and world_claims.plate == truck
    answer = await world.scan(foreign, truck)
    assert codes(answer) == ["invalid_signature"]
    answer = await world.scan("https://example.invalid/not-a-pass", truck)
    assert answer["result"] == "deny" and codes(answer) == ["malformed_token"]
    assert answer["pass_id"] is None


def keyring_claims(token):
    """The claims of a token, read without checking the signature (what a forger could copy)."""
    import uuid
    from datetime import UTC, datetime

    from yidan.gates.models import PassScope
    from yidan.gates.tokens import PassClaims, b64decode

    body = json.loads(b64decode(token.split(".")[1]))
    return PassClaims(
        pass_id=uuid.UUID(bytes=b64decode(body["jti"])),
        gate=body["gt"],
        scope=PassScope(body["dr"]),
        valid_from=datetime.fromtimestamp(body["nbf"], UTC),
        valid_to=datetime.fromtimestamp(body["exp"], UTC),
        plate=body["pl"],
        container=body["cn"],
    )


async def test_expired_and_early_passes_are_denied(world, monkeypatch):
    _, _, token, truck = await booked(world)
    real = utcnow()
    monkeypatch.setattr(scans_module, "utcnow", lambda: real + timedelta(hours=3))
    answer = await world.scan(token, truck)
    assert answer["result"] == "deny" and codes(answer)[0] == "expired"
    monkeypatch.undo()
    _, _, token, truck = await booked(world, slot=await world.slot(starts_in_min=180))
    answer = await world.scan(token, truck)
    assert answer["result"] == "deny" and codes(answer)[0] == "not_yet_valid"
    # within the grace before the slot opens, a truck is let in
    _, _, token, truck = await booked(world, slot=await world.slot(starts_in_min=20))
    assert (await world.scan(token, truck))["result"] == "admit"


async def test_pass_for_another_gate_is_denied(world):
    _, _, token, truck = await booked(world)
    answer = await world.scan(token, truck, gate=world.gate2)
    assert answer["result"] == "deny" and "wrong_gate" in codes(answer)


async def test_revoked_pass_is_denied(world):
    _, appt, token, truck = await booked(world)
    r = await world.client.post(
        f"/api/v1/gates/passes/{appt['gate_pass']['id']}/revoke",
        json={"reason": "driver lost phone"},
        headers=world.trucker.headers,
    )
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    answer = await world.scan(token, truck)
    assert answer["result"] == "deny" and codes(answer)[0] == "revoked"
    assert "driver lost phone" in answer["reasons"][0]["en"]
    # a new pass works
    r = await world.client.post(
        f"/api/v1/gates/appointments/{appt['id']}/pass",
        json={"reason": "new phone"},
        headers=world.trucker.headers,
    )
    assert (await world.scan(r.json()["gate_pass"]["token"], truck))["result"] == "admit"


async def test_replayed_pass_is_denied(world):
    _, _, token, truck = await booked(world)
    assert (await world.scan(token, truck))["result"] == "admit"
    answer = await world.scan(token, truck, lane="3")
    assert answer["result"] == "deny" and codes(answer)[0] == "already_used"


async def test_two_simultaneous_scans_admit_exactly_once(world):
    for _ in range(3):
        wb, _, token, truck = await booked(world)
        answers = await asyncio.gather(world.scan(token, truck, lane="1"), world.scan(token, truck, lane="3"))
        results = sorted(a["result"] for a in answers)
        assert results == ["admit", "deny"], answers
        denied = next(a for a in answers if a["result"] == "deny")
        assert "already_used" in codes(denied)
        async with world.maker() as session:
            admits = await session.scalar(
                select(func.count()).where(
                    GateTransaction.pass_id == answers[0]["pass_id"], GateTransaction.result == "admit"
                )
            )
            total = await session.scalar(
                select(func.count()).where(GateTransaction.pass_id == answers[0]["pass_id"])
            )
        assert (admits, total) == (1, 2)
        events = (
            await world.client.get(f"/api/v1/waybills/{wb['number']}/events", headers=world.shipper.headers)
        ).json()
        assert [e["event_code"] for e in events].count("GTIN") == 1


async def test_gate_out_without_gate_in_is_denied(world):
    wb, _, token, truck = await booked(world)
    answer = await world.scan(token, truck, direction="out", box=wb["containers"][0])
    assert answer["result"] == "deny" and "not_gated_in" in codes(answer)


async def test_plate_and_container_mismatches(world):
    wb, _, token, truck = await booked(world, kind="dropoff", progress="truck_departed")
    answer = await world.scan(
        token, "陕A00000" if truck != "陕A00000" else "陕A00001", box=wb["containers"][0]
    )
    assert answer["result"] == "deny" and codes(answer)[0] == "plate_mismatch"
    assert "陕A" in answer["reasons"][0]["zh"]
    answer = await world.scan(token, truck, box=container())
    assert answer["result"] == "deny" and codes(answer)[0] == "container_mismatch"
    answer = await world.scan(token, truck, box=None)
    assert answer["result"] == "manual_inspection" and codes(answer)[0] == "container_not_read"
    assert (await world.scan(token, truck, box=wb["containers"][0].lower()))["result"] == "admit"


async def test_scans_by_other_terminals_and_roles_are_refused(world):
    _, _, token, truck = await booked(world)
    for outsider in (
        await world.factory.account(Role.GATE_OPERATOR),
        world.trucker,
        await world.factory.account(Role.FINANCE, org=world.operator_org),
    ):
        r = await world.client.post(
            f"/api/v1/gates/{world.gate}/scans",
            json={"token": token, "plate": truck, "lane": "1", "direction": "in"},
            headers=outsider.headers,
        )
        assert r.status_code == 403, r.text
    async with world.maker() as session:
        assert not await session.scalar(
            select(func.count()).where(
                GateTransaction.token_digest.is_not(None), GateTransaction.gate_code == world.gate
            )
        )
    # the pass still works for the gate's own operator
    assert (await world.scan(token, truck))["result"] == "admit"


async def test_lane_must_exist_be_open_and_run_that_way(world):
    _, _, token, truck = await booked(world)
    await world.scan(token, truck, lane="9", expect=422)
    await world.scan(token, truck, lane="2", direction="in", expect=422)


@pytest.mark.parametrize(
    ("where", "age_s", "result", "code"),
    [
        ("inside", 10, "admit", None),
        ("edge", 10, "admit", None),
        ("outside", 10, "deny", "position_outside_geofence"),
        ("inside", 3600, "manual_inspection", "position_stale"),
    ],
)
async def test_geofence_check_with_the_latest_fix(world, where, age_s, result, code):
    _, _, token, truck = await booked(world)
    lon, lat = world.centre
    if where == "outside":
        lon += 0.02  # about 1.8 km east
    elif where == "edge":
        lon += SQUARE / 2 + 0.0002  # about 18 m outside the square: within GNSS tolerance
    await world.track(truck, lon, lat, age_s=age_s)
    answer = await world.scan(token, truck)
    assert answer["result"] == result, answer
    position = [c for c in codes(answer) if c.startswith("position")]
    assert position == ([code] if code else [])
    assert answer["checks"]["position"]["tracked"] is True


async def test_dangerous_goods_go_to_inspection_and_an_override_admits(world):
    wb, _appt, token, truck = await booked(world, dg=True)
    answer = await world.scan(token, truck)
    assert answer["result"] == "admit"  # an empty truck coming to collect carries no dangerous goods
    out = await world.scan(token, truck, direction="out", box=wb["containers"][0])
    assert out["result"] == "manual_inspection" and codes(out)[0] == "dg_unapproved"
    assert "UN1993" in out["reasons"][0]["en"]
    r = await world.client.post(
        f"/api/v1/gates/transactions/{out['id']}/override",
        json={"decision": "admit", "reason": "DG declaration checked at the kiosk"},
        headers=world.gate_op.headers,
    )
    assert r.status_code == 201, r.text
    decided = r.json()
    assert decided["result"] == "admit" and decided["override_of"] == out["id"]
    assert decided["reasons"][0]["code"] == "manual_override"
    r = await world.client.post(
        f"/api/v1/gates/transactions/{out['id']}/override",
        json={"decision": "admit", "reason": "twice"},
        headers=world.gate_op.headers,
    )
    assert r.status_code == 409
    waybill = (
        await world.client.get(f"/api/v1/waybills/{wb['number']}", headers=world.shipper.headers)
    ).json()
    assert waybill["legs"][2]["status"] == "departed"
    trail = (
        await world.client.get(f"/api/v1/waybills/{wb['number']}/audit", headers=world.shipper.headers)
    ).json()
    assert any(e["action"] == "event.post" and e["changes"].get("source") == "gate" for e in trail)


async def test_override_needs_a_gate_operator_of_the_terminal(world):
    _, _, token, truck = await booked(world)
    answer = await world.scan(token, "陕B12345")
    other = await world.factory.account(Role.GATE_OPERATOR)
    for who, status in ((other, 404), (world.trucker, 404)):
        r = await world.client.post(
            f"/api/v1/gates/transactions/{answer['id']}/override",
            json={"decision": "admit", "reason": "looks fine to me"},
            headers=who.headers,
        )
        assert r.status_code == status, r.text
    r = await world.client.post(
        f"/api/v1/gates/transactions/{answer['id']}/override",
        json={"decision": "admit", "reason": "plate camera dirty, plate checked by eye"},
        headers=world.gate_op.headers,
    )
    assert r.status_code == 201 and r.json()["result"] == "admit"
    # the override used the pass's gate-in: scanning it again is a replay
    assert codes(await world.scan(token, truck))[0] == "already_used"


async def test_an_untracked_truck_goes_to_inspection_when_positions_are_required(world, monkeypatch):
    from yidan.gates import router

    _, _, token, truck = await booked(world)
    real = router.config_for

    def strict(settings, secret):
        cfg = real(settings, secret)
        from dataclasses import replace

        return replace(cfg, position_required=True)

    monkeypatch.setattr(router, "config_for", strict)
    answer = await world.scan(token, truck)
    assert answer["result"] == "manual_inspection" and codes(answer) == ["position_unknown"]
