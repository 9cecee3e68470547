"""Across tenants GraphQL reveals nothing: a foreign waybill is null to read and not_found to change."""

from __future__ import annotations

from typing import Any

from tests.graphql.conftest import CarrierSide, Gql, camel, codes, create_waybill, rest_body
from yidan.identity.principal import Role

READ = """
query($n: String!) {
  waybill(number: $n) { number allowedTransitions trackingUrl }
  waybills(first: 50) { edges { node { number } } }
}
"""
MUTATIONS = {
    "updateWaybill": ("UpdateWaybillInput!", {"remarks": "mine now"}),
    "changeWaybillStatus": ("ChangeStatusInput!", {"status": "CANCELLED"}),
    "postEvent": (
        "PostEventInput!",
        {
            "eventType": "TRANSPORT",
            "eventCode": "DEPA",
            "classifier": "EST",
            "eventTime": "2026-12-01T06:00:00Z",
            "legSeq": 1,
        },
    ),
}


async def test_another_organisation_sees_and_changes_nothing(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    owner = await factory.account(Role.SHIPPER)
    draft = await create_waybill(client, owner.headers, rest_body([carrier.org.id]))
    booked = await create_waybill(client, owner.headers, rest_body([carrier.org.id], book=True))
    stranger = await factory.account(Role.SHIPPER)
    other_carrier = await factory.account(Role.DISPATCHER)
    for intruder in (stranger, other_carrier):
        for number in (draft, booked):
            body = await gql(READ, {"n": number}, headers=intruder.headers)
            assert body == {"data": {"waybill": None, "waybills": {"edges": []}}}
            for name, (input_type, value) in MUTATIONS.items():
                query = (
                    f"mutation($n: String!, $input: {input_type}) "
                    f"{{ {name}(number: $n, input: $input) {{ __typename }} }}"
                )
                body = await gql(query, {"n": number, "input": value}, headers=intruder.headers)
                assert codes(body) == ["not_found"], (name, body)
                assert body["errors"][0]["message"] == f"waybill {number} not found"
    # nothing changed for the owner
    rest = (await client.get(f"/api/v1/waybills/{draft}", headers=owner.headers)).json()
    assert rest["status"] == "draft" and rest["remarks"] is None
    rest = (await client.get(f"/api/v1/waybills/{booked}", headers=owner.headers)).json()
    assert rest["status"] == "booked" and [leg["estimated_departure"] for leg in rest["legs"]] == [None, None]


async def test_the_carrier_sees_the_waybill_without_the_owner_rights(
    client: Any, gql: Gql, factory: Any, carrier: CarrierSide
) -> None:
    owner = await factory.account(Role.SHIPPER)
    number = await create_waybill(client, owner.headers, rest_body([carrier.org.id], book=True))
    body = await gql(READ, {"n": number}, headers=carrier.headers)
    assert "errors" not in body, body
    # the first leg's carrier may start the journey; the tracking link is for owner and consignee only
    assert body["data"]["waybill"] == {
        "number": number,
        "allowedTransitions": ["IN_TRANSIT"],
        "trackingUrl": None,
    }
    assert [e["node"]["number"] for e in body["data"]["waybills"]["edges"]] == [number]
    body = await gql(
        "mutation($n: String!, $input: UpdateWaybillInput!) { updateWaybill(number: $n, input: $input) "
        "{ waybill { number } } }",
        {"n": number, "input": camel({"remarks": "x"})},
        headers=carrier.headers,
    )
    assert codes(body) == ["not_owner"]
