"""Garbage into the AIS and NMEA decoders: results with messages, never an exception or a hang."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from yidan.tracking.decoders import ais, nmea

RECEIVED = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)
AIS_LINE = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
NMEA_LINE = "$GNRMC,103607.00,A,5327.03942,N,10214.42462,W,0.046,,060321,,,A,V*0E"
sentence_like = st.text(
    alphabet="!$*,.-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ:;<=>?@`abcdefw\\\x00é", max_size=120
)


@given(st.lists(sentence_like | st.binary(max_size=100), max_size=10))
def test_ais_garbage(lines: list[str | bytes]) -> None:
    for result in ais.decode_feed(lines, received_at=RECEIVED):
        assert result.ok or result.errors
    ais.decode_sentences(lines, received_at=RECEIVED, verify_checksum=False)


@given(st.integers(0, len(AIS_LINE)), st.integers(0, len(AIS_LINE) - 1), st.characters(codec="ascii"))
def test_ais_truncated_and_corrupted(cut: int, at: int, char: str) -> None:
    for line in (AIS_LINE[:cut], AIS_LINE[:at] + char + AIS_LINE[at + 1 :]):
        for verify in (True, False):
            result = ais.decode_sentences(
                [line, "!AIVDM,2,2,1,A,88888888880,2*25"], received_at=RECEIVED, verify_checksum=verify
            )
            assert result.ok or result.errors


@given(st.lists(sentence_like | st.binary(max_size=100), max_size=10))
def test_nmea_garbage(lines: list[str | bytes]) -> None:
    for line in lines:
        nmea.decode_sentence(line, device_id="r", verify_checksum=False)
    log = nmea.decode_log(lines, device_id="r", verify_checksum=False)
    assert len(log.results) == len(lines)


@given(st.integers(0, len(NMEA_LINE)), st.integers(0, len(NMEA_LINE) - 1), st.characters(codec="ascii"))
def test_nmea_truncated_and_corrupted(cut: int, at: int, char: str) -> None:
    for line in (NMEA_LINE[:cut], NMEA_LINE[:at] + char + NMEA_LINE[at + 1 :]):
        for verify in (True, False):
            result = nmea.decode_sentence(line, device_id="r", verify_checksum=verify)
            assert result.ok or result.errors
