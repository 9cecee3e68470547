"""Partner API keys: shown once, stored hashed, scoped, revocable, with last-used time."""

from sqlalchemy import select

from yidan.core.security import digest
from yidan.identity.models import ApiKey
from yidan.identity.principal import Role


async def test_key_lifecycle(client, factory, sessionmaker):
    admin = await factory.account(Role.PARTNER_ADMIN)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "tms", "scopes": ["waybills:read"]}, headers=admin.headers
    )
    assert r.status_code == 201, r.text
    created = r.json()
    key = created["key"]
    assert key.startswith("yd_")

    listed = (await client.get("/api/v1/api-keys", headers=admin.headers)).json()
    assert [k["id"] for k in listed] == [created["id"]]
    assert "key" not in listed[0] and listed[0]["last_used_at"] is None

    async with sessionmaker() as session:
        row = await session.scalar(select(ApiKey).where(ApiKey.id == created["id"]))
        assert row is not None
        assert key.split("_", 2)[2] not in (row.key_digest, row.prefix)
        assert row.key_digest == digest(key.split("_", 2)[2])

    me = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["organisation"]["id"] == str(admin.org.id)
    assert me.json()["scopes"] == ["waybills:read"]
    listed = (await client.get("/api/v1/api-keys", headers=admin.headers)).json()
    assert listed[0]["last_used_at"] is not None

    revoked = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=admin.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert again.status_code == 401 and again.json()["code"] == "api_key_revoked"


async def test_bad_keys(client):
    for bad in ("nonsense", "yd_abc_def", "yd_" + "x" * 8 + "_" + "y" * 40):
        r = await client.get("/api/v1/me", headers={"X-API-Key": bad})
        assert r.status_code == 401, bad


async def test_only_partner_admins_manage_keys(client, factory):
    shipper = await factory.account(Role.SHIPPER)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "x", "scopes": ["waybills:read"]}, headers=shipper.headers
    )
    assert r.status_code == 403 and r.json()["code"] == "role_required"


async def test_key_of_another_org_is_404(client, factory):
    a = await factory.account(Role.PARTNER_ADMIN)
    b = await factory.account(Role.PARTNER_ADMIN)
    created = (
        await client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": ["events:write"]}, headers=a.headers
        )
    ).json()
    r = await client.delete(f"/api/v1/api-keys/{created['id']}", headers=b.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/me", headers={"X-API-Key": created["key"]})).status_code == 200


async def test_unknown_scope_is_named(client, factory):
    admin = await factory.account(Role.PARTNER_ADMIN)
    r = await client.post(
        "/api/v1/api-keys", json={"name": "k", "scopes": ["everything"]}, headers=admin.headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.scopes[0]"
