"""GraphQL queries: the caller, directories, one waybill with all its nested fields, the Relay connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.graphql.conftest import (
    ROUTE,
    WAYBILL_FIELDS,
    CarrierSide,
    Gql,
    codes,
    create_waybill,
    rest_body,
)
from yidan.identity.principal import OrgKind, Role

WAYBILL = f"query($n: String!) {{ waybill(number: $n) {{ {WAYBILL_FIELDS} }} }}"
PAGE = """
query($first: Int!, $after: String, $filter: WaybillFilterInput) {
  waybills(first: $first, after: $after, filter: $filter) {
    edges { cursor node { number status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_version_needs_no_credentials(gql: Gql) -> None:
    body = await gql("{ version }")
    assert "errors" not in body
    assert body["data"]["version"]


async def test_everything_else_needs_credentials(gql: Gql) -> None:
    for query in (
        "{ me { name } }",
        "{ organisations { id } }",
        "{ locations { unlocode } }",
        '{ waybill(number: "YD1") { number } }',
        "{ waybills { edges { cursor } } }",
    ):
        body = await gql(query)
        assert codes(body) == ["UNAUTHENTICATED"], (query, body)
        assert not any((body["data"] or {}).values())


async def test_a_bad_token_is_unauthenticated_with_its_reason(gql: Gql) -> None:
    body = await gql("{ me { name } }", headers={"Authorization": "Bearer not-a-jwt"})
    assert codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["extensions"]["reason"] == "invalid_token"


async def test_me_and_directories(gql: Gql, factory: Any) -> None:
    shipper = await factory.account(Role.SHIPPER)
    carrier_org = await factory.org(OrgKind.CARRIER)
    body = await gql(
        """{ me { id email role scopes organisation { id name kind } }
             organisations(kind: CARRIER) { id name kind }
             locations(q: "Ningbo") { unlocode name nameZh lat lon }
             location(unlocode: "ZZZZZ") { name } }""",
        headers=shipper.headers,
    )
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["email"] == shipper.email
    assert me["role"] == "SHIPPER"
    assert me["organisation"] == {"id": str(shipper.org.id), "name": shipper.org.name, "kind": "SHIPPER"}
    carriers = body["data"]["organisations"]
    assert {"id": str(carrier_org.id), "name": carrier_org.name, "kind": "CARRIER"} in carriers
    assert all(o["kind"] == "CARRIER" for o in carriers)
    assert body["data"]["locations"][0]["unlocode"] == "CNNGB"
    assert body["data"]["locations"][0]["nameZh"] == "宁波"
    assert body["data"]["location"] is None


async def test_api_key_callers_are_resolved_like_rest(client: Any, gql: Gql, factory: Any) -> None:
    admin = await factory.account(Role.PARTNER_ADMIN)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "tms", "scopes": ["waybills:read"]}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    body = await gql(
        "{ me { id name role scopes organisation { id } } }", headers={"X-API-Key": r.json()["key"]}
    )
    assert "errors" not in body, body
    assert body["data"]["me"]["id"] is None
    assert body["data"]["me"]["scopes"] == ["waybills:read"]
    assert body["data"]["me"]["organisation"]["id"] == str(admin.org.id)
    revoked = await gql("{ me { id } }", headers={"X-API-Key": "yd_nope_nope"})
    assert codes(revoked) == ["UNAUTHENTICATED"]


async def test_one_waybill_with_every_nested_field(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    number = await create_waybill(
        client, shipper.headers, rest_body([carrier.org.id], book=True, remarks="fragile")
    )
    body = await gql(WAYBILL, {"n": number.lower()}, headers=shipper.headers)
    assert "errors" not in body, body
    w = body["data"]["waybill"]
    rest = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert w["number"] == number
    assert w["status"] == "BOOKED"
    assert w["remarks"] == "fragile"
    assert w["dangerousGoods"] is False
    assert {p["role"] for p in w["parties"]} == {"SHIPPER", "CONSIGNEE"}
    shipper_party = next(p for p in w["parties"] if p["role"] == "SHIPPER")
    assert shipper_party["organisation"] == {"id": str(shipper.org.id), "name": shipper.org.name}
    assert w["cargoLines"] == [
        {
            "seq": 1,
            "description": "parts",
            "packages": 2,
            "packageType": "PK",
            "grossWeightKg": 100.0,
            "unNumber": None,
            "dgClass": None,
            "packingGroup": None,
        }
    ]
    assert w["equipment"] == [{"containerNumber": "CSQU3054383", "sizeType": "22G1", "seals": []}]
    first, second = w["legs"]
    assert first["mode"] == "VESSEL" and second["mode"] == "RAIL"
    assert first["carrier"] == {"id": str(carrier.org.id), "name": carrier.org.name}
    assert first["vehicle"]["vesselName"] == "DONGHAI PIONEER"
    assert second["vehicle"]["trainNumber"] == "X8158"
    assert first["fromLocation"] == {
        "unlocode": "CNNGB",
        "name": "Ningbo",
        "nameZh": "宁波",
        "lat": 29.8683,
        "lon": 121.544,
    }
    assert first["toLocation"]["unlocode"] == second["fromLocation"]["unlocode"] == "CNTAO"
    assert datetime.fromisoformat(first["plannedDeparture"]) == datetime.fromisoformat(ROUTE[0][3])
    assert first["actualDeparture"] is None
    # booking records CONF and ISSU plus a planned DEPA/ARRI for each leg, as REST shows them
    assert [e["eventCode"] for e in w["events"]] == [e["event_code"] for e in rest["events"]]
    assert [e["legSeq"] for e in w["events"]] == [e["leg_seq"] for e in rest["events"]]
    depa = next(e for e in w["events"] if e["eventCode"] == "DEPA" and e["legSeq"] == 1)
    assert depa["classifier"] == "PLN" and depa["location"]["unlocode"] == "CNNGB"
    assert w["allowedTransitions"] == ["CANCELLED"]
    assert w["trackingUrl"] == rest["tracking_url"]


async def test_unknown_waybill_is_null(gql: Gql, factory: Any) -> None:
    shipper = await factory.account(Role.SHIPPER)
    body = await gql(WAYBILL, {"n": "YD000000000000"}, headers=shipper.headers)
    assert body == {"data": {"waybill": None}}


async def test_the_connection_pages_through_everything_once(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    numbers = [
        await create_waybill(client, shipper.headers, rest_body([carrier.org.id], book=i % 2 == 0))
        for i in range(7)
    ]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = await gql(PAGE, {"first": 3, "after": after}, headers=shipper.headers)
        assert "errors" not in body, body
        conn = body["data"]["waybills"]
        pages += 1
        seen += [e["node"]["number"] for e in conn["edges"]]
        assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        assert conn["pageInfo"]["startCursor"] == conn["edges"][0]["cursor"]
        assert conn["pageInfo"]["hasPreviousPage"] is False
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    assert seen == list(reversed(numbers))
    # any edge's cursor resumes right after that edge
    body = await gql(PAGE, {"first": 2}, headers=shipper.headers)
    cursor = body["data"]["waybills"]["edges"][0]["cursor"]
    body = await gql(PAGE, {"first": 1, "after": cursor}, headers=shipper.headers)
    assert body["data"]["waybills"]["edges"][0]["node"]["number"] == seen[1]


async def test_the_connection_filters(client: Any, gql: Gql, factory: Any, carrier: CarrierSide) -> None:
    shipper = await factory.account(Role.SHIPPER)
    numbers = [
        await create_waybill(client, shipper.headers, rest_body([carrier.org.id], book=i < 2))
        for i in range(4)
    ]
    body = await gql(
        PAGE, {"first": 10, "filter": {"status": ["BOOKED"], "relation": "OWNER"}}, headers=shipper.headers
    )
    assert {e["node"]["number"] for e in body["data"]["waybills"]["edges"]} == set(numbers[:2])
    body = await gql(PAGE, {"first": 10, "filter": {"q": numbers[3]}}, headers=shipper.headers)
    assert [e["node"]["number"] for e in body["data"]["waybills"]["edges"]] == [numbers[3]]
    body = await gql(PAGE, {"first": 10, "filter": {"relation": "CARRIER"}}, headers=carrier.headers)
    assert {e["node"]["number"] for e in body["data"]["waybills"]["edges"]} == set(numbers)


async def test_bad_paging_arguments_name_the_argument(gql: Gql, factory: Any) -> None:
    shipper = await factory.account(Role.SHIPPER)
    body = await gql(PAGE, {"first": 0}, headers=shipper.headers)
    assert codes(body) == ["validation_error"]
    assert body["errors"][0]["extensions"]["errors"][0]["field"] == "first"
    body = await gql(PAGE, {"first": 5, "after": "garbage!"}, headers=shipper.headers)
    assert codes(body) == ["validation_error"]
    assert body["errors"][0]["extensions"]["errors"][0]["field"] == "after"
