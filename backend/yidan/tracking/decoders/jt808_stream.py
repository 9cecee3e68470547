"""Cutting a JT/T 808 TCP byte stream into frames, with a bounded buffer."""

from __future__ import annotations

from collections import deque

from yidan.tracking.decoders.fix import DecodeMessage

FLAG = 0x7E
# Largest legal frame: 2019 header with package item (21) + 1023 body + check code, every byte
# escaped to two, plus both flags.
MAX_FRAME_BYTES = 2 * (21 + 0x03FF + 1) + 2


class FrameSplitter:
    """Feed socket reads, get complete escaped frames (flags included) back.

    Bytes before a flag are discarded, a partial frame is kept across reads, and a partial frame that
    grows past `max_frame` is dropped so a hostile peer cannot grow memory. Messages about discarded
    bytes are kept (the most recent `max_messages`) until `drain_messages` is called.
    """

    def __init__(self, *, max_frame: int = MAX_FRAME_BYTES, max_messages: int = 32) -> None:
        if max_frame < 4:
            raise ValueError("max_frame must allow at least a flag, two bytes and a flag")
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._messages: deque[DecodeMessage] = deque(maxlen=max_messages)
        self.discarded_bytes = 0
        self.frames_out = 0

    @property
    def buffered(self) -> int:
        """Bytes held for a frame that has not ended yet."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes from the socket; return the frames they complete, in order."""
        frames: list[bytes] = []
        buffer = self._buffer
        buffer += data
        while buffer:
            if buffer[0] != FLAG:
                start = buffer.find(FLAG)
                self._discard(len(buffer) if start < 0 else start, "bytes before a 0x7e flag")
                continue
            end = buffer.find(FLAG, 1, self.max_frame)
            if end < 0:
                if len(buffer) >= self.max_frame:
                    self._discard(self.max_frame - 1, f"frame longer than {self.max_frame} bytes")
                    continue
                break
            if end == 1:
                # Two flags in a row: the first closed something we never saw (or was shared).
                del buffer[0]
                continue
            frames.append(bytes(buffer[: end + 1]))
            # The closing flag stays: some terminals share one flag between two frames.
            del buffer[:end]
        self.frames_out += len(frames)
        return frames

    def _discard(self, count: int, why: str) -> None:
        del self._buffer[:count]
        self.discarded_bytes += count
        self._messages.append(DecodeMessage.warning("jt808.stream", f"discarded {count} bytes: {why}"))

    def drain_messages(self) -> list[DecodeMessage]:
        """Messages about discarded bytes since the last call."""
        out = list(self._messages)
        self._messages.clear()
        return out
