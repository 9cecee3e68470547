"""A JT/T 808 terminal over TCP, as the simulator, the tests and the benchmark drive the gateway with.

It speaks the terminal's side of the protocol with the same pure codec the gateway uses: it registers,
authenticates, reports positions (one by one, pipelined, or as a 0x0704 batch) and answers the
platform's 0x8103 set-parameters like a real terminal, so a changed report interval takes effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from yidan.tracking.decoders.jt808 import (
    Authentication,
    FrameSplitter,
    GeneralResult,
    Jt808Message,
    Jt808Version,
    MessageId,
    PlatformResponse,
    Registration,
    RegistrationResponse,
    SetParameters,
    Terminal,
    decode,
    encode_frame,
)
from yidan.tracking.decoders.jt808_body import (
    encode_authentication_body,
    encode_general_response_body,
    encode_registration_body,
    parameter_value,
)
from yidan.tracking.decoders.jt808_location import (
    STATUS_ACC_ON,
    STATUS_BEIDOU,
    STATUS_GPS,
    STATUS_POSITIONED,
    encode_batch_body,
    encode_location_body,
)

log = logging.getLogger("yidan.tracking.terminal")

PARAM_REPORT_INTERVAL = 0x0029
MOVING_STATUS = STATUS_ACC_ON | STATUS_POSITIONED | STATUS_GPS | STATUS_BEIDOU


@dataclass(frozen=True, slots=True)
class TerminalIdentity:
    """What a terminal registers with: its SIM's phone number, its own id and the vehicle's plate."""

    phone: str
    terminal_id: str
    plate: str
    plate_colour: int = 1
    province: int = 61
    city: int = 100
    maker: str = "YIDAN"
    model: str = "SIM-808"


@dataclass(slots=True)
class TerminalState:
    """What the platform has told this terminal."""

    auth_code: str | None = None
    parameters: dict[int, object] = field(default_factory=dict)

    @property
    def report_interval_s(self) -> int | None:
        """The report interval the platform set with 0x8103, if any."""
        value = self.parameters.get(PARAM_REPORT_INTERVAL)
        return value if isinstance(value, int) and value > 0 else None


def location_body(
    *,
    lat: float,
    lon: float,
    fix_time: datetime,
    speed_kmh: float = 0.0,
    course_deg: float = 0.0,
    altitude_m: int = 0,
    satellites: int = 12,
    mileage_km: float | None = None,
) -> bytes:
    """A 0x0200 body of a moving vehicle with a BeiDou+GPS fix, satellite count and mileage items."""
    items: list[tuple[int, bytes]] = [(0x30, bytes([28])), (0x31, bytes([min(satellites, 255)]))]
    if mileage_km is not None:
        items.insert(0, (0x01, round(mileage_km * 10).to_bytes(4, "big")))
    return encode_location_body(
        lat=lat,
        lon=lon,
        fix_time=fix_time,
        speed_kmh=max(0.0, speed_kmh),
        course_deg=course_deg,
        altitude_m=max(0, altitude_m),
        status=MOVING_STATUS,
        items=items,
    )


class TerminalClient:
    """One terminal's TCP session; every request returns the platform's answer matched by serial."""

    def __init__(
        self,
        identity: TerminalIdentity,
        *,
        version: Jt808Version = Jt808Version.V2013,
        protocol_version: int = 1,
    ) -> None:
        self.identity = identity
        self.version = version
        self.terminal = Terminal(identity.phone, version, protocol_version)
        self.state = TerminalState()
        self._serial = 0
        self._writer: asyncio.StreamWriter | None = None
        self._listener: asyncio.Task[None] | None = None
        self._waiting: dict[tuple[int, int], asyncio.Future[Jt808Message]] = {}
        self.unsolicited: asyncio.Queue[Jt808Message] = asyncio.Queue(maxsize=1000)
        self.closed = asyncio.Event()

    # -- connection ------------------------------------------------------------------------------

    async def connect(self, host: str, port: int, *, timeout_s: float = 10.0) -> None:
        """Open the TCP connection and start reading the platform's messages."""
        reader, self._writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout_s)
        self.closed = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(reader), name=f"jt808-{self.identity.phone}")

    @property
    def connected(self) -> bool:
        """Whether the connection is open."""
        return self._writer is not None and not self.closed.is_set()

    @property
    def local_address(self) -> tuple[str, int] | None:
        """The (host, port) this terminal's connection comes from, while connected."""
        if self._writer is None:
            return None
        sockname = self._writer.get_extra_info("sockname")
        return (str(sockname[0]), int(sockname[1])) if sockname else None

    async def close(self) -> None:
        """Close the connection (without a logout message)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        self._fail_waiting(ConnectionError("connection closed"))
        self.closed.set()

    def next_serial(self) -> int:
        """The serial number of the next message this terminal sends."""
        serial = self._serial
        self._serial = (serial + 1) & 0xFFFF
        return serial

    def send(self, msg_id: int, body: bytes = b"") -> int:
        """Write one message without waiting for an answer; returns its serial number."""
        if self._writer is None:
            raise ConnectionError("not connected")
        serial = self.next_serial()
        self._writer.write(encode_frame(self.terminal, msg_id, body, serial=serial))
        return serial

    def expect(self, msg_id: int, serial: int) -> asyncio.Future[Jt808Message]:
        """A future for the platform's answer to message `msg_id` sent with `serial`."""
        if self.closed.is_set():
            raise ConnectionError("the platform closed the connection")
        key = (msg_id, serial)
        future = self._waiting.get(key)
        if future is None:
            future = self._waiting[key] = asyncio.get_running_loop().create_future()
        return future

    async def request(self, msg_id: int, body: bytes = b"", *, timeout_s: float = 10.0) -> Jt808Message:
        """Send a message and wait for the platform's answer to it."""
        serial = self.next_serial()
        future = self.expect(msg_id, serial)
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(encode_frame(self.terminal, msg_id, body, serial=serial))
        await self._writer.drain()
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._waiting.pop((msg_id, serial), None)

    async def drain(self) -> None:
        """Wait until the socket has taken what was written (TCP backpressure reaches the caller)."""
        if self._writer is not None:
            await self._writer.drain()

    # -- the terminal's messages -----------------------------------------------------------------

    async def register(self, *, timeout_s: float = 10.0) -> RegistrationResponse:
        """0x0100; on success the authentication code is kept for `authenticate`."""
        ident = self.identity
        version = Jt808Version.V2019 if self.version is Jt808Version.V2019 else Jt808Version.V2013
        body = encode_registration_body(
            Registration(
                version,
                ident.province,
                ident.city,
                ident.maker,
                ident.model,
                ident.terminal_id,
                ident.plate_colour,
                ident.plate,
            )
        )
        answer = (await self.request(MessageId.REGISTRATION, body, timeout_s=timeout_s)).body
        assert isinstance(answer, RegistrationResponse), answer
        if answer.result == 0:
            self.state.auth_code = answer.auth_code
        return answer

    async def authenticate(self, auth_code: str | None = None, *, timeout_s: float = 10.0) -> int:
        """0x0102 with the given code (default: the one registration returned); the 0x8001 result."""
        code = auth_code if auth_code is not None else self.state.auth_code or ""
        body = encode_authentication_body(
            Authentication(
                code, imei="86" + self.identity.phone.rjust(13, "0")[-13:], software_version="1.0.0"
            ),
            self.version,
        )
        return await self._general(MessageId.AUTHENTICATION, body, timeout_s)

    async def heartbeat(self, *, timeout_s: float = 10.0) -> int:
        """0x0002; the 0x8001 result."""
        return await self._general(MessageId.HEARTBEAT, b"", timeout_s)

    async def logout(self, *, timeout_s: float = 10.0) -> int:
        """0x0003; the platform answers and closes the connection."""
        return await self._general(MessageId.LOGOUT, b"", timeout_s)

    async def report(self, body: bytes, *, timeout_s: float = 30.0) -> int:
        """0x0200 with a location body; the 0x8001 result (sent only after the platform committed it)."""
        return await self._general(MessageId.LOCATION, body, timeout_s)

    async def report_batch(
        self, bodies: Sequence[bytes], *, blind_area: bool = False, timeout_s: float = 30.0
    ) -> int:
        """0x0704 with several location bodies; the 0x8001 result."""
        return await self._general(
            MessageId.BATCH_LOCATION, encode_batch_body(bodies, blind_area=blind_area), timeout_s
        )

    async def _general(self, msg_id: int, body: bytes, timeout_s: float) -> int:
        answer = (await self.request(msg_id, body, timeout_s=timeout_s)).body
        assert isinstance(answer, PlatformResponse), answer
        return answer.result

    # -- reading ---------------------------------------------------------------------------------

    async def _listen(self, reader: asyncio.StreamReader) -> None:
        splitter = FrameSplitter()
        try:
            while data := await reader.read(65536):
                for frame in splitter.feed(data):
                    result = decode(frame)
                    if result.value is None:
                        log.warning("%s: undecodable platform frame %s", self.identity.phone, frame.hex())
                        continue
                    self._dispatch(result.value)
        except (ConnectionError, OSError) as exc:
            log.debug("%s: connection lost: %s", self.identity.phone, exc)
        finally:
            self.closed.set()
            self._fail_waiting(ConnectionError("platform closed the connection"))

    def _dispatch(self, message: Jt808Message) -> None:
        body = message.body
        key: tuple[int, int] | None = None
        if isinstance(body, PlatformResponse):
            key = (body.ack_id, body.ack_serial)
        elif isinstance(body, RegistrationResponse):
            key = (MessageId.REGISTRATION, body.ack_serial)
        elif isinstance(body, SetParameters):
            self.state.parameters.update({pid: parameter_value(pid, raw) for pid, raw in body.params.items()})
            self._answer(message, GeneralResult.OK)
        if key is not None:
            future = self._waiting.pop(key, None)
            if future is not None and not future.done():
                future.set_result(message)
                return
        with contextlib.suppress(asyncio.QueueFull):
            self.unsolicited.put_nowait(message)

    def _answer(self, message: Jt808Message, result: int) -> None:
        if self._writer is None:
            return
        header = message.header
        body = encode_general_response_body(header.serial, header.msg_id, result)
        self._writer.write(
            encode_frame(self.terminal, MessageId.TERMINAL_RESPONSE, body, serial=self.next_serial())
        )

    def _fail_waiting(self, exc: Exception) -> None:
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(exc)
