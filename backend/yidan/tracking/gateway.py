"""The JT/T 808 TCP gateway: accepts terminals, runs their sessions, and hands their fixes to the pipeline.

One `Jt808Connection` (gateway_session.py) per socket; this module owns the listening socket, the
connection cap, idle reaping, the device → connection map used by operator actions, and a graceful stop.
A location report is acknowledged only after the pipeline says its fixes are committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from yidan.tracking.decoders.fix import Fix
from yidan.tracking.decoders.jt808 import ParameterValue, TerminalResponse
from yidan.tracking.device_registry import LastSeen
from yidan.tracking.gateway_session import Jt808Connection, SessionLimits
from yidan.tracking.pipeline import SubmitReport

log = logging.getLogger("yidan.tracking.gateway")

# JT/T 808 terminal parameter: default time reporting interval, seconds.
PARAM_REPORT_INTERVAL = 0x0029
PARAM_HEARTBEAT_INTERVAL = 0x0001


class FixSink(Protocol):
    """Where fixes go: the pipeline, whose submit returns once the fixes are committed."""

    async def submit(
        self, fixes: Sequence[Fix], *, devices: Sequence[uuid.UUID | None] | None = None
    ) -> SubmitReport:
        """Store fixes (of the given device rows, when known); return per-fix outcomes after commit."""
        ...


class TerminalNotConnected(LookupError):
    """The terminal an operator action names has no authenticated session on this gateway."""


@dataclass
class GatewayStats:
    """Counters an operator (or the benchmark) reads to see what the gateway is doing."""

    accepted: int = 0
    refused: int = 0
    closed: int = 0
    reaped: int = 0
    frames: int = 0
    bad_frames: int = 0
    discarded_bytes: int = 0
    fixes_submitted: int = 0
    fixes_stored: int = 0
    fixes_duplicate: int = 0
    fixes_rejected: int = 0
    acks: int = 0
    submit_failures: int = 0
    tolerated: Counter[str] = field(default_factory=Counter)


class Gateway:
    """A JT/T 808 server: `await start()`, then `await stop()` for a graceful shutdown."""

    def __init__(
        self,
        sink: FixSink,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        host: str = "127.0.0.1",
        port: int = 7808,
        idle_timeout_s: float = 180.0,
        max_connections: int = 20_000,
        strict: bool = False,
        limits: SessionLimits | None = None,
        last_seen_every_s: float = 60.0,
        reuse_port: bool = False,
    ) -> None:
        self.sink = sink
        self.sessionmaker = sessionmaker
        self.host = host
        self.port = port
        self.idle_timeout_s = idle_timeout_s
        self.max_connections = max_connections
        # Strict refuses frames with a wrong check code or body length; real terminals send such frames,
        # so by default they are read and what was tolerated is logged and counted.
        self.strict = strict
        self.limits = limits or SessionLimits()
        # Several gateway processes may listen on one port (Linux spreads new connections over them):
        # the way past one Python process's CPU, each process with its own pipeline.
        self.reuse_port = reuse_port
        self.stats = GatewayStats()
        self.read_buffer = memoryview(bytearray(self.limits.read_size))
        self.last_seen = LastSeen(sessionmaker, every_s=last_seen_every_s)
        self.stopping = False
        self._server: asyncio.Server | None = None
        self._connections: set[Jt808Connection] = set()
        self._by_device: dict[str, Jt808Connection] = {}
        self._background: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the listening socket and start the reaper and the last-seen writer."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Jt808Connection(self),
            self.host,
            self.port,
            backlog=4096,
            reuse_address=True,
            reuse_port=self.reuse_port or None,
        )
        sockets = self._server.sockets
        if sockets and self.port == 0:
            self.port = int(sockets[0].getsockname()[1])
        self._background = [
            asyncio.create_task(self._reap_idle(), name="jt808-reaper"),
            asyncio.create_task(self._write_last_seen(), name="jt808-last-seen"),
        ]
        log.info("JT/T 808 gateway listening on %s:%d", self.host, self.port)

    async def stop(self, *, timeout_s: float = 30.0) -> None:
        """Stop accepting, let submits in flight commit and be acknowledged, then close every session."""
        if self.stopping:
            return
        self.stopping = True
        if self._server is not None:
            self._server.close()
        connections = list(self._connections)
        for conn in connections:
            conn.hold()
        pending = [t for conn in connections if (t := conn.in_flight) is not None]
        if pending:
            log.info("gateway stopping: waiting for %d submits in flight", len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            if late:
                log.warning("gateway stop: %d submits still running after %.0f s", len(late), timeout_s)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        await self.last_seen.flush()
        for conn in list(self._connections):
            conn.close("gateway stopping", level=logging.DEBUG)
        if self._server is not None:
            # Python 3.12 waits here for connection handlers; give transports a moment to flush acks.
            await asyncio.sleep(0)
            await asyncio.wait_for(self._server.wait_closed(), timeout=5.0)
        log.info("JT/T 808 gateway stopped")

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until the event is set, then stop gracefully."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    # -- connections -----------------------------------------------------------------------------

    @property
    def connection_count(self) -> int:
        """Open connections."""
        return len(self._connections)

    @property
    def authenticated_count(self) -> int:
        """Terminals with an authenticated session."""
        return len(self._by_device)

    def admit(self, conn: Jt808Connection) -> bool:
        """Take a new connection unless the cap is reached or the gateway is stopping."""
        if self.stopping or len(self._connections) >= self.max_connections:
            self.stats.refused += 1
            return False
        self._connections.add(conn)
        self.stats.accepted += 1
        return True

    def forget(self, conn: Jt808Connection) -> None:
        """A connection ended."""
        if conn in self._connections:
            self._connections.discard(conn)
            self.stats.closed += 1
        device = conn.device
        if device is not None and self._by_device.get(device.identifier) is conn:
            del self._by_device[device.identifier]

    def bind(self, conn: Jt808Connection) -> None:
        """An authenticated session now speaks for its device; an older session of it is closed."""
        assert conn.device is not None
        older = self._by_device.get(conn.device.identifier)
        self._by_device[conn.device.identifier] = conn
        if older is not None and older is not conn:
            older.close("replaced by a newer session of the same terminal")

    def forget_device(self, conn: Jt808Connection) -> None:
        """A session lost its authentication (a later authentication failed)."""
        device = conn.device
        if device is not None and self._by_device.get(device.identifier) is conn:
            del self._by_device[device.identifier]
        conn.device = None
        conn.terminal = None

    def session_of(self, identifier: str) -> Jt808Connection | None:
        """The authenticated connection of a device, by its identifier (phone number)."""
        return self._by_device.get(identifier) or self._by_device.get(identifier.lstrip("0"))

    async def _reap_idle(self) -> None:
        interval = max(0.05, min(self.idle_timeout_s / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for conn in list(self._connections):
                # A connection waiting on our own submit is silent because we stopped reading it.
                if conn.in_flight is None and now - conn.last_rx > self.idle_timeout_s:
                    self.stats.reaped += 1
                    conn.close(f"idle for more than {self.idle_timeout_s:g} s")

    async def _write_last_seen(self) -> None:
        interval = max(0.5, min(self.last_seen.every_s / 4, 15.0))
        while True:
            await asyncio.sleep(interval)
            await self.last_seen.flush()

    # -- operator actions ------------------------------------------------------------------------

    async def set_parameters(
        self, identifier: str, params: Mapping[int, ParameterValue], *, timeout_s: float = 10.0
    ) -> TerminalResponse:
        """Send 0x8103 to a connected terminal and return its 0x0001 answer (TimeoutError if none)."""
        conn = self.session_of(identifier)
        if conn is None:
            raise TerminalNotConnected(identifier)
        return await conn.send_parameters(params, timeout_s=timeout_s)

    async def set_report_interval(
        self, identifier: str, seconds: int, *, timeout_s: float = 10.0
    ) -> TerminalResponse:
        """Ask a connected terminal to report its position every `seconds` seconds."""
        if not 1 <= seconds <= 86_400:
            raise ValueError("report interval must be between 1 s and a day")
        return await self.set_parameters(identifier, {PARAM_REPORT_INTERVAL: seconds}, timeout_s=timeout_s)


__all__ = [
    "PARAM_HEARTBEAT_INTERVAL",
    "PARAM_REPORT_INTERVAL",
    "FixSink",
    "Gateway",
    "GatewayStats",
    "SessionLimits",
    "TerminalNotConnected",
]
