"""The tracking ETA and its confidence in the waybill output (REST and GraphQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role
from yidan.waybills.lifecycle import Classifier
from yidan.waybills.models import Leg, Waybill
from yidan.waybills.service import record_system_transport_event

GQL = "query($n: String!) { waybill(number: $n) { eta { arrival confidence computedAt } legs { seq etaConfidence } } }"


async def _booked(client, factory) -> tuple[str, dict[str, str]]:
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    body = waybill_body([c.id for c in carriers], book=True)
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 201, r.text
    return r.json()["number"], shipper.headers


async def _estimate(
    sessionmaker, number: str, seq: int, when: datetime, payload: dict[str, object] | None
) -> None:
    async with sessionmaker() as session:
        waybill = await session.scalar(select(Waybill).where(Waybill.number == number))
        leg = await session.scalar(select(Leg).where(Leg.waybill_id == waybill.id, Leg.seq == seq))
        event = await record_system_transport_event(
            session, waybill.id, leg.id, "ARRI", when, "tracking", classifier=Classifier.EST, payload=payload
        )
        assert event is not None
        await session.commit()


async def test_waybill_without_tracking_eta_gives_null(client, factory) -> None:
    number, headers = await _booked(client, factory)
    wb = (await client.get(f"/api/v1/waybills/{number}", headers=headers)).json()
    assert wb["eta"] is None
    assert [leg["eta_confidence"] for leg in wb["legs"]] == [None, None, None]


async def test_eta_and_leg_confidence_come_from_the_latest_est_arri(client, factory, sessionmaker) -> None:
    number, headers = await _booked(client, factory)
    when = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    await _estimate(sessionmaker, number, 1, datetime(2026, 12, 3, 1, 0, tzinfo=UTC), {"confidence": 0.82})
    await _estimate(sessionmaker, number, 3, when - timedelta(hours=2), {"confidence": 0.3})
    await _estimate(sessionmaker, number, 3, when, {"confidence": 0.55, "remaining_km": 812.4})

    wb = (await client.get(f"/api/v1/waybills/{number}", headers=headers)).json()
    assert [leg["eta_confidence"] for leg in wb["legs"]] == [0.82, None, 0.55]
    assert wb["eta"]["confidence"] == 0.55
    assert datetime.fromisoformat(wb["eta"]["arrival"]) == when
    assert datetime.fromisoformat(wb["legs"][2]["estimated_arrival"]) == when
    assert datetime.fromisoformat(wb["eta"]["computed_at"]) <= datetime.now(UTC)

    r = await client.post("/graphql", json={"query": GQL, "variables": {"n": number}}, headers=headers)
    data = r.json()["data"]["waybill"]
    assert data["eta"]["confidence"] == 0.55
    assert [leg["etaConfidence"] for leg in data["legs"]] == [0.82, None, 0.55]


async def test_an_estimate_without_confidence_is_no_tracking_eta(client, factory, sessionmaker) -> None:
    number, headers = await _booked(client, factory)
    await _estimate(sessionmaker, number, 3, datetime(2026, 12, 6, 12, 0, tzinfo=UTC), {"confidence": 0.9})
    await _estimate(sessionmaker, number, 3, datetime(2026, 12, 6, 14, 0, tzinfo=UTC), None)
    wb = (await client.get(f"/api/v1/waybills/{number}", headers=headers)).json()
    assert wb["eta"] is None
    assert wb["legs"][2]["eta_confidence"] is None
