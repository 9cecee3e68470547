"""Listing with filters and cursor pagination; public tracking; the PDF."""

import pytest

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role


@pytest.fixture
async def fleet(client, factory):
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(2)]
    numbers = []
    for i in range(7):
        body = waybill_body([c.id for c in carriers], reference=f"REF-{i}", book=i % 2 == 0)
        if i == 3:
            body["cargo_lines"] = body["cargo_lines"][:1]
        r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
        assert r.status_code == 201, r.text
        numbers.append(r.json()["number"])
    return shipper, carriers, numbers


async def test_cursor_pagination_visits_each_once(client, fleet):
    shipper, _, numbers = fleet
    seen, cursor = [], None
    while True:
        url = "/api/v1/waybills?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(url, headers=shipper.headers)).json()
        seen += [w["number"] for w in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(numbers))


async def test_filters(client, fleet):
    shipper, _, numbers = fleet
    booked = (await client.get("/api/v1/waybills?status=booked", headers=shipper.headers)).json()["items"]
    assert {w["number"] for w in booked} == {numbers[i] for i in (0, 2, 4, 6)}
    both = (await client.get("/api/v1/waybills?status=booked&status=draft", headers=shipper.headers)).json()
    assert len(both["items"]) == 7
    no_dg = (await client.get("/api/v1/waybills?dangerous_goods=false", headers=shipper.headers)).json()[
        "items"
    ]
    assert [w["number"] for w in no_dg] == [numbers[3]]
    by_ref = (await client.get("/api/v1/waybills?q=REF-5", headers=shipper.headers)).json()["items"]
    assert [w["number"] for w in by_ref] == [numbers[5]]
    by_route = (
        await client.get("/api/v1/waybills?origin=CNNGB&destination=CNXIA&mode=RAIL", headers=shipper.headers)
    ).json()["items"]
    assert len(by_route) == 7
    assert by_route[0]["modes"] == ["VESSEL", "RAIL", "TRUCK"]
    none = (await client.get("/api/v1/waybills?origin=CNSHA", headers=shipper.headers)).json()["items"]
    assert none == []
    bad = await client.get("/api/v1/waybills?status=lost", headers=shipper.headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status[0]"


async def test_carrier_sees_waybills_of_its_legs(client, fleet, factory):
    _, carriers, numbers = fleet
    disp = await factory.account(Role.DISPATCHER, org=carriers[1])
    items = (await client.get("/api/v1/waybills?relation=carrier", headers=disp.headers)).json()["items"]
    assert {w["number"] for w in items} == set(numbers)


async def test_public_tracking_needs_the_key_and_hides_parties(client, fleet):
    shipper, _, numbers = fleet
    wb = (await client.get(f"/api/v1/waybills/{numbers[0]}", headers=shipper.headers)).json()
    path_and_query = wb["tracking_url"].split("/track/", 1)[1]
    number, key = path_and_query.split("?k=")
    r = await client.get(f"/api/v1/public/track/{number}?k={key}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["number"] == numbers[0] and body["origin"]["unlocode"] == "CNNGB"
    assert "parties" not in body and "cargo_lines" not in body
    assert (await client.get(f"/api/v1/public/track/{number}?k=0000{key[4:]}")).status_code == 404
    assert (await client.get(f"/api/v1/public/track/{numbers[1]}?k={key}")).status_code == 404


async def test_pdf(client, fleet):
    shipper, _, numbers = fleet
    r = await client.get(f"/api/v1/waybills/{numbers[0]}/document.pdf", headers=shipper.headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
