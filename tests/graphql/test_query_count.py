"""A page of waybills with every nested list costs the same number of SQL statements at any page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.graphql.conftest import WAYBILL_FIELDS, Gql, create_waybill, rest_body
from yidan.identity.principal import OrgKind, Role

PAGE = (
    f"query($first: Int!) {{ waybills(first: $first) {{ edges {{ cursor node {{ {WAYBILL_FIELDS} }} }} }} }}"
)
BOUND = 12


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    """Collect the SQL statements the app sends while the block runs."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_page_cost_does_not_grow_with_the_page(app: Any, client: Any, gql: Gql, factory: Any) -> None:
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(3)]
    consignee = await factory.org(OrgKind.SHIPPER)
    for i in range(50):
        body = rest_body(
            [carriers[i % 3].id, carriers[(i + 1) % 3].id],
            book=i % 2 == 0,
            consignee={"name": "Consignee", "organisation_id": str(consignee.id)},
        )
        await create_waybill(client, shipper.headers, body)

    counts = {}
    for size in (5, 50):
        with counting(app) as statements:
            body = await gql(PAGE, {"first": size}, headers=shipper.headers)
        assert "errors" not in body, body
        edges = body["data"]["waybills"]["edges"]
        assert len(edges) == size
        assert all(len(e["node"]["legs"]) == 2 and e["node"]["legs"][1]["toLocation"]["name"] for e in edges)
        assert sum(len(e["node"]["events"]) for e in edges) > 0
        counts[size] = len(statements)
    print(f"SQL statements for a page of 5: {counts[5]}, of 50: {counts[50]}")
    assert counts[5] == counts[50], counts
    # the caller (2), the page with parties, legs and cargo (4), then one batch each: equipment, events,
    # organisations (carriers and party tenants), places
    assert counts[50] <= BOUND, counts
