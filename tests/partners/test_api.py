"""The webhook subscription API: secrets shown once, validation, roles, tenancy, audit."""

from __future__ import annotations

import base64

from sqlalchemy import select

from tests.partners.conftest import ALL_TYPES, subscribe
from yidan.core.audit import AuditEntry
from yidan.identity.principal import Role


async def test_the_secret_is_shown_at_creation_and_never_in_list_or_get(client, partner):
    made = await subscribe(
        client, partner, "https://erp.example.com/hooks", ["waybill.event"], description="ERP"
    )
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert made["event_types"] == ["waybill.event"] and made["active"] is True
    assert made["description"] == "ERP" and made["disabled_reason"] is None

    listed = await client.get("/api/v1/webhooks", headers=partner.headers)
    one = await client.get(f"/api/v1/webhooks/{made['id']}", headers=partner.headers)
    patched = await client.patch(
        f"/api/v1/webhooks/{made['id']}", json={"description": "ERP 2"}, headers=partner.headers
    )
    for r in (listed, one, patched):
        assert r.status_code == 200, r.text
        assert secret not in r.text and '"secret"' not in r.text
    assert [s["id"] for s in listed.json()] == [made["id"]]


async def test_rotation_gives_a_new_secret_once(client, partner):
    made = await subscribe(client, partner, "https://erp.example.com/hooks")
    r = await client.post(f"/api/v1/webhooks/{made['id']}/rotate-secret", headers=partner.headers)
    assert r.status_code == 200, r.text
    rotated = r.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != made["secret"]
    assert rotated["secret_rotated_at"] is not None
    one = await client.get(f"/api/v1/webhooks/{made['id']}", headers=partner.headers)
    assert rotated["secret"] not in one.text and made["secret"] not in one.text


async def test_urls_and_event_types_are_validated_with_field_paths(client, partner):
    cases = [
        ({"url": "http://erp.example.com/hooks", "event_types": ["waybill.event"]}, "url", "https"),
        ({"url": "ftp://erp.example.com/hooks", "event_types": ["waybill.event"]}, "url", "https"),
        ({"url": "https://user:pw@erp.example.com/", "event_types": ["waybill.event"]}, "url", "password"),
        ({"url": "not a url", "event_types": ["waybill.event"]}, "url", "https"),
        (
            {"url": "https://erp.example.com/", "event_types": ["waybill.teleported"]},
            "body.event_types[0]",
            "",
        ),
        ({"url": "https://erp.example.com/", "event_types": []}, "body.event_types", ""),
        ({"url": "https://erp.example.com/", "event_types": ["ping"]}, "body.event_types[0]", ""),
        (
            {"url": "https://erp.example.com/", "event_types": ["waybill.event"], "colour": "red"},
            "body.colour",
            "",
        ),
    ]
    for body, path, words in cases:
        r = await client.post("/api/v1/webhooks", json=body, headers=partner.headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == "validation_error"
        assert path in [e["field"] for e in problem["errors"]], (body, problem)
        assert words in problem["detail"], (body, problem)
    assert (await client.get("/api/v1/webhooks", headers=partner.headers)).json() == []


async def test_url_refusals_name_their_rule_with_a_stable_code(client, partner):
    cases = [
        ("http://erp.example.com/hooks", "url_not_https"),
        ("ftp://erp.example.com/hooks", "url_not_absolute"),
        ("not a url", "url_not_absolute"),
        ("https://user:pw@erp.example.com/", "url_credentials"),
        ("https://erp.example.com/hooks#top", "url_fragment"),
        ("https://erp.example.com:port/hooks", "url_invalid"),
    ]
    for url, code in cases:
        r = await client.post(
            "/api/v1/webhooks", json={"url": url, "event_types": ["waybill.event"]}, headers=partner.headers
        )
        assert r.status_code == 422, (url, r.text)
        problem = r.json()
        assert problem["code"] == "validation_error"
        [error] = problem["errors"]
        assert error["field"] == "url" and error["code"] == code, (url, problem)
        assert error["message"] and set(error) == {"field", "message", "code"}
    made = await subscribe(client, partner, "https://erp.example.com/hooks")
    r = await client.patch(
        f"/api/v1/webhooks/{made['id']}", json={"url": "http://10.0.0.8/hook"}, headers=partner.headers
    )
    assert r.status_code == 422 and r.json()["errors"] == [
        {
            "field": "url",
            "message": "must use https:// (plain http:// only to 127.0.0.1 or localhost)",
            "code": "url_not_https",
        }
    ]


async def test_field_errors_without_a_code_keep_their_shape(client, partner):
    made = await subscribe(client, partner, "https://erp.example.com/")
    r = await client.get(f"/api/v1/webhooks/{made['id']}/deliveries?cursor=garbage", headers=partner.headers)
    assert r.status_code == 422, r.text
    assert [set(e) for e in r.json()["errors"]] == [{"field", "message"}]


async def test_plain_http_is_accepted_for_loopback_only(client, partner):
    for url in ("http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:8080/x"):
        made = await subscribe(client, partner, url)
        assert made["url"] == url
    r = await client.patch(
        f"/api/v1/webhooks/{made['id']}", json={"url": "http://10.0.0.8/hook"}, headers=partner.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"


async def test_event_types_are_kept_once_in_catalogue_order(client, partner):
    made = await subscribe(
        client, partner, "https://erp.example.com/", ["payment.succeeded", "waybill.booked", "waybill.booked"]
    )
    assert made["event_types"] == ["waybill.booked", "payment.succeeded"]


async def test_the_catalogue_names_every_type_in_both_languages(client, partner):
    r = await client.get("/api/v1/webhooks/event-types", headers=partner.headers)
    assert r.status_code == 200
    types = r.json()
    assert [t["type"] for t in types] == ALL_TYPES
    assert all(t["en"] and t["zh"] and t["en"] != t["zh"] for t in types)


async def test_update_enable_disable_and_delete_are_audited(client, partner, sessionmaker):
    made = await subscribe(client, partner, "https://erp.example.com/", ["waybill.event"])
    sid = made["id"]
    r = await client.patch(
        f"/api/v1/webhooks/{sid}",
        json={"active": False, "event_types": ["waybill.event", "gate.transaction"], "description": None},
        headers=partner.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["event_types"] == ["waybill.event", "gate.transaction"]
    assert (await client.post(f"/api/v1/webhooks/{sid}/ping", headers=partner.headers)).status_code == 409
    r = await client.patch(f"/api/v1/webhooks/{sid}", json={"active": True}, headers=partner.headers)
    assert r.json()["active"] is True
    await client.post(f"/api/v1/webhooks/{sid}/rotate-secret", headers=partner.headers)
    r = await client.delete(f"/api/v1/webhooks/{sid}", headers=partner.headers)
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(f"/api/v1/webhooks/{sid}", headers=partner.headers)).status_code == 404
    async with sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "webhook_subscription", AuditEntry.object_id == sid)
                .order_by(AuditEntry.id)
            )
        )
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.object_id == sid).order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "webhook.create",
        "webhook.update",
        "webhook.update",
        "webhook.rotate_secret",
        "webhook.delete",
    ]
    assert all(e.actor == partner.email and e.org_id == partner.org.id for e in entries)
    assert entries[1].changes["active"] == {"from": True, "to": False}
    assert all(made["secret"] not in str(e.changes) for e in entries)


async def test_a_foreign_subscription_is_404_everywhere(client, factory, partner):
    made = await subscribe(client, partner, "https://erp.example.com/")
    ping = await client.post(f"/api/v1/webhooks/{made['id']}/ping", headers=partner.headers)
    delivery = ping.json()["id"]
    other = await factory.account(Role.PARTNER_ADMIN)
    sid = made["id"]
    calls = [
        ("GET", f"/api/v1/webhooks/{sid}", None),
        ("PATCH", f"/api/v1/webhooks/{sid}", {"active": False}),
        ("DELETE", f"/api/v1/webhooks/{sid}", None),
        ("POST", f"/api/v1/webhooks/{sid}/rotate-secret", None),
        ("POST", f"/api/v1/webhooks/{sid}/ping", None),
        ("GET", f"/api/v1/webhooks/{sid}/deliveries", None),
        ("POST", f"/api/v1/webhooks/{sid}/deliveries/{delivery}/redeliver", None),
    ]
    for method, url, body in calls:
        r = await client.request(method, url, json=body, headers=other.headers)
        assert r.status_code == 404, (method, url, r.text)
        assert r.json()["code"] == "not_found"
    assert (await client.get("/api/v1/webhooks", headers=other.headers)).json() == []
    # a delivery of one subscription is not reachable through another of the same organisation
    mine = await subscribe(client, partner, "https://other.example.com/")
    r = await client.post(
        f"/api/v1/webhooks/{mine['id']}/deliveries/{delivery}/redeliver", headers=partner.headers
    )
    assert r.status_code == 404
    still = await client.get(f"/api/v1/webhooks/{sid}", headers=partner.headers)
    assert still.status_code == 200 and still.json()["active"] is True


async def test_only_partner_admins_in_person_manage_webhooks(client, factory, partner):
    shipper = await factory.account(Role.SHIPPER)
    r = await client.get("/api/v1/webhooks", headers=shipper.headers)
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    admin = await factory.account(Role.ADMIN)
    assert (await client.get("/api/v1/webhooks", headers=admin.headers)).status_code == 200
    r = await client.post(
        "/api/v1/api-keys", json={"name": "erp", "scopes": ["waybills:read"]}, headers=partner.headers
    )
    key = {"X-API-Key": r.json()["key"]}
    r = await client.post(
        "/api/v1/webhooks", json={"url": "https://x.example.com/", "event_types": ALL_TYPES}, headers=key
    )
    assert r.status_code == 403 and r.json()["code"] == "role_required"
    assert (await client.get("/api/v1/webhooks")).status_code == 401


async def test_deliveries_are_paged_newest_first(client, partner):
    made = await subscribe(client, partner, "https://erp.example.com/")
    sent = []
    for _ in range(5):
        r = await client.post(f"/api/v1/webhooks/{made['id']}/ping", headers=partner.headers)
        assert r.status_code == 202, r.text
        assert r.json()["event_type"] == "ping" and r.json()["status"] == "pending"
        sent.append(r.json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await client.get(
            f"/api/v1/webhooks/{made['id']}/deliveries", params=params, headers=partner.headers
        )
        assert r.status_code == 200, r.text
        page = r.json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(sent))
    r = await client.get(
        f"/api/v1/webhooks/{made['id']}/deliveries", params={"status": "delivered"}, headers=partner.headers
    )
    assert r.json()["items"] == []
    r = await client.get(
        f"/api/v1/webhooks/{made['id']}/deliveries", params={"cursor": "nonsense"}, headers=partner.headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
