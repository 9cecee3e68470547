"""Cross-tenant matrix: every object of another organisation is a 404, never a 403 that confirms it exists."""

import pytest

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role


@pytest.fixture
async def world(client, factory):
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    r = await client.post(
        "/api/v1/waybills", json=waybill_body([c.id for c in carriers], book=True), headers=shipper.headers
    )
    assert r.status_code == 201
    admin = await factory.account(Role.PARTNER_ADMIN, org=carriers[0])
    key = (
        await client.post(
            "/api/v1/api-keys", json={"name": "k", "scopes": ["waybills:read"]}, headers=admin.headers
        )
    ).json()
    return {"shipper": shipper, "number": r.json()["number"], "key_id": key["id"], "carrier_admin": admin}


def _requests(w):
    n = w["number"]
    event = {
        "event_type": "TRANSPORT",
        "event_code": "DEPA",
        "classifier": "ACT",
        "event_time": "2026-11-20T10:00:00Z",
        "leg_seq": 1,
    }
    return [
        ("GET", f"/api/v1/waybills/{n}", None),
        ("PATCH", f"/api/v1/waybills/{n}", {"remarks": "mine now"}),
        ("POST", f"/api/v1/waybills/{n}/status", {"status": "cancelled"}),
        ("GET", f"/api/v1/waybills/{n}/events", None),
        ("POST", f"/api/v1/waybills/{n}/events", event),
        ("GET", f"/api/v1/waybills/{n}/audit", None),
        ("GET", f"/api/v1/waybills/{n}/document.pdf", None),
        ("DELETE", f"/api/v1/api-keys/{w['key_id']}", None),
    ]


@pytest.mark.parametrize(
    "role",
    [
        Role.SHIPPER,
        Role.DISPATCHER,
        Role.PARTNER_ADMIN,
        Role.ADMIN,
        Role.REGULATOR,
        Role.GATE_OPERATOR,
        Role.FINANCE,
        Role.PORT_OPERATOR,
    ],
)
async def test_other_tenant_gets_404_everywhere(client, factory, world, role):
    outsider = await factory.account(role)
    for method, url, body in _requests(world):
        r = await client.request(method, url, json=body, headers=outsider.headers)
        if role is not Role.PARTNER_ADMIN and method == "DELETE":
            assert r.status_code in (403, 404), (
                method,
                url,
                r.text,
            )  # role check comes first: no existence leak
            continue
        assert r.status_code == 404, (role, method, url, r.status_code, r.text)
        assert r.json()["code"] == "not_found"
    listed = (await client.get("/api/v1/waybills", headers=outsider.headers)).json()["items"]
    assert world["number"] not in {w["number"] for w in listed}
    # and nothing changed
    wb = (await client.get(f"/api/v1/waybills/{world['number']}", headers=world["shipper"].headers)).json()
    assert wb["status"] == "booked" and wb["remarks"] is None


async def test_api_key_of_other_tenant_gets_404(client, factory, world):
    admin = await factory.account(Role.PARTNER_ADMIN)
    key = (
        await client.post(
            "/api/v1/api-keys",
            json={"name": "k", "scopes": ["waybills:read", "waybills:write", "events:write"]},
            headers=admin.headers,
        )
    ).json()["key"]
    for method, url, body in _requests(world)[:-1]:
        r = await client.request(method, url, json=body, headers={"X-API-Key": key})
        assert r.status_code == 404, (method, url, r.text)


async def test_api_key_scopes(client, world):
    admin = world["carrier_admin"]
    read_only = (
        await client.post(
            "/api/v1/api-keys", json={"name": "ro", "scopes": ["waybills:read"]}, headers=admin.headers
        )
    ).json()["key"]
    writer = (
        await client.post(
            "/api/v1/api-keys", json={"name": "rw", "scopes": ["events:write"]}, headers=admin.headers
        )
    ).json()["key"]
    n = world["number"]
    assert (await client.get(f"/api/v1/waybills/{n}", headers={"X-API-Key": read_only})).status_code == 200
    event = {
        "event_type": "TRANSPORT",
        "event_code": "DEPA",
        "classifier": "ACT",
        "event_time": "2026-11-20T10:00:00Z",
        "leg_seq": 1,
    }
    r = await client.post(f"/api/v1/waybills/{n}/events", json=event, headers={"X-API-Key": read_only})
    assert r.status_code == 403 and r.json()["code"] == "scope_required"
    r = await client.post(f"/api/v1/waybills/{n}/events", json=event, headers={"X-API-Key": writer})
    assert r.status_code == 201, r.text
    trail = (await client.get(f"/api/v1/waybills/{n}/audit", headers=world["shipper"].headers)).json()
    assert trail[-1]["actor"] == "api-key:rw"
