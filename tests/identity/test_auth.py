"""Log-in, access-token rules (RFC 8725) and refresh-token rotation."""

import time
import uuid

import jwt
import pytest

from tests.conftest import PASSWORD
from yidan.identity.principal import Role


async def test_login_and_me(client, factory):
    acct = await factory.account(Role.SHIPPER)
    r = await client.get("/api/v1/me", headers=acct.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["email"] == acct.email
    assert body["role"] == "shipper"
    assert body["organisation"]["id"] == str(acct.org.id)


async def test_wrong_password_is_401_problem(client, factory):
    acct = await factory.account(Role.SHIPPER)
    r = await client.post("/api/v1/auth/token", data={"username": acct.email, "password": "wrong-password"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_credentials"
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody@x.y", "password": "whatever1"}
    )
    assert unknown.status_code == 401 and unknown.json()["code"] == "invalid_credentials"


async def test_access_token_shape(client, factory, settings):
    acct = await factory.account(Role.DISPATCHER)
    header = jwt.get_unverified_header(acct.token)
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    claims = jwt.decode(acct.token, settings.jwt_secret, algorithms=["HS256"], audience=settings.jwt_audience)
    assert claims["iss"] == settings.jwt_issuer
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert claims["role"] == "dispatcher"


def _forge(settings, acct, **overrides):
    now = int(time.time())
    claims = {
        "sub": "",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 600,
        "org": str(acct.org.id),
        "role": "shipper",
    }
    claims.update(overrides.pop("claims", {}))
    headers = {"typ": "at+jwt", **overrides.pop("headers", {})}
    key = overrides.pop("key", settings.jwt_secret)
    alg = overrides.pop("alg", "HS256")
    return jwt.encode(claims, key, algorithm=alg, headers=headers)


async def _user_id(client, acct):
    return (await client.get("/api/v1/me", headers=acct.headers)).json()["id"]


@pytest.mark.parametrize(
    ("case", "expected_code"),
    [
        ("expired", "token_expired"),
        ("wrong_audience", "invalid_token"),
        ("wrong_issuer", "invalid_token"),
        ("wrong_key", "invalid_token"),
        ("typ_refresh", "invalid_token"),
        ("hs512", "invalid_token"),
        ("no_exp", "invalid_token"),
    ],
)
async def test_token_rules(client, factory, settings, case, expected_code):
    acct = await factory.account(Role.SHIPPER)
    sub = await _user_id(client, acct)
    now = int(time.time())
    variants = {
        "expired": {"claims": {"sub": sub, "iat": now - 4000, "exp": now - 3000}},
        "wrong_audience": {"claims": {"sub": sub, "aud": "someone-else"}},
        "wrong_issuer": {"claims": {"sub": sub, "iss": "evil"}},
        "wrong_key": {"claims": {"sub": sub}, "key": "not-the-secret-but-long-enough-for-hmac"},
        "typ_refresh": {"claims": {"sub": sub}, "headers": {"typ": "refresh"}},
        "hs512": {"claims": {"sub": sub}, "alg": "HS512"},
    }
    if case == "no_exp":
        token = jwt.encode(
            {"sub": sub, "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now},
            settings.jwt_secret,
            algorithm="HS256",
            headers={"typ": "at+jwt"},
        )
    else:
        token = _forge(settings, acct, **variants[case])
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.json()["code"] == expected_code
    assert r.headers["www-authenticate"] == "Bearer"


async def test_alg_none_is_rejected(client, factory, settings):
    acct = await factory.account(Role.SHIPPER)
    sub = await _user_id(client, acct)
    now = int(time.time())
    token = jwt.encode(
        {"sub": sub, "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + 600},
        None,
        algorithm="none",
        headers={"typ": "at+jwt"},
    )
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "not allowed" in r.json()["detail"]


async def test_valid_forged_token_for_control(client, factory, settings):
    """The forging helper makes tokens the API accepts, so the rejections above are about the one rule."""
    acct = await factory.account(Role.SHIPPER)
    sub = await _user_id(client, acct)
    r = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {_forge(settings, acct, claims={'sub': sub})}"}
    )
    assert r.status_code == 200


async def test_refresh_rotates_and_reuse_revokes_family(client, factory):
    acct = await factory.account(Role.SHIPPER)
    first = (
        await client.post("/api/v1/auth/token", data={"username": acct.email, "password": PASSWORD})
    ).json()
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    ).status_code == 200
    # replaying the spent token is theft or a bug: the whole family is revoked, including the new token
    replay = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["code"] == "refresh_token_reused"
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401 and after.json()["code"] == "invalid_refresh_token"


async def test_refresh_token_is_not_an_access_token(client, factory):
    acct = await factory.account(Role.SHIPPER)
    pair = (
        await client.post("/api/v1/auth/token", data={"username": acct.email, "password": PASSWORD})
    ).json()
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_token"


async def test_access_token_is_not_a_refresh_token(client, factory):
    acct = await factory.account(Role.SHIPPER)
    r = await client.post("/api/v1/auth/refresh", json={"refresh_token": acct.token})
    assert r.status_code == 401


async def test_no_credentials(client):
    r = await client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["code"] == "not_authenticated"


async def test_unknown_subject(client, factory, settings):
    acct = await factory.account(Role.SHIPPER)
    token = _forge(settings, acct, claims={"sub": str(uuid.uuid4())})
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
