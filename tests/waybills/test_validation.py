"""Bad input gets problem+json that names the field; nothing is half-written."""

import copy

import pytest

from tests.conftest import waybill_body
from yidan.identity.principal import OrgKind, Role


@pytest.fixture
async def shipper_and_body(factory):
    shipper = await factory.account(Role.SHIPPER)
    carriers = [await factory.org(OrgKind.CARRIER) for _ in range(2)]
    return shipper, waybill_body([c.id for c in carriers])


def _set(body, path, value):
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()

CASES = [
    ("unknown top-level field", ["colour"], "blue", "body.colour", "unknown field"),
    ("unknown nested field", ["legs", 0, "speed"], 12, "body.legs[0].speed", "unknown field"),
    ("wrong type", ["cargo_lines", 0, "packages"], "many", "body.cargo_lines[0].packages", "integer"),
    (
        "impossible date",
        ["legs", 0, "planned_departure"],
        "2026-02-30T10:00:00Z",
        "body.legs[0].planned_departure",
        "",
    ),
    (
        "date without zone",
        ["legs", 0, "planned_departure"],
        "2026-12-01T10:00:00",
        "body.legs[0].planned_departure",
        "timezone",
    ),
    (
        "arrival before departure",
        ["legs", 1, "planned_arrival"],
        "2026-12-04T00:00:00+08:00",
        "body.legs[1]",
        "planned_arrival must be after planned_departure",
    ),
    (
        "bad container check digit",
        ["equipment", 0, "container_number"],
        "CSQU3054384",
        "body.equipment[0].container_number",
        "check digit",
    ),
    ("bad size type", ["equipment", 0, "size_type"], "99ZZ", "body.equipment[0].size_type", ""),
    ("bad UN/LOCODE syntax", ["legs", 0, "from_unlocode"], "NINGBO", "body.legs[0].from_unlocode", ""),
    ("UN number without class", ["cargo_lines", 1, "dg_class"], _DELETE, "body.cargo_lines[1]", "dg_class"),
    ("bad plate", ["legs", 2, "vehicle", "truck_plate"], "ABC", "body.legs[2].vehicle.truck_plate", ""),
    ("bad mode", ["legs", 0, "mode"], "AIRPLANE", "body.legs[0].mode", ""),
    ("missing consignee", ["consignee"], _DELETE, "body.consignee", "required"),
    ("negative weight", ["cargo_lines", 0, "gross_weight_kg"], -5, "body.cargo_lines[0].gross_weight_kg", ""),
]


@pytest.mark.parametrize(("name", "path", "value", "field", "words"), CASES, ids=[c[0] for c in CASES])
async def test_schema_errors_name_the_field(client, shipper_and_body, name, path, value, field, words):
    shipper, body = shipper_and_body
    body = copy.deepcopy(body)
    _set(body, path, value)
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "validation_error" and problem["status"] == 422
    fields = [e["field"] for e in problem["errors"]]
    assert field in fields, fields
    message = next(e["message"] for e in problem["errors"] if e["field"] == field)
    assert words.lower() in message.lower()


async def test_malformed_json(client, shipper_and_body):
    shipper, _ = shipper_and_body
    r = await client.post(
        "/api/v1/waybills",
        content=b'{"consignee": {"name": "x"},',
        headers={**shipper.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
    problem = r.json()
    assert problem["errors"][0]["field"].startswith("body")
    assert "malformed JSON" in problem["errors"][0]["message"]


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (
            lambda b: b["legs"][0].update(from_unlocode="CNZZZ"),
            "legs[0].from_unlocode",
            "unknown UN/LOCODE CNZZZ",
        ),
        (
            lambda b: b["legs"][1].update(from_unlocode="CNSHA"),
            "legs[1].from_unlocode",
            "must begin at CNTAO",
        ),
        (
            lambda b: b["legs"][1].update(planned_departure="2026-12-02T00:00:00+08:00"),
            "legs[1].planned_departure",
            "cannot depart before",
        ),
        (
            lambda b: b["legs"][0].update(carrier_id="00000000-0000-0000-0000-000000000000"),
            "legs[0].carrier_id",
            "unknown organisation",
        ),
        (lambda b: b["legs"][0].update(from_terminal="NOPE-T"), "legs[0].from_terminal", "unknown terminal"),
        (lambda b: b["equipment"].append(dict(b["equipment"][0])), "equipment[1].container_number", "twice"),
    ],
    ids=[
        "unknown-unlocode",
        "legs-do-not-connect",
        "overlapping-legs",
        "unknown-carrier",
        "unknown-terminal",
        "duplicate-container",
    ],
)
async def test_rule_errors_name_the_field(client, shipper_and_body, mutate, field, words):
    shipper, body = shipper_and_body
    body = copy.deepcopy(body)
    mutate(body)
    before = (await client.get("/api/v1/waybills", headers=shipper.headers)).json()["items"]
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert field in errors, errors
    assert words in errors[field]
    after = (await client.get("/api/v1/waybills", headers=shipper.headers)).json()["items"]
    assert after == before


async def test_carrier_must_be_a_carrier(client, factory, shipper_and_body):
    shipper, body = shipper_and_body
    other_shipper = await factory.org(OrgKind.SHIPPER)
    body = copy.deepcopy(body)
    body["legs"][0]["carrier_id"] = str(other_shipper.id)
    r = await client.post("/api/v1/waybills", json=body, headers=shipper.headers)
    assert r.status_code == 422
    assert "not a carrier" in r.json()["errors"][0]["message"]


async def test_bad_cursor_is_named(client, shipper_and_body):
    shipper, _ = shipper_and_body
    r = await client.get("/api/v1/waybills?cursor=garbage", headers=shipper.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
