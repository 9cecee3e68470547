"""Passes as QR codes, PDF and driver link; offline verification; tenancy; reports; GraphQL."""

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.gates.conftest import plate
from yidan.identity.principal import Role


async def _booked(world, **kw):
    wb = await world.waybill(**kw)
    truck = plate()
    appt = (await world.book(await world.slot(), wb, truck=truck)).json()
    return wb, appt, truck


async def test_pass_renders_as_qr_pdf_and_driver_link(world):
    _, appt, _ = await _booked(world)
    p = appt["gate_pass"]
    h = world.trucker.headers
    png = await world.client.get(p["qr_png_url"].replace("http://127.0.0.1:8000", ""), headers=h)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = await world.client.get(p["qr_svg_url"].replace("http://127.0.0.1:8000", ""), headers=h)
    assert svg.status_code == 200 and b"<svg" in svg.content
    pdf = await world.client.get(p["pdf_url"].replace("http://127.0.0.1:8000", ""), headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    link = p["driver_url"].replace("http://127.0.0.1:8000", "")
    page = await world.client.get(link)  # no credentials: the key in the link opens it
    assert page.status_code == 200 and "闸口通行证" in page.text and "<svg" in page.text
    assert p["truck_plate"] in page.text and link in p["driver_message"]
    assert (await world.client.get(link.split("?")[0] + "?k=wrong")).status_code == 404
    assert (await world.client.get(link.replace("?k=", "/pass.pdf?k="))).content.startswith(b"%PDF")


async def test_token_verifies_offline_with_the_published_key(world):
    _, appt, truck = await _booked(world)
    token = appt["gate_pass"]["token"]
    keys = (await world.client.get("/api/v1/gates/pass-keys")).json()["keys"]
    header, body, sig = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    kid = json.loads(base64.urlsafe_b64decode(pad(header)))["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(pad(jwk["x"])))
    public.verify(base64.urlsafe_b64decode(pad(sig)), f"{header}.{body}".encode())
    claims = json.loads(base64.urlsafe_b64decode(pad(body)))
    assert claims["gt"] == world.gate and claims["pl"] == truck and claims["dr"] == "inout"
    assert claims["exp"] > claims["nbf"] and len(token) < 400


async def test_other_tenants_get_404_for_appointments_passes_and_transactions(world):
    _wb, appt, truck = await _booked(world)
    answer = await world.scan(appt["gate_pass"]["token"], truck)
    for role in (Role.DISPATCHER, Role.GATE_OPERATOR, Role.SHIPPER, Role.ADMIN):
        outsider = await world.factory.account(role)
        h = outsider.headers
        for url in (
            f"/api/v1/gates/appointments/{appt['id']}",
            f"/api/v1/gates/appointments/{appt['id']}/audit",
            f"/api/v1/gates/passes/{appt['gate_pass']['id']}",
            f"/api/v1/gates/passes/{appt['gate_pass']['id']}/qr.png",
            f"/api/v1/gates/transactions/{answer['id']}",
        ):
            r = await world.client.get(url, headers=h)
            assert r.status_code == 404, (role, url, r.text)
        for url, body in (
            (f"/api/v1/gates/appointments/{appt['id']}/cancel", {"reason": "not mine"}),
            (f"/api/v1/gates/passes/{appt['gate_pass']['id']}/revoke", {"reason": "not mine"}),
        ):
            assert (await world.client.post(url, json=body, headers=h)).status_code == 404
        listed = (await world.client.get("/api/v1/gates/appointments", headers=h)).json()
        assert appt["id"] not in {a["id"] for a in listed}
        by_waybill = await world.client.get(
            "/api/v1/gates/appointments", params={"waybill": _wb["number"]}, headers=h
        )
        assert by_waybill.status_code == 200 and by_waybill.json() == []
    # those involved see it: the shipper, the terminal operator, also narrowed to the waybill
    for who in (world.shipper, world.gate_op):
        assert (
            await world.client.get(f"/api/v1/gates/appointments/{appt['id']}", headers=who.headers)
        ).status_code == 200
        by_waybill = await world.client.get(
            "/api/v1/gates/appointments", params={"waybill": _wb["number"]}, headers=who.headers
        )
        assert by_waybill.status_code == 200, by_waybill.text
        assert [a["id"] for a in by_waybill.json()] == [appt["id"]]
    assert (
        await world.client.get(f"/api/v1/gates/transactions/{answer['id']}", headers=world.trucker.headers)
    ).status_code == 200


async def test_reports_and_csv(world):
    wb, appt, truck = await _booked(world)
    token = appt["gate_pass"]["token"]
    await world.scan(token, "陕B99999")  # denied: plate
    await world.scan(token, truck)
    await world.scan(token, truck, direction="out", box=wb["containers"][0])
    h = world.gate_op.headers
    arrivals = (await world.client.get(f"/api/v1/gates/{world.gate}/reports/arrivals", headers=h)).json()
    slot = next(s for s in arrivals["slots"] if s["slot_id"] == appt["slot"]["id"])
    assert (slot["booked"], slot["arrived"], slot["on_time"]) == (1, 1, 1)
    dwell = (await world.client.get(f"/api/v1/gates/{world.gate}/reports/dwell", headers=h)).json()
    assert dwell["completed"] == 1 and dwell["items"][0]["minutes"] is not None
    denials = (await world.client.get(f"/api/v1/gates/{world.gate}/reports/denials", headers=h)).json()
    assert (denials["scans"], denials["admitted"], denials["denied"]) == (3, 2, 1)
    assert denials["by_reason"][0]["code"] == "plate_mismatch" and denials["by_reason"][0]["zh"] == "车牌不符"
    today = (await world.client.get(f"/api/v1/gates/{world.gate}/appointments", headers=h)).json()
    assert [a["id"] for a in today] == [appt["id"]]
    page = (await world.client.get(f"/api/v1/gates/{world.gate}/transactions?limit=2", headers=h)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = (
        await world.client.get(
            f"/api/v1/gates/{world.gate}/transactions",
            params={"limit": 2, "cursor": page["next_cursor"]},
            headers=h,
        )
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    for report in ("transactions", "arrivals", "dwell", "denials"):
        r = await world.client.get(f"/api/v1/gates/{world.gate}/reports/{report}.csv", headers=h)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), report
    csv_text = (
        await world.client.get(f"/api/v1/gates/{world.gate}/reports/transactions.csv", headers=h)
    ).text
    assert csv_text.count("\n") == 4 and "plate_mismatch" in csv_text and "车牌" in csv_text
    # reports are the terminal's: a dispatcher is refused
    r = await world.client.get(f"/api/v1/gates/{world.gate}/reports/denials", headers=world.trucker.headers)
    assert r.status_code == 403


async def test_graphql_book_scan_and_report(world):
    wb = await world.waybill()
    slot = await world.slot()
    truck = plate()

    async def gql(query, variables, who):
        r = await world.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=who.headers
        )
        assert r.status_code == 200, r.text
        return r.json()

    booked = await gql(
        """mutation($input: BookGateAppointmentInput!) { bookGateAppointment(input: $input) {
             appointment { id reference status slot { booked } gatePass { id token status driverUrl } } } }""",
        {
            "input": {
                "waybillNumber": wb["number"],
                "legSeq": 3,
                "kind": "PICKUP",
                "slotId": slot["id"],
                "truckPlate": truck,
                "driver": {"name": "Zhang", "phone": "13800138000", "licence": "610102199001011234"},
                "containerNumber": wb["containers"][0],
            }
        },
        world.trucker,
    )
    assert "errors" not in booked, booked
    appt = booked["data"]["bookGateAppointment"]["appointment"]
    assert appt["status"] == "CONFIRMED" and appt["slot"]["booked"] == 1
    scanned = await gql(
        """mutation($gate: String!, $input: ScanGatePassInput!) { scanGatePass(gate: $gate, input: $input) {
             transaction { id result reasons { code severity en zh } appointmentReference } } }""",
        {
            "gate": world.gate,
            "input": {"token": appt["gatePass"]["token"], "plate": truck, "lane": "1", "direction": "IN"},
        },
        world.gate_op,
    )
    tx = scanned["data"]["scanGatePass"]["transaction"]
    assert tx["result"] == "ADMIT" and tx["appointmentReference"] == appt["reference"]
    refused = await gql(
        """mutation($gate: String!, $input: ScanGatePassInput!) { scanGatePass(gate: $gate, input: $input) {
             transaction { id } } }""",
        {
            "gate": world.gate,
            "input": {"token": appt["gatePass"]["token"], "plate": truck, "lane": "1", "direction": "IN"},
        },
        world.trucker,
    )
    assert refused["errors"][0]["extensions"]["code"] == "not_gate_operator"
    report = await gql(
        """query($gate: String!) { gateArrivals(gate: $gate) { arrived booked slots { slotId arrived } }
             gateTransactions(gate: $gate, first: 5) { edges { node { result } } pageInfo { hasNextPage } }
             gateDenials(gate: $gate) { scans admitted }
             gateAppointments(gate: $gate) { reference gatePass { status } } }""",
        {"gate": world.gate},
        world.gate_op,
    )
    assert "errors" not in report, report
    data = report["data"]
    assert data["gateArrivals"]["arrived"] == 1 and data["gateDenials"]["admitted"] == 1
    assert [e["node"]["result"] for e in data["gateTransactions"]["edges"]] == ["ADMIT"]
    other = await world.factory.account(Role.DISPATCHER)
    hidden = await gql("query($id: ID!) { gateAppointment(id: $id) { id } }", {"id": appt["id"]}, other)
    assert hidden["data"]["gateAppointment"] is None
