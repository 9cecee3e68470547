"""Query depth and alias limits, introspection, and the masking of unexpected errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import get_introspection_query
from httpx import ASGITransport, AsyncClient

from tests.graphql.conftest import Gql, codes
from yidan.app import create_app
from yidan.identity import service as identity_service
from yidan.identity.principal import Role
from yidan.settings import Settings

DEEP = "{ waybills { edges { node { legs { carrier { id } } } } } }"  # depth 5: root fields count 0


@pytest.fixture
async def strict_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    """A second app on the same database with small GraphQL limits."""
    app = create_app(settings.model_copy(update={"graphql_max_depth": 4, "graphql_max_aliases": 2}))
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as c,
    ):
        yield c


async def test_depth_limit(strict_client: AsyncClient, factory: Any) -> None:
    shipper = await factory.account(Role.SHIPPER)
    r = await strict_client.post("/graphql", json={"query": DEEP}, headers=shipper.headers)
    body = r.json()
    assert body["data"] is None
    assert "exceeds maximum operation depth of 4" in body["errors"][0]["message"]
    shallow = "{ waybills { edges { node { number } } } }"
    r = await strict_client.post("/graphql", json={"query": shallow}, headers=shipper.headers)
    assert "errors" not in r.json(), r.json()


async def test_alias_limit(strict_client: AsyncClient, gql: Gql) -> None:
    r = await strict_client.post("/graphql", json={"query": "{ a: version b: version c: version }"})
    body = r.json()
    assert body["data"] is None
    assert "aliases found" in body["errors"][0]["message"]
    r = await strict_client.post("/graphql", json={"query": "{ a: version b: version }"})
    assert r.json() == {"data": {"a": r.json()["data"]["a"], "b": r.json()["data"]["b"]}}


async def test_default_limits_from_settings(gql: Gql) -> None:
    limit = Settings().graphql_max_aliases
    many = " ".join(f"v{i}: version" for i in range(limit))
    assert "errors" not in await gql(f"{{ {many} }}")
    body = await gql(f"{{ {many} extra: version }}")
    assert body["data"] is None and body["errors"]


async def test_introspection_stays_on(gql: Gql, strict_client: AsyncClient) -> None:
    body = await gql(get_introspection_query())
    assert "errors" not in body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Waybill", "WaybillConnection", "CreateWaybillInput", "PostEventPayload"} <= names
    # the introspection query is deeper than any limit, and is not counted against it
    r = await strict_client.post("/graphql", json={"query": get_introspection_query()})
    assert "errors" not in r.json()


async def test_graphiql_is_served(client: AsyncClient) -> None:
    r = await client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


async def test_unexpected_errors_are_masked(
    gql: Gql, factory: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    shipper = await factory.account(Role.SHIPPER)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("password=hunter2 at db-7.internal")

    monkeypatch.setattr(identity_service, "list_organisations", broken)
    body = await gql("{ organisations { id } version }", headers=shipper.headers)
    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Internal server error",
            "locations": [{"line": 1, "column": 3}],
            "path": ["organisations"],
            "extensions": {"code": "internal_error"},
        }
    ]
    assert "hunter2" in caplog.text  # logged for us, never shown to the client


async def test_syntax_and_schema_errors_are_shown(gql: Gql) -> None:
    body = await gql("{ version ")
    assert "Syntax Error" in body["errors"][0]["message"]
    body = await gql("{ nope }")
    assert "Cannot query field 'nope'" in body["errors"][0]["message"]
    assert codes(body) == [None]
