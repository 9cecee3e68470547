"""Operator commands for connected terminals across processes, over Redis.

Terminals keep their session on one gateway process, while operators act through the API process. An
API-side caller publishes a command on one channel; every gateway hears it, the one holding the
terminal's session sends it (0x8103 set-parameters) and answers with the terminal's 0x0001 result, the
others answer that the terminal is not theirs. The caller knows how many gateways heard it (the
publish count), so "no gateway has this terminal" is an answer, not a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from redis.asyncio import Redis

from yidan.tracking.decoders.jt808 import ParameterValue
from yidan.tracking.gateway import Gateway, TerminalNotConnected

log = logging.getLogger("yidan.tracking.gateway_commands")

COMMAND_CHANNEL = "jt808:commands"


def reply_channel(request_id: str) -> str:
    """Where the gateways answer one command."""
    return f"jt808:reply:{request_id}"


class CommandError(RuntimeError):
    """The gateway holding the terminal could not carry the command out (it did not answer in time)."""


async def send_parameters(
    redis: Redis, identifier: str, params: Mapping[int, int | str], *, timeout_s: float = 10.0
) -> dict[str, Any]:
    """Have whichever gateway holds the terminal send 0x8103; returns {"result", "ack_id", "ack_serial"}."""
    request_id = uuid.uuid4().hex
    pubsub = redis.pubsub()
    await pubsub.subscribe(reply_channel(request_id))
    try:
        command = {
            "id": request_id,
            "identifier": identifier,
            "params": {str(k): v for k, v in params.items()},
            "timeout_s": timeout_s,
        }
        listeners = int(await redis.publish(COMMAND_CHANNEL, json.dumps(command)))
        if listeners == 0:
            raise TerminalNotConnected(f"{identifier}: no gateway is running")
        not_here = 0
        async with asyncio.timeout(timeout_s + 2.0):
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                reply = json.loads(message["data"])
                if reply.get("status") == "ok":
                    return {k: reply[k] for k in ("result", "ack_id", "ack_serial")}
                if reply.get("status") == "error":
                    raise CommandError(f"{identifier}: {reply.get('detail')}")
                not_here += 1
                if not_here >= listeners:
                    raise TerminalNotConnected(f"{identifier} is not connected to any gateway")
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
            await pubsub.aclose()


class CommandListener:
    """Runs beside a gateway: carries out the commands for the terminals connected to it."""

    def __init__(self, gateway: Gateway, redis: Redis) -> None:
        self.gateway = gateway
        self.redis = redis
        self.ready = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop`; a lost Redis connection is retried with backoff (commands meanwhile fail)."""
        delay = 0.5
        while not stop.is_set():
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(COMMAND_CHANNEL)
                self.ready.set()
                delay = 0.5
                while not stop.is_set():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        task = asyncio.create_task(self._carry_out(message["data"]))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
            except Exception as exc:
                self.ready.clear()
                log.warning("gateway commands: Redis unavailable (%s); retrying in %.1f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 15.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
        for task in list(self._tasks):
            task.cancel()

    async def _carry_out(self, data: str) -> None:
        try:
            command = json.loads(data)
            request_id, identifier = str(command["id"]), str(command["identifier"])
            params: dict[int, ParameterValue] = {int(k): v for k, v in dict(command["params"]).items()}
            timeout_s = float(command.get("timeout_s", 10.0))
        except (ValueError, KeyError, TypeError):
            log.warning("gateway commands: unreadable command %r", data[:200])
            return
        if self.gateway.session_of(identifier) is None:
            reply: dict[str, Any] = {"status": "not_connected"}
        else:
            try:
                answer = await self.gateway.set_parameters(identifier, params, timeout_s=timeout_s)
                reply = {
                    "status": "ok",
                    "result": answer.result,
                    "ack_id": answer.ack_id,
                    "ack_serial": answer.ack_serial,
                }
            except TerminalNotConnected:
                reply = {"status": "not_connected"}
            except (TimeoutError, ConnectionError, ValueError) as exc:
                reply = {"status": "error", "detail": f"{type(exc).__name__}: {exc}"}
        await self.redis.publish(reply_channel(request_id), json.dumps(reply))
