"""Invoice numbers per organisation and series have no gaps and no duplicates, even under concurrency
and when some of the transactions that took a number roll back."""

from __future__ import annotations

import asyncio

from yidan.identity.principal import OrgKind, Role
from yidan.settlement.invoices import next_number
from yidan.settlement.models import InvoiceKind


async def test_concurrent_numbers_are_gapless_when_some_transactions_roll_back(factory, sessionmaker):
    org = await factory.org(OrgKind.CARRIER)
    committed: list[str] = []

    async def take(i: int) -> None:
        async with sessionmaker() as s:
            number = await next_number(s, org.id, InvoiceKind.INVOICE)
            await asyncio.sleep(0.005 * (i % 4))  # hold the lock a little, as a real issue would
            if i % 3 == 0:
                await s.rollback()  # the issue failed: its number must be given back
            else:
                await s.commit()
                committed.append(number)

    await asyncio.gather(*(take(i) for i in range(30)))
    assert sorted(committed) == [f"INV-{n:08d}" for n in range(1, len(committed) + 1)]
    assert len(committed) == 20
    # credit notes have a series of their own
    async with sessionmaker() as s:
        assert await next_number(s, org.id, InvoiceKind.CREDIT_NOTE) == "CN-00000001"
        await s.rollback()


async def test_concurrent_issues_over_the_api_get_consecutive_numbers(make_deal, client):
    deal = await make_deal()
    drafts = [await deal.invoice(issue=False) for _ in range(6)]
    responses = await asyncio.gather(
        *(
            client.post(f"/api/v1/settlement/invoices/{d['id']}/issue", headers=deal.carrier_finance.headers)
            for d in drafts
        )
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    numbers = sorted(r.json()["number"] for r in responses)
    assert numbers == [f"INV-{n:08d}" for n in range(1, 7)]
    # voiding keeps the number used; the next issue continues the series
    r = await client.post(
        f"/api/v1/settlement/invoices/{drafts[0]['id']}/void", headers=deal.carrier_finance.headers
    )
    assert r.json()["status"] == "void" and r.json()["number"] in numbers
    other = await deal.invoice()
    assert other["number"] == "INV-00000007"


async def test_other_tenants_cannot_see_or_issue(make_deal, client, factory):
    deal = await make_deal()
    draft = await deal.invoice(issue=False)
    stranger = await factory.account(Role.FINANCE)
    r = await client.get(f"/api/v1/settlement/invoices/{draft['id']}", headers=stranger.headers)
    assert r.status_code == 404
    r = await client.post(f"/api/v1/settlement/invoices/{draft['id']}/issue", headers=stranger.headers)
    assert r.status_code == 404
    # the shipper sees its invoice but cannot issue it; the carrier's dispatcher does not see it at all
    r = await client.get(f"/api/v1/settlement/invoices/{draft['id']}", headers=deal.shipper.headers)
    assert r.status_code == 200
    r = await client.post(f"/api/v1/settlement/invoices/{draft['id']}/issue", headers=deal.shipper.headers)
    assert r.status_code == 404
    r = await client.get(
        f"/api/v1/settlement/invoices/{draft['id']}", headers=deal.carrier_dispatcher.headers
    )
    assert r.status_code == 404
    r = await client.get("/api/v1/settlement/invoices", headers=stranger.headers)
    assert r.json()["items"] == []
    r = await client.get("/api/v1/settlement/invoices", headers=deal.shipper.headers)
    assert [i["id"] for i in r.json()["items"]] == [draft["id"]]
