"""GraphQL mutations: the same services and rules as REST, durable only when the whole operation succeeds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.graphql.conftest import WAYBILL_FIELDS, CarrierSide, Gql, camel, codes, create_waybill, rest_body
from yidan.identity.principal import Role

CREATE = f"""
mutation($input: CreateWaybillInput!) {{
  createWaybill(input: $input) {{ waybill {{ {WAYBILL_FIELDS} }} }}
}}
"""
UPDATE = """
mutation($n: String!, $input: UpdateWaybillInput!) {
  updateWaybill(number: $n, input: $input) {
    waybill { number status remarks parties { role name } cargoLines { seq description } equipment { containerNumber }
              legs { seq mode } }
  }
}
"""
STATUS = """
mutation($n: String!, $input: ChangeStatusInput!) {
  changeWaybillStatus(number: $n, input: $input) {
    waybill { number status allowedTransitions events { eventCode classifier description } }
  }
}
"""
POST_EVENT = """
mutation($n: String!, $input: PostEventInput!) {
  postEvent(number: $n, input: $input) {
    event { id eventType eventCode classifier eventTime recordedAt legSeq source location { unlocode } }
    waybill { status legs { seq status actualDeparture } }
  }
}
"""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


async def test_create_is_durable_and_matches_rest(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    body = await gql(
        CREATE, {"input": camel(rest_body([carrier.org.id], reference="PO-1"))}, headers=shipper.headers
    )
    assert "errors" not in body, body
    w = body["data"]["createWaybill"]["waybill"]
    assert w["status"] == "DRAFT"
    assert w["reference"] == "PO-1"
    assert w["events"] == []
    assert w["allowedTransitions"] == ["BOOKED", "CANCELLED"]
    assert [leg["carrier"]["id"] for leg in w["legs"]] == [str(carrier.org.id)] * 2
    assert w["createdAt"] and w["updatedAt"]
    # committed: another request (REST) sees it
    r = await client.get(f"/api/v1/waybills/{w['number']}", headers=shipper.headers)
    assert r.status_code == 200
    assert r.json()["reference"] == "PO-1"


async def test_create_and_book_at_once(gql: Gql, factory: Any, carrier: CarrierSide) -> None:
    shipper = await factory.account(Role.SHIPPER)
    body = await gql(
        CREATE, {"input": camel(rest_body([carrier.org.id], book=True))}, headers=shipper.headers
    )
    assert "errors" not in body, body
    w = body["data"]["createWaybill"]["waybill"]
    assert w["status"] == "BOOKED"
    assert [e["eventCode"] for e in w["events"]][:2] == ["CONF", "ISSU"]


async def test_input_validation_is_the_rest_models(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    payload = rest_body([carrier.org.id], reference="PO-BAD")
    payload["equipment"] = [{"container_number": "CSQU3054384"}]  # wrong ISO 6346 check digit
    payload["cargo_lines"][0]["gross_weight_kg"] = -1
    body = await gql(CREATE, {"input": camel(payload)}, headers=shipper.headers)
    assert codes(body) == ["validation_error"]
    fields = {e["field"] for e in body["errors"][0]["extensions"]["errors"]}
    assert fields == {"cargoLines[0].grossWeightKg", "equipment[0].containerNumber"}
    assert body["data"] == {"createWaybill": None}
    rest = await client.post("/api/v1/waybills", json=payload, headers=shipper.headers)
    assert rest.status_code == 422  # the same data is refused by REST too
    # rules checked by the service against the database come back the same way
    payload = rest_body([carrier.org.id])
    payload["legs"][1]["to_unlocode"] = "ZZZZZ"
    body = await gql(CREATE, {"input": camel(payload)}, headers=shipper.headers)
    assert codes(body) == ["validation_error"]
    assert body["errors"][0]["extensions"]["errors"] == [
        {"field": "legs[1].toUnlocode", "message": "unknown UN/LOCODE ZZZZZ"}
    ]
    assert body["errors"][0]["message"] == "legs[1].toUnlocode: unknown UN/LOCODE ZZZZZ"


async def test_edit_a_draft(client: Any, gql: Gql, factory: Any, carrier: CarrierSide) -> None:
    shipper = await factory.account(Role.SHIPPER)
    number = await create_waybill(client, shipper.headers, rest_body([carrier.org.id], remarks="old"))
    patch = {
        "remarks": "keep dry",
        "notify": {"name": "Notify Ltd"},
        "cargoLines": [
            {"description": "gears", "packages": 1, "grossWeightKg": 10},
            {"description": "bolts", "packages": 3, "grossWeightKg": 5},
        ],
        "equipment": [],
        "legs": camel(rest_body([carrier.org.id])["legs"][:1]),
    }
    body = await gql(UPDATE, {"n": number, "input": patch}, headers=shipper.headers)
    assert "errors" not in body, body
    w = body["data"]["updateWaybill"]["waybill"]
    assert w["remarks"] == "keep dry"
    assert {p["role"] for p in w["parties"]} == {"SHIPPER", "CONSIGNEE", "NOTIFY"}
    assert [c["description"] for c in w["cargoLines"]] == ["gears", "bolts"]
    assert w["equipment"] == []
    assert w["legs"] == [{"seq": 1, "mode": "VESSEL"}]
    rest = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert rest["remarks"] == "keep dry" and len(rest["legs"]) == 1
    # a field left out stays, null clears
    body = await gql(UPDATE, {"n": number, "input": {"remarks": None}}, headers=shipper.headers)
    w = body["data"]["updateWaybill"]["waybill"]
    assert w["remarks"] is None
    assert [c["description"] for c in w["cargoLines"]] == ["gears", "bolts"]


async def test_book_then_illegal_transition_then_cancel(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    number = await create_waybill(client, shipper.headers, rest_body([carrier.org.id]))
    body = await gql(STATUS, {"n": number, "input": {"status": "BOOKED"}}, headers=shipper.headers)
    assert "errors" not in body, body
    w = body["data"]["changeWaybillStatus"]["waybill"]
    assert w["status"] == "BOOKED"
    assert w["allowedTransitions"] == ["CANCELLED"]
    assert [e["eventCode"] for e in w["events"]][:2] == ["CONF", "ISSU"]
    body = await gql(STATUS, {"n": number, "input": {"status": "CLOSED"}}, headers=shipper.headers)
    assert codes(body) == ["illegal_transition"]
    assert "cannot move from booked to closed" in body["errors"][0]["message"]
    assert body["data"] == {"changeWaybillStatus": None}
    body = await gql(
        STATUS,
        {"n": number, "input": {"status": "CANCELLED", "reason": "customer request"}},
        headers=shipper.headers,
    )
    w = body["data"]["changeWaybillStatus"]["waybill"]
    assert w["status"] == "CANCELLED"
    assert w["allowedTransitions"] == []
    void = next(e for e in w["events"] if e["eventCode"] == "VOID")
    assert void["description"] == "customer request"
    rest = (await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)).json()
    assert rest["status"] == "cancelled"


async def test_only_the_owner_may_book(client: Any, gql: Gql, factory: Any, carrier: CarrierSide) -> None:
    shipper = await factory.account(Role.SHIPPER)
    number = await create_waybill(client, shipper.headers, rest_body([carrier.org.id]))
    body = await gql(STATUS, {"n": number, "input": {"status": "BOOKED"}}, headers=carrier.headers)
    assert codes(body) == ["not_allowed"]


async def test_carrier_posts_events_shipper_may_not(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    number = await create_waybill(client, shipper.headers, rest_body([carrier.org.id], book=True))
    departed = {
        "eventType": "TRANSPORT",
        "eventCode": "DEPA",
        "classifier": "ACT",
        "eventTime": now_iso(),
        "legSeq": 1,
        "description": "sailed",
    }
    body = await gql(POST_EVENT, {"n": number, "input": departed}, headers=shipper.headers)
    assert codes(body) == ["not_leg_carrier"]
    body = await gql(POST_EVENT, {"n": number, "input": departed}, headers=carrier.headers)
    assert "errors" not in body, body
    payload = body["data"]["postEvent"]
    assert payload["event"]["eventCode"] == "DEPA"
    assert payload["event"]["classifier"] == "ACT"
    assert payload["event"]["legSeq"] == 1
    assert payload["event"]["location"] == {"unlocode": "CNNGB"}
    assert payload["event"]["recordedAt"]
    assert payload["waybill"]["status"] == "IN_TRANSIT"
    assert payload["waybill"]["legs"][0]["status"] == "DEPARTED"
    assert payload["waybill"]["legs"][0]["actualDeparture"]
    rest = (await client.get(f"/api/v1/waybills/{number}/events", headers=shipper.headers)).json()
    assert payload["event"]["id"] in {e["id"] for e in rest}
    # an estimate moves the leg's estimated time; an unknown code is a validation error on that field
    estimate = {
        "eventType": "TRANSPORT",
        "eventCode": "ARRI",
        "classifier": "EST",
        "eventTime": "2026-12-03T06:00:00Z",
        "legSeq": 1,
    }
    body = await gql(POST_EVENT, {"n": number, "input": estimate}, headers=carrier.headers)
    assert "errors" not in body, body
    wrong = {**estimate, "eventCode": "XXXX"}
    body = await gql(POST_EVENT, {"n": number, "input": wrong}, headers=carrier.headers)
    assert codes(body) == ["validation_error"]
    assert body["errors"][0]["extensions"]["errors"][0]["field"] == "eventCode"


async def test_a_failed_operation_stores_nothing(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    shipper = await factory.account(Role.SHIPPER)
    both = """
    mutation($input: CreateWaybillInput!) {
      created: createWaybill(input: $input) { waybill { number } }
      failed: changeWaybillStatus(number: "YD000000000000", input: {status: CANCELLED}) { waybill { number } }
    }
    """
    body = await gql(
        both, {"input": camel(rest_body([carrier.org.id], reference="PO-ATOMIC"))}, headers=shipper.headers
    )
    assert codes(body) == ["not_found"]
    number = body["data"]["created"]["waybill"]["number"]
    r = await client.get(f"/api/v1/waybills/{number}", headers=shipper.headers)
    assert r.status_code == 404
    page = (await client.get("/api/v1/waybills?q=PO-ATOMIC", headers=shipper.headers)).json()
    assert page["items"] == []
