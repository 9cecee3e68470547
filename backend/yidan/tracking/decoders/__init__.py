"""Pure protocol decoders of the tracking domain: bytes or text in, fixes and messages out, no I/O."""

from yidan.tracking.decoders.fix import DecodeMessage, DecodeResult, Fix, Severity

__all__ = ["DecodeMessage", "DecodeResult", "Fix", "Severity"]
