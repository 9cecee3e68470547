"""One JT/T 808 terminal connection: framing, decoding, registration, authentication and acknowledgements.

Frames of a connection are handled strictly in order. While a registration, an authentication or a
submit to the pipeline is pending, the connection stops reading its socket, so a full pipeline makes
terminals wait instead of growing memory; a location report is acknowledged only after its commit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from yidan.tracking.decoders.fix import Fix, Severity
from yidan.tracking.decoders.jt808 import (
    Authentication,
    FrameSplitter,
    GeneralResult,
    Header,
    Jt808Message,
    MessageId,
    ParameterValue,
    Registration,
    Terminal,
    TerminalResponse,
    decode,
    decode_unescaped,
    encode_registration_response,
    encode_set_parameters,
    join_packages,
    parse_header,
    platform_response,
    unescape,
)
from yidan.tracking.decoders.jt808_quick import quick_location, quick_unescape
from yidan.tracking.device_registry import KnownDevice, authenticate_terminal, register_terminal
from yidan.tracking.pipeline import Outcome, SubmitReport

if TYPE_CHECKING:
    from yidan.tracking.gateway import Gateway

log = logging.getLogger("yidan.tracking.gateway")

ESCAPE_BYTE = 0x7D
LOCATION_IDS = frozenset({MessageId.LOCATION, MessageId.BATCH_LOCATION, MessageId.LOCATION_QUERY_RESPONSE})
# Defects the tolerant decoder reads through; they are logged and counted, and kept on the stored fix.
TOLERATED_CODES = frozenset({"jt808.checksum", "jt808.body_length", "jt808.escape"})


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """Bounds that keep one connection (and a hostile peer) from taking more than its share."""

    max_batch_frames: int = 64
    # Bytes taken from the socket per read: what one connection can hold undecoded while it waits.
    read_size: int = 4096
    max_garbage_bytes: int = 64 * 1024
    max_bad_frames: int = 32
    max_auth_failures: int = 5
    max_package_messages: int = 4
    max_packages: int = 64
    write_buffer_high: int = 64 * 1024
    tolerance_logs: int = 3


@dataclass(slots=True)
class Incoming:
    """A decoded frame: the header its answer goes to, the message (None when the quick reader took a
    plain location report), its fixes, and the defects read through to get it."""

    ack: Header
    message: Jt808Message | None
    fixes: tuple[Fix, ...] = ()
    tolerated: tuple[str, ...] = ()

    @property
    def body(self) -> Any:
        """The decoded body, when the general decoder read the frame."""
        return self.message.body if self.message is not None else None

    @property
    def unreadable(self) -> bool:
        """Whether the frame was accepted but its body could not be read."""
        return self.message is not None and self.message.body is None


class Jt808Connection(asyncio.BufferedProtocol):
    """The session of one TCP connection; usually one terminal, keyed by the phone in each header.

    A buffered protocol, so that each read takes at most `read_size` bytes from the socket: that, a
    partial frame and the unsent answers are all a connection holds, however fast its peer writes.
    """

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.limits = gateway.limits
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.splitter = FrameSplitter()
        self.inbox: deque[bytes] = deque()
        self.in_flight: asyncio.Future[Any] | None = None
        self.device: KnownDevice | None = None
        self.terminal: Terminal | None = None
        self.last_rx = time.monotonic()
        self._serials: dict[str, int] = {}
        self._lookahead: Incoming | None = None
        self._packages: dict[tuple[str, int, int], dict[int, Jt808Message]] = {}
        self._awaiting: dict[int, asyncio.Future[TerminalResponse]] = {}
        self._reading_paused = False
        self._writing_paused = False
        self._held = False
        self._closing = False
        self._good_frames = 0
        self._bad_streak = 0
        self._discarded_seen = 0
        self._auth_failures = 0
        self._tolerance_logs = 0

    # -- asyncio.BufferedProtocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """A terminal connected: admit it unless the gateway is full or stopping."""
        # uvloop's transports do not subclass asyncio.Transport, but they implement it.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        if not self.gateway.admit(self):
            log.warning(
                "refused %s: %d connections open (cap or stopping)", self.peer, self.gateway.connection_count
            )
            self._closing = True
            self.transport.abort()
            return
        self.transport.set_write_buffer_limits(high=self.limits.write_buffer_high)
        log.debug("connection from %s", self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection ended: forget the session and fail commands waiting on it."""
        self._closing = True
        self.gateway.forget(self)
        self.inbox.clear()
        self._packages.clear()
        for future in self._awaiting.values():
            if not future.done():
                future.set_exception(ConnectionError("terminal disconnected"))
        log.debug("connection %s (%s) ended: %s", self.peer, self._who(), exc or "closed")

    def get_buffer(self, sizehint: int) -> memoryview:
        """Where the next read goes (at most `read_size` bytes)."""
        # One buffer serves every connection of the gateway: a read fills it and buffer_updated copies
        # the bytes out before the event loop starts any other read.
        return self.gateway.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        """A read filled the buffer with `nbytes` bytes."""
        self.received(bytes(self.gateway.read_buffer[:nbytes]))

    def received(self, data: bytes) -> None:
        """Bytes from the socket: cut them into frames and handle what can be handled now."""
        if self._closing:
            return
        self.last_rx = time.monotonic()
        self.inbox.extend(self.splitter.feed(data))
        discarded = self.splitter.discarded_bytes
        if discarded != self._discarded_seen:
            self.gateway.stats.discarded_bytes += discarded - self._discarded_seen
            self._discarded_seen = discarded
            for note in self.splitter.drain_messages():
                log.debug("%s: %s", self.peer, note)
            if discarded > self.limits.max_garbage_bytes and self._good_frames == 0:
                self.close(f"{discarded} bytes of garbage and no valid frame", abort=True)
                return
        if self._stalled():
            # The frame before is still being handled: stop reading so the terminal waits for us.
            self._pause_reading()
            return
        self._process()

    def pause_writing(self) -> None:
        """Our answers pile up unsent."""
        # The peer is not reading our answers; stop reading its requests until it catches up.
        self._writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        """The peer caught up with our answers."""
        self._writing_paused = False
        if not self._stalled():
            self._process()

    # -- control from the gateway ----------------------------------------------------------------

    def hold(self) -> None:
        """Stop reading and handling new frames (the gateway is stopping)."""
        self._held = True
        self._pause_reading()

    def close(self, reason: str, *, abort: bool = False, level: int = logging.INFO) -> None:
        """Close the connection; answers already written are flushed unless abort is set."""
        if self._closing or self.transport is None:
            return
        self._closing = True
        log.log(level, "closing %s (%s): %s", self.peer, self._who(), reason)
        if abort:
            self.transport.abort()
        else:
            self.transport.close()

    async def send_parameters(
        self, params: Mapping[int, ParameterValue], *, timeout_s: float = 10.0
    ) -> TerminalResponse:
        """Send 0x8103 set-parameters and wait for the terminal's 0x0001 answer."""
        if self.terminal is None or self._closing:
            raise ConnectionError("no authenticated session")
        serial = self._next_serial(self.terminal.phone)
        future: asyncio.Future[TerminalResponse] = asyncio.get_running_loop().create_future()
        self._awaiting[serial] = future
        try:
            self._write(encode_set_parameters(self.terminal, serial=serial, params=params))
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._awaiting.pop(serial, None)

    # -- frame handling --------------------------------------------------------------------------

    def _stalled(self) -> bool:
        return self._closing or self._held or self._writing_paused or self.in_flight is not None

    def _process(self) -> None:
        while not self._stalled():
            item = self._next_item()
            if item is None:
                break
            if item.ack.msg_id in LOCATION_IDS:
                batch = [item]
                while len(batch) < self.limits.max_batch_frames:
                    following = self._next_item()
                    if following is None:
                        break
                    if following.ack.msg_id not in LOCATION_IDS:
                        self._lookahead = following
                        break
                    batch.append(following)
                self._locations(batch)
            else:
                self._dispatch(item)
        if not self._stalled():
            self._resume_reading()

    def _next_item(self) -> Incoming | None:
        if self._lookahead is not None:
            item, self._lookahead = self._lookahead, None
            return item
        while self.inbox and not self._closing:
            decoded = self._decode(self.inbox.popleft())
            if decoded is None:
                continue
            header = decoded.ack
            if header.packaged and (header.package_count or 0) > 1:
                joined = self._collect_package(decoded)
                if joined is None:
                    continue
                decoded = joined
            if self.device is not None:
                self.gateway.last_seen.touch(self.device.id)
            return decoded
        return None

    def _decode(self, frame: bytes) -> Incoming | None:
        stats = self.gateway.stats
        stats.frames += 1
        content = frame[1:-1] if ESCAPE_BYTE not in frame else quick_unescape(frame)
        if content is not None:
            quick = quick_location(content)
            if quick is not None:
                self._bad_streak = 0
                self._good_frames += 1
                return Incoming(quick[0], None, (quick[1],))
        if ESCAPE_BYTE in frame:
            result = decode(frame, strict=self.gateway.strict)
        else:
            # Nothing escaped (the usual case): skip the byte-by-byte unescaping.
            result = decode_unescaped(frame[1:-1], strict=self.gateway.strict)
        if result.value is None:
            stats.bad_frames += 1
            self._bad_streak += 1
            log.debug("%s: undecodable frame: %s", self.peer, "; ".join(map(str, result.messages)))
            header = _header_of(frame)
            if header is not None:
                self._answer(header, GeneralResult.MESSAGE_ERROR)
            if self._bad_streak > self.limits.max_bad_frames:
                self.close(f"{self._bad_streak} undecodable frames in a row", abort=True)
            return None
        self._bad_streak = 0
        self._good_frames += 1
        tolerated = tuple(
            m.code for m in result.messages if m.severity is Severity.WARNING and m.code in TOLERATED_CODES
        )
        if tolerated:
            stats.tolerated.update(tolerated)
            if self._tolerance_logs < self.limits.tolerance_logs:
                self._tolerance_logs += 1
                notes = "; ".join(str(m) for m in result.messages if m.code in TOLERATED_CODES)
                log.info("%s (%s): tolerated %s", self.peer, result.value.header.terminal_id, notes)
        return Incoming(result.value.header, result.value, result.fixes, tolerated)

    def _collect_package(self, item: Incoming) -> Incoming | None:
        header = item.ack
        count, index = header.package_count or 0, header.package_index or 0
        if count > self.limits.max_packages or not 1 <= index <= count:
            self._answer(header, GeneralResult.MESSAGE_ERROR)
            return None
        key = (header.phone, header.msg_id, count)
        parts = self._packages.get(key)
        if parts is None:
            while len(self._packages) >= self.limits.max_package_messages:
                del self._packages[next(iter(self._packages))]
            parts = self._packages[key] = {}
        assert item.message is not None  # packaged frames never take the quick path
        parts[index] = item.message
        if len(parts) < count:
            # Receipt of one package; what it carries is answered when the message is complete.
            self._answer(header, GeneralResult.OK)
            return None
        del self._packages[key]
        joined = join_packages(list(parts.values()))
        if joined.value is None:
            self._answer(header, GeneralResult.MESSAGE_ERROR)
            return None
        assert joined.value is not None
        return Incoming(header, joined.value, joined.fixes, item.tolerated)

    def _dispatch(self, item: Incoming) -> None:
        header, body = item.ack, item.body
        match header.msg_id:
            case MessageId.HEARTBEAT:
                self._answer(header, GeneralResult.OK)
            case MessageId.LOGOUT:
                self._answer(header, GeneralResult.OK)
                self.close("terminal logged out", level=logging.DEBUG)
            case MessageId.REGISTRATION:
                self._start(self._register(item))
            case MessageId.AUTHENTICATION:
                self._start(self._authenticate(item))
            case MessageId.TERMINAL_RESPONSE:
                if isinstance(body, TerminalResponse):
                    future = self._awaiting.get(body.ack_serial)
                    if future is not None and not future.done():
                        future.set_result(body)
            case MessageId.PARAMETER_REPORT:
                log.info("%s: parameter report %s", self._who(), body)
            case _:
                self._answer(header, GeneralResult.UNSUPPORTED)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.in_flight = task
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.in_flight = None
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("%s: handler failed", self.peer, exc_info=exc)
            self.close("internal error", abort=True)
            return
        if not self._stalled():
            self._process()

    # -- messages that need the database or the pipeline ------------------------------------------

    async def _register(self, item: Incoming) -> None:
        header, body = item.ack, item.body
        if not isinstance(body, Registration):
            self._answer(header, GeneralResult.MESSAGE_ERROR)
            return
        try:
            outcome = await register_terminal(
                self.gateway.sessionmaker, phone=header.phone, terminal_id=body.terminal_id, plate=body.plate
            )
        except Exception:
            log.exception("%s: registration of %s failed", self.peer, header.terminal_id)
            self._answer(header, GeneralResult.FAILURE)
            return
        log.info(
            "registration %s (terminal %r, plate %r, %s): result %d %s",
            header.terminal_id,
            body.terminal_id,
            body.plate,
            header.version,
            outcome.result,
            outcome.reason,
        )
        self._write(
            encode_registration_response(
                Terminal.from_header(header),
                serial=self._next_serial(header.phone),
                ack_serial=header.serial,
                result=outcome.result,
                auth_code=outcome.auth_code,
            )
        )

    async def _authenticate(self, item: Incoming) -> None:
        header, body = item.ack, item.body
        if not isinstance(body, Authentication):
            self._answer(header, GeneralResult.MESSAGE_ERROR)
            return
        try:
            device = await authenticate_terminal(
                self.gateway.sessionmaker, phone=header.phone, auth_code=body.auth_code
            )
        except Exception:
            log.exception("%s: authentication of %s failed", self.peer, header.terminal_id)
            self._answer(header, GeneralResult.FAILURE)
            return
        if device is None:
            self._auth_failures += 1
            if self.device is not None:
                self.gateway.forget_device(self)
            log.warning("%s: authentication of %s refused", self.peer, header.terminal_id)
            self._answer(header, GeneralResult.FAILURE)
            if self._auth_failures >= self.limits.max_auth_failures:
                self.close(f"{self._auth_failures} failed authentications")
            return
        self.device = device
        self.terminal = Terminal.from_header(header)
        self.gateway.bind(self)
        self.gateway.last_seen.touch(device.id)
        log.debug("%s authenticated as %s (%s)", self.peer, device.identifier, header.version)
        self._answer(header, GeneralResult.OK)

    def _locations(self, batch: list[Incoming]) -> None:
        """Hand a run of location reports to the pipeline; they are answered when it has committed them."""
        codes: list[int] = [GeneralResult.OK] * len(batch)
        fixes: list[Fix] = []
        spans: list[tuple[int, int, int]] = []
        device, session_phone = self.device, self.terminal.phone if self.terminal else None
        for i, item in enumerate(batch):
            if device is None or item.ack.phone != session_phone:
                codes[i] = GeneralResult.FAILURE
            elif item.unreadable:
                codes[i] = GeneralResult.MESSAGE_ERROR
            else:
                own = [_owned(fix, device.identifier, item.tolerated) for fix in item.fixes]
                spans.append((i, len(fixes), len(own)))
                fixes.extend(own)
        if device is None:
            log.warning("%s: %d location reports before authentication refused", self.peer, len(batch))
        if not fixes or device is None:
            self._acknowledge(batch, codes)
            return
        self.gateway.stats.fixes_submitted += len(fixes)
        devices = [device.id] * len(fixes)
        sink = self.gateway.sink
        offer = getattr(sink, "offer", None)
        # Usually the queue has room: the fixes go in at once and the answer follows the commit, with no
        # task of its own. When it is full, a task waits for room while this connection stops reading.
        future = offer(fixes, devices=devices) if offer is not None else None
        if future is None:
            future = asyncio.ensure_future(sink.submit(fixes, devices=devices))
        self.in_flight = future
        future.add_done_callback(lambda done: self._stored(done, batch, codes, spans, len(fixes)))

    def _stored(
        self,
        done: asyncio.Future[SubmitReport],
        batch: list[Incoming],
        codes: list[int],
        spans: list[tuple[int, int, int]],
        count: int,
    ) -> None:
        self.in_flight = None
        stats = self.gateway.stats
        exc = done.exception() if not done.cancelled() else asyncio.CancelledError()
        if exc is not None:
            stats.submit_failures += 1
            log.error("%s: storing %d fixes of %s failed", self.peer, count, self._who(), exc_info=exc)
            for i, _, _ in spans:
                codes[i] = GeneralResult.FAILURE
        else:
            report = done.result()
            stats.fixes_stored += report.stored
            stats.fixes_duplicate += report.duplicates
            stats.fixes_rejected += report.rejected
            results = report.results
            for i, first, n in spans:
                mine = results[first : first + n]
                if n and all(r.outcome is Outcome.REJECTED for r in mine):
                    codes[i] = GeneralResult.MESSAGE_ERROR
                    log.info(
                        "%s: every fix of a report rejected: %s",
                        self._who(),
                        "; ".join(f"{r.code}: {r.reason}" for r in mine),
                    )
        self._acknowledge(batch, codes)
        if not self._stalled():
            self._process()

    def _acknowledge(self, batch: list[Incoming], codes: list[int]) -> None:
        self._write(
            b"".join(
                self._platform_response(item.ack, code) for item, code in zip(batch, codes, strict=True)
            ),
            acks=len(batch),
        )

    # -- writing ---------------------------------------------------------------------------------

    def _next_serial(self, phone: str) -> int:
        serial = self._serials.get(phone, 0)
        self._serials[phone] = (serial + 1) & 0xFFFF
        return serial

    def _platform_response(self, header: Header, result: int) -> bytes:
        return platform_response(
            header.phone,
            header.version,
            header.protocol_version or 1,
            self._next_serial(header.phone),
            header.serial,
            header.msg_id,
            result,
        )

    def _answer(self, header: Header, result: int) -> None:
        self._write(self._platform_response(header, result), acks=1)

    def _write(self, data: bytes, *, acks: int = 0) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(data)
        self.gateway.stats.acks += acks

    def _pause_reading(self) -> None:
        if not self._reading_paused and self.transport is not None and not self.transport.is_closing():
            self._reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and self.transport is not None and not self.transport.is_closing():
            self._reading_paused = False
            self.transport.resume_reading()

    def _who(self) -> str:
        return self.device.identifier if self.device is not None else "unauthenticated"


def _header_of(frame: bytes) -> Header | None:
    """The header of a frame the decoder refused, so it can still get a 'message error' answer."""
    content = unescape(frame[1:-1]).value if len(frame) > 2 else None
    if not content or len(content) < 13:
        return None
    return parse_header(content[:-1]).value


def _owned(fix: Fix, identifier: str, tolerated: tuple[str, ...]) -> Fix:
    """The fix under the identifier the device is provisioned with, noting defects read through."""
    if not tolerated and fix.device_id == identifier:
        return fix  # the common case, kept cheap: the device row goes to the pipeline separately
    extra = {**fix.extra, "tolerated": list(tolerated)} if tolerated else fix.extra
    return dataclasses.replace(fix, device_id=identifier, extra=extra)
