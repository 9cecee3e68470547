"""What `yidan serve` and `yidan worker` do for settlement: test mode with localstripe, demo payments,
and the worker process."""

from __future__ import annotations

import asyncio
import logging

from yidan.settings import Settings
from yidan.settlement import localstripe

log = logging.getLogger("yidan.settlement")
# the Stripe SDK logs every request at INFO; the worker and the demo only need its warnings
for _noisy in ("stripe", "httpx"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def start_payments(
    settings: Settings, database_url: str, *, demo: bool
) -> tuple[Settings, localstripe.LocalStripe | None]:
    """With a Stripe key, nothing to do; without one, start localstripe, send its webhooks to the API,
    pay a few demo invoices, and say loudly that payments are in test mode."""
    if settings.stripe_api_key:
        return settings, None
    print("• no YIDAN_STRIPE_API_KEY: starting localstripe (a fake Stripe) …", flush=True)
    server = localstripe.start_test_mode(settings.data_dir, settings.port)
    settings = settings.model_copy(update=server.settings_update())
    print(f"  payments are in TEST MODE against {server.url} — no real money moves", flush=True)
    print("  test cards: 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0341 (declined)", flush=True)
    if demo:
        from yidan.settlement.demo import pay_demo_invoices

        try:
            paid = asyncio.run(pay_demo_invoices(settings, database_url))
        except Exception:  # the demo must come up even when its sample payments cannot be made
            log.exception("demo payments failed")
        else:
            if paid:
                print(f"  demo: {paid} payments made through localstripe", flush=True)
    return settings, server


def run_worker(settings: Settings, database_url: str, *, once: bool) -> int:
    """Apply stored Stripe events, reconcile daily and send partner webhooks (once: one pass of each,
    with the report printed)."""
    from yidan.core.db import make_engine, make_sessionmaker
    from yidan.partners.tasks import config_for as webhooks_config
    from yidan.partners.tasks import run_worker as run_webhooks
    from yidan.settlement.gateway import gateway_for
    from yidan.settlement.tasks import run_worker as loop

    server = None
    if not settings.stripe_api_key:
        # share the localstripe of a running `yidan serve`, else start one on the same state
        server = localstripe.running_test_mode(settings.data_dir)
        owned = server is None
        if server is None:
            server = localstripe.start(state_file=settings.data_dir / "localstripe.pickle")
        settings = settings.model_copy(update=server.settings_update())
        print(f"• payments in TEST MODE: worker talks to localstripe at {server.url}", flush=True)
        if not owned:
            server = None

    async def main() -> int:
        engine = make_engine(database_url, pool_size=4)
        maker = make_sessionmaker(engine)
        webhooks = webhooks_config(settings)
        try:
            if once:
                await loop(maker, gateway_for(settings), once=True)
                await run_webhooks(maker, webhooks, once=True)
            else:
                await asyncio.gather(
                    loop(maker, gateway_for(settings)),
                    run_webhooks(maker, webhooks, interval_s=settings.webhooks_poll_s),
                )
        finally:
            await engine.dispose()
        return 0

    try:
        return asyncio.run(main())
    finally:
        if server is not None:
            server.stop()
