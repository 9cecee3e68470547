"""The waybill lifecycle: booking, transport events moving legs and the waybill, every illegal transition."""

import itertools

import pytest

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role
from yidan.waybills.lifecycle import WAYBILL_TRANSITIONS, WaybillStatus


@pytest.fixture
async def parties(factory):
    """A shipper and three carriers (sea, rail, road), each with a dispatcher."""
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    dispatchers = [await factory.account(Role.DISPATCHER, org=c) for c in carriers]
    return shipper, carriers, dispatchers


async def _create(client, shipper, carriers, **extra):
    r = await client.post(
        "/api/v1/waybills", json=waybill_body([c.id for c in carriers], **extra), headers=shipper.headers
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _status(client, acct, number, to, reason=None):
    return await client.post(
        f"/api/v1/waybills/{number}/status", json={"status": to, "reason": reason}, headers=acct.headers
    )


async def _event(
    client, acct, number, code, leg, classifier="ACT", time="2026-11-20T10:00:00+08:00", **extra
):
    body = {
        "event_type": "TRANSPORT",
        "event_code": code,
        "classifier": classifier,
        "event_time": time,
        "leg_seq": leg,
        **extra,
    }
    return await client.post(f"/api/v1/waybills/{number}/events", json=body, headers=acct.headers)


async def test_create_draft_with_check_digit_number(client, parties):
    shipper, carriers, _ = parties
    wb = await _create(client, shipper, carriers)
    assert wb["status"] == "draft"
    assert wb["number"].startswith("YD") and len(wb["number"]) == 12
    from yidan.waybills.identifiers import validate_waybill_number

    assert validate_waybill_number(wb["number"]) == wb["number"]
    assert [leg["mode"] for leg in wb["legs"]] == ["VESSEL", "RAIL", "TRUCK"]
    assert wb["legs"][0]["from_location"]["unlocode"] == "CNNGB"
    assert wb["legs"][2]["vehicle"]["truck_plate"]
    assert wb["dangerous_goods"] is True
    assert wb["allowed_transitions"] == ["booked", "cancelled"]
    assert wb["events"] == []
    assert wb["tracking_url"].startswith("http") and wb["number"] in wb["tracking_url"]


async def test_full_journey(client, parties):
    shipper, carriers, dispatchers = parties
    number = (await _create(client, shipper, carriers))["number"]
    r = await _status(client, shipper, number, "booked")
    assert r.status_code == 200, r.text
    booked = r.json()
    assert booked["status"] == "booked"
    codes = [(e["classifier"], e["event_code"]) for e in booked["events"]]
    assert (
        ("ACT", "CONF") in codes and codes.count(("PLN", "DEPA")) == 3 and codes.count(("PLN", "ARRI")) == 3
    )

    # estimated arrival from the sea carrier updates the leg
    r = await _event(
        client, dispatchers[0], number, "ARRI", 1, classifier="EST", time="2026-12-03T12:00:00+08:00"
    )
    assert r.status_code == 201, r.text
    r = await _event(client, dispatchers[0], number, "DEPA", 1, time="2026-11-20T08:00:00+08:00")
    assert r.status_code == 201, r.text
    wb = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert wb["status"] == "in_transit"
    assert wb["legs"][0]["status"] == "departed"
    assert wb["legs"][0]["estimated_arrival"] == "2026-12-03T04:00:00Z"
    assert wb["legs"][0]["actual_departure"] == "2026-11-20T00:00:00Z"

    for i, disp in enumerate(dispatchers, start=1):
        if i > 1:
            assert (await _event(client, disp, number, "DEPA", i)).status_code == 201
        r = await _event(client, disp, number, "ARRI", i, time="2026-11-21T10:00:00+08:00")
        assert r.status_code == 201, r.text
    wb = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert wb["status"] == "delivered"
    assert [leg["status"] for leg in wb["legs"]] == ["arrived"] * 3
    assert (await _status(client, shipper, number, "closed")).json()["status"] == "closed"

    trail = (await client.get(f"/api/v1/waybills/{number}/audit", headers=shipper.headers)).json()
    actions = [a["action"] for a in trail]
    assert actions[0] == "waybill.create" and actions[-1] == "waybill.status"
    assert any(a["changes"].get("status") == {"from": "booked", "to": "in_transit"} for a in trail)
    assert all(a["actor"] and a["at"] for a in trail)
    assert trail[-1]["ip"] is not None

    # the timeline is in event order
    times = [e["event_time"] for e in wb["events"]]
    assert times == sorted(times)


async def _reach(client, shipper, carriers, dispatchers, target):
    """Create a waybill and move it to target through the legal path."""
    number = (await _create(client, shipper, carriers))["number"]
    path = {
        "draft": [],
        "booked": ["book"],
        "cancelled": ["book", "cancel"],
        "in_transit": ["book", "D1"],
        "delivered": ["book", "D1", "A1", "D2", "A2", "D3", "A3"],
        "closed": ["book", "D1", "A1", "D2", "A2", "D3", "A3", "close"],
    }[target]
    for step in path:
        if step == "book":
            r = await _status(client, shipper, number, "booked")
        elif step == "cancel":
            r = await _status(client, shipper, number, "cancelled")
        elif step == "close":
            r = await _status(client, shipper, number, "closed")
        else:
            leg = int(step[1])
            r = await _event(client, dispatchers[leg - 1], number, "DEPA" if step[0] == "D" else "ARRI", leg)
        assert r.status_code in (200, 201), r.text
    return number


@pytest.mark.parametrize(
    ("frm", "to"),
    [(a, b) for a, b in itertools.product(WaybillStatus, WaybillStatus) if (a, b) not in WAYBILL_TRANSITIONS],
)
async def test_every_illegal_transition_is_rejected(client, parties, frm, to):
    shipper, carriers, dispatchers = parties
    number = await _reach(client, shipper, carriers, dispatchers, frm.value)
    for acct in (shipper, dispatchers[0], dispatchers[2]):
        r = await _status(client, acct, number, to.value)
        assert r.status_code == 409, (acct.role, r.text)
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["code"] == "illegal_transition"
        assert frm.value in body["detail"] and to.value in body["detail"]
    wb = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert wb["status"] == frm.value


@pytest.mark.parametrize(("frm", "to"), list(WAYBILL_TRANSITIONS))
async def test_every_legal_transition_has_its_actor(client, parties, frm, to):
    shipper, carriers, dispatchers = parties
    if to in (WaybillStatus.IN_TRANSIT, WaybillStatus.DELIVERED):
        # carriers move these through their actual events; the status call works for the right carrier only
        number = await _reach(client, shipper, carriers, dispatchers, frm.value)
        if to is WaybillStatus.DELIVERED:
            for step, leg in (("ARRI", 1), ("DEPA", 2), ("ARRI", 2), ("DEPA", 3)):
                assert (await _event(client, dispatchers[leg - 1], number, step, leg)).status_code == 201
        wrong, right = (
            (dispatchers[2], dispatchers[0])
            if to is WaybillStatus.IN_TRANSIT
            else (dispatchers[0], dispatchers[2])
        )
        assert (await _status(client, wrong, number, to.value)).status_code == 403
        assert (await _status(client, shipper, number, to.value)).status_code == 403
        r = await _status(client, right, number, to.value)
    else:
        number = await _reach(client, shipper, carriers, dispatchers, frm.value)
        assert (await _status(client, dispatchers[0], number, to.value)).status_code == 403
        r = await _status(client, shipper, number, to.value)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == to.value


async def test_leg_transitions(client, parties):
    shipper, carriers, dispatchers = parties
    number = await _reach(client, shipper, carriers, dispatchers, "booked")
    r = await _event(client, dispatchers[0], number, "ARRI", 1)
    assert r.status_code == 409 and r.json()["code"] == "illegal_leg_transition"
    r = await _event(client, dispatchers[1], number, "DEPA", 2)
    assert r.status_code == 409 and "before leg 1 has arrived" in r.json()["detail"]
    assert (await _event(client, dispatchers[0], number, "DEPA", 1)).status_code == 201
    r = await _event(client, dispatchers[0], number, "DEPA", 1)
    assert r.status_code == 409 and r.json()["code"] == "illegal_leg_transition"
    r = await _event(client, dispatchers[0], number, "DEPA", 1, classifier="EST")
    assert r.status_code == 409 and r.json()["code"] == "already_actual"


async def test_only_the_legs_carrier_posts_events(client, parties, factory):
    shipper, carriers, dispatchers = parties
    number = await _reach(client, shipper, carriers, dispatchers, "booked")
    r = await _event(client, shipper, number, "DEPA", 1)
    assert r.status_code == 403 and r.json()["code"] == "not_leg_carrier"
    r = await _event(client, dispatchers[1], number, "DEPA", 1)
    assert r.status_code == 403
    outsider = await factory.account(Role.DISPATCHER)
    assert (await _event(client, outsider, number, "DEPA", 1)).status_code == 404
    finance = await factory.account(Role.FINANCE, org=carriers[0])
    r = await _event(client, finance, number, "DEPA", 1)
    assert r.status_code == 403 and r.json()["code"] == "role_required"


async def test_event_validation(client, parties):
    shipper, carriers, dispatchers = parties
    number = await _reach(client, shipper, carriers, dispatchers, "booked")
    d = dispatchers[0]
    r = await _event(client, d, number, "LOAD", 1)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_code"
    r = await _event(client, d, number, "DEPA", 1, time="2099-01-01T00:00:00Z")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_time"
    r = await _event(client, d, number, "DEPA", 9)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "leg_seq"
    r = await _event(client, d, number, "DEPA", 1, unlocode="CNZZZ")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "unlocode"
    r = await client.post(
        f"/api/v1/waybills/{number}/events",
        headers=d.headers,
        json={
            "event_type": "EQUIPMENT",
            "event_code": "LOAD",
            "classifier": "ACT",
            "event_time": "2026-11-20T10:00:00Z",
            "leg_seq": 1,
            "container_number": "MSKU1234565",
        },
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "container_number"
    r = await client.post(
        f"/api/v1/waybills/{number}/events",
        headers=d.headers,
        json={
            "event_type": "EQUIPMENT",
            "event_code": "LOAD",
            "classifier": "ACT",
            "event_time": "2026-11-20T10:00:00Z",
            "leg_seq": 1,
            "container_number": "CSQU3054383",
        },
    )
    assert r.status_code == 201, r.text
    load = r.json()
    # a correction is a new event that supersedes the old one; the old one stays
    r = await client.post(
        f"/api/v1/waybills/{number}/events",
        headers=d.headers,
        json={
            "event_type": "EQUIPMENT",
            "event_code": "LOAD",
            "classifier": "ACT",
            "event_time": "2026-11-20T11:00:00Z",
            "leg_seq": 1,
            "container_number": "CSQU3054383",
            "supersedes": load["id"],
        },
    )
    assert r.status_code == 201 and r.json()["supersedes"] == load["id"]
    events = (await client.get(f"/api/v1/waybills/{number}/events", headers=shipper.headers)).json()
    assert [e["id"] for e in events if e["event_code"] == "LOAD"] == [load["id"], r.json()["id"]]


async def test_events_on_a_draft_are_refused(client, parties):
    shipper, carriers, dispatchers = parties
    number = (await _create(client, shipper, carriers))["number"]
    r = await _event(client, dispatchers[0], number, "DEPA", 1)
    assert r.status_code == 409 and r.json()["code"] == "waybill_not_active"


async def test_edit_draft_only(client, parties):
    shipper, carriers, dispatchers = parties
    number = (await _create(client, shipper, carriers))["number"]
    patch = {
        "remarks": "fragile",
        "equipment": [{"container_number": "DHSU1000018", "size_type": "22G1"}],
        "legs": waybill_body([c.id for c in carriers])["legs"][:2],
    }
    r = await client.patch(f"/api/v1/waybills/{number}", json=patch, headers=shipper.headers)
    assert r.status_code == 200, r.text
    wb = r.json()
    assert wb["remarks"] == "fragile" and len(wb["legs"]) == 2
    assert [e["container_number"] for e in wb["equipment"]] == ["DHSU1000018"]
    trail = (await client.get(f"/api/v1/waybills/{number}/audit", headers=shipper.headers)).json()
    edit = next(a for a in trail if a["action"] == "waybill.edit")
    assert edit["changes"]["remarks"] == {"from": None, "to": "fragile"}
    assert edit["changes"]["equipment"] == {"from": ["CSQU3054383"], "to": ["DHSU1000018"]}
    r = await client.patch(
        f"/api/v1/waybills/{number}", json={"remarks": "x"}, headers=dispatchers[0].headers
    )
    assert r.status_code == 403
    await _status(client, shipper, number, "booked")
    r = await client.patch(f"/api/v1/waybills/{number}", json={"remarks": "late"}, headers=shipper.headers)
    assert r.status_code == 409 and r.json()["code"] == "not_a_draft"


async def test_book_at_once_and_reference_is_unique(client, parties):
    shipper, carriers, _ = parties
    wb = await _create(client, shipper, carriers, book=True, reference="PO-77")
    assert wb["status"] == "booked" and wb["reference"] == "PO-77"
    r = await client.post(
        "/api/v1/waybills",
        json=waybill_body([c.id for c in carriers], reference="PO-77"),
        headers=shipper.headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "reference_exists"


async def test_carriers_can_read_but_not_book(client, parties):
    shipper, carriers, dispatchers = parties
    number = (await _create(client, shipper, carriers))["number"]
    r = await client.get(f"/api/v1/waybills/{number}", headers=dispatchers[1].headers)
    assert r.status_code == 200
    assert r.json()["tracking_url"] is None
    assert (await _status(client, dispatchers[1], number, "booked")).status_code == 403
    r = await client.post(
        "/api/v1/waybills", json=waybill_body([c.id for c in carriers]), headers=dispatchers[0].headers
    )
    assert r.status_code == 403 and r.json()["code"] == "role_required"
