"""Test mode: run localstripe (a stateful fake Stripe server) on 127.0.0.1 and point Yidan at it.

`yidan serve` starts it when no Stripe key is configured; the tests start it for the whole session.
Run as a module, this file *is* the subprocess: it serves localstripe's app on 127.0.0.1 only, and keeps
localstripe's state in a file of our choosing (or nowhere) instead of a shared file under /tmp.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

TEST_API_KEY = "sk_test_localstripe"
TEST_PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_ID = "yidan"
WEBHOOK_PATH = "/api/v1/settlement/stripe/webhook"
INFO_FILE = "localstripe.json"


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalStripe:
    """A running localstripe subprocess."""

    port: int
    process: subprocess.Popen[bytes] | None
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(24))
    api_key: str = TEST_API_KEY

    @property
    def url(self) -> str:
        """The base address to give the Stripe SDK (and Stripe.js)."""
        return f"http://127.0.0.1:{self.port}"

    def register_webhook(self, url: str, events: list[str] | None = None) -> None:
        """Have localstripe sign and send its events to url."""
        body: dict[str, Any] = {"url": url, "secret": self.webhook_secret}
        if events is not None:
            body["events"] = events
        r = httpx.post(f"{self.url}/_config/webhooks/{WEBHOOK_ID}", json=body, timeout=5)
        r.raise_for_status()

    def settings_update(self) -> dict[str, Any]:
        """The settings that point Yidan at this server."""
        return {
            "stripe_api_key": self.api_key,
            "stripe_publishable_key": TEST_PUBLISHABLE_KEY,
            "stripe_api_base": self.url,
            "stripe_webhook_secret": self.webhook_secret,
        }

    def stop(self) -> None:
        """Stop the subprocess (if this object started it)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _answers(url: str) -> bool:
    try:
        return httpx.get(
            f"{url}/v1/balance", headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=1
        ).is_success
    except httpx.HTTPError:
        return False


def start(*, port: int | None = None, state_file: Path | None = None, timeout_s: float = 30.0) -> LocalStripe:
    """Start localstripe on 127.0.0.1 and wait until it answers; raise with its output if it does not."""
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "yidan.settlement.localstripe",
        "--port",
        str(port),
        "--parent",
        str(os.getpid()),
    ]
    if state_file is not None:
        cmd += ["--state", str(state_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    server = LocalStripe(port=port, process=proc)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"localstripe exited with {proc.returncode}: {output[-2000:]}")
        if _answers(server.url):
            # the access log goes nowhere from here on: an unread pipe would fill and stall the server
            if proc.stdout:
                proc.stdout.close()
            return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"localstripe did not answer on {server.url} within {timeout_s:.0f} s")


def start_test_mode(data_dir: Path, api_port: int) -> LocalStripe:
    """Start localstripe for `yidan serve`, send its webhooks to the API, and note where it runs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = start(state_file=data_dir / "localstripe.pickle")
    server.register_webhook(f"http://127.0.0.1:{api_port}{WEBHOOK_PATH}")
    (data_dir / INFO_FILE).write_text(json.dumps({"port": server.port, "secret": server.webhook_secret}))
    return server


def running_test_mode(data_dir: Path) -> LocalStripe | None:
    """The localstripe a running `yidan serve` started, if it still answers (the worker shares it)."""
    try:
        info = json.loads((data_dir / INFO_FILE).read_text())
    except (OSError, ValueError):
        return None
    server = LocalStripe(port=int(info["port"]), process=None, webhook_secret=str(info["secret"]))
    return server if _answers(server.url) else None


def _serve(port: int, state: str | None, parent: int | None = None) -> None:
    """Serve localstripe's app on 127.0.0.1, keeping its state in `state` (or in memory only)."""
    from aiohttp import web
    from localstripe import resources, server

    def load(self: Any) -> None:
        if state and os.path.exists(state):
            import pickle

            with open(state, "rb") as fh:
                self.clear()
                self.update(pickle.load(fh))  # noqa: S301 - our own file, written by this process

    def dump(self: Any) -> None:
        if state:
            import pickle

            tmp = f"{state}.tmp"
            with open(tmp, "wb") as fh:
                pickle.dump(dict(self), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, state)

    resources.Store.try_load_from_disk = load  # type: ignore[method-assign]
    resources.Store.dump_to_disk = dump  # type: ignore[method-assign]
    resources.store.try_load_from_disk()

    async def watch_parent(app: web.Application) -> None:
        # a parent killed without running its clean-up must not leave a fake Stripe behind
        import asyncio

        async def watch() -> None:
            while parent is not None:
                try:
                    os.kill(parent, 0)
                except OSError:
                    os._exit(0)
                await asyncio.sleep(1)

        app["parent_watch"] = asyncio.get_running_loop().create_task(watch())

    server.app.on_startup.append(watch_parent)
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="localstripe on 127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", default=None, help="file to keep the fake Stripe's state in")
    parser.add_argument("--parent", type=int, default=None, help="exit when this process is gone")
    args = parser.parse_args()
    _serve(args.port, args.state, args.parent)
