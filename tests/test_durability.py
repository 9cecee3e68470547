"""A success answer is sent only after the request's transaction has committed."""

from httpx import ASGITransport, AsyncClient
from sqlalchemy import select

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role
from yidan.waybills.models import Waybill


async def test_commit_happens_before_the_response_starts(app, factory, sessionmaker):
    shipper = await factory.account(Role.SHIPPER)
    carrier = await factory.org(OrgKind.CARRIER)
    seen_at_response_start: list[int] = []

    async def watching_app(scope, receive, send):
        async def watching_send(message):
            if message["type"] == "http.response.start" and scope["path"] == "/api/v1/waybills":
                # a separate connection: only committed rows are visible to it
                async with sessionmaker() as other:
                    rows = await other.scalars(select(Waybill.id).where(Waybill.org_id == shipper.org.id))
                    seen_at_response_start.append(len(list(rows)))
            await send(message)

        await app(scope, receive, watching_send)

    async with AsyncClient(transport=ASGITransport(app=watching_app), base_url="http://testserver") as client:
        r = await client.post("/api/v1/waybills", json=waybill_body([carrier.id]), headers=shipper.headers)
    assert r.status_code == 201, r.text
    assert seen_at_response_start == [1]
