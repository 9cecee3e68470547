"""GraphQL-only fixtures: a caller for /graphql, a carrier with a dispatcher, and waybill bodies."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import days_ahead
from yidan.identity.models import Organisation
from yidan.identity.principal import OrgKind, Role

Gql = Callable[..., Awaitable[dict[str, Any]]]

ROUTE = [
    ("VESSEL", "CNNGB", "CNTAO", days_ahead(7, 0, UTC).isoformat(), days_ahead(9, 0, UTC).isoformat()),
    ("RAIL", "CNTAO", "CNXIA", days_ahead(10, 0, UTC).isoformat(), days_ahead(12, 0, UTC).isoformat()),
]

WAYBILL_FIELDS = """
    number reference status dangerousGoods createdAt updatedAt remarks
    parties { role name address contact organisation { id name } }
    cargoLines { seq description packages packageType grossWeightKg unNumber dgClass packingGroup }
    equipment { containerNumber sizeType seals }
    legs {
      seq mode status
      carrier { id name }
      vehicle { vesselName voyage trainNumber truckPlate }
      fromLocation { unlocode name nameZh lat lon }
      toLocation { unlocode name nameZh lat lon }
      plannedDeparture plannedArrival estimatedDeparture estimatedArrival actualDeparture actualArrival
    }
    events { id eventType eventCode classifier eventTime recordedAt legSeq source location { unlocode name } }
    allowedTransitions trackingUrl
"""


def rest_body(carrier_ids: list[uuid.UUID], **extra: Any) -> dict[str, Any]:
    """A valid Ningbo → (sea) Qingdao → (rail) Xi'an waybill body for POST /api/v1/waybills."""
    legs = [
        {
            "mode": mode,
            "carrier_id": str(carrier_ids[i % len(carrier_ids)]),
            "from_unlocode": frm,
            "to_unlocode": to,
            "planned_departure": dep,
            "planned_arrival": arr,
        }
        for i, (mode, frm, to, dep, arr) in enumerate(ROUTE)
    ]
    legs[0]["vehicle"] = {"vessel_name": "DONGHAI PIONEER", "voyage": "026N"}
    legs[1]["vehicle"] = {"train_number": "X8158"}
    body: dict[str, Any] = {
        "consignee": {"name": "Shaanxi Consignee Co.", "address": "Xi'an"},
        "cargo_lines": [{"description": "parts", "packages": 2, "gross_weight_kg": 100}],
        "equipment": [{"container_number": "CSQU3054383", "size_type": "22G1"}],
        "legs": legs,
    }
    body.update(extra)
    return body


def camel(value: Any) -> Any:
    """A REST body as a GraphQL input (snake_case keys → camelCase)."""
    if isinstance(value, dict):
        return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def codes(body: dict[str, Any]) -> list[str]:
    """The extensions.code of each error of a GraphQL response."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@dataclass
class CarrierSide:
    """A carrier organisation and one of its dispatchers."""

    org: Organisation
    headers: dict[str, str]


@pytest.fixture
def gql(client: AsyncClient) -> Gql:
    """POST a GraphQL operation and return the JSON body (GraphQL answers 200 even with errors)."""

    async def call(
        query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        r = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    return call


@pytest.fixture
async def carrier(factory: Any) -> CarrierSide:
    """A carrier with a dispatcher account."""
    org = await factory.org(OrgKind.CARRIER)
    account = await factory.account(Role.DISPATCHER, org=org)
    return CarrierSide(org=org, headers=account.headers)


async def create_waybill(client: AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    """Create a waybill through REST and return its number."""
    r = await client.post("/api/v1/waybills", json=body, headers=headers)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number
