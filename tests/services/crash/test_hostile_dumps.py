"""Invalid, truncated and bit-flipped dumps fail with a one-line MinidumpError, never anything
else; hypothesis explores mutations of the real fixtures for a bounded number of examples."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_gateway.services.debug.crash import (
    DirectorySymbolSource,
    MinidumpError,
    ProcessedCrash,
    process_minidump,
)
from tests.services.crash import INVALID, SYMBOLS, VALID, dump

SOURCE = DirectorySymbolSource(SYMBOLS)
SEEDS = {name: dump(name) for name in VALID}


def _outcome(data: bytes) -> ProcessedCrash | None:
    """Process; a refusal must be a one-line MinidumpError (anything else fails the test)."""
    try:
        crash = process_minidump(data, SOURCE)
    except MinidumpError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300
        # The processor's last-resort net turns unanticipated errors into this message; the
        # readers' own checks should have named the problem first.
        assert not message.startswith("corrupt minidump:"), message
        return None
    crash.to_dict()  # a result that was produced must also serialise
    return crash


@pytest.mark.parametrize("name", INVALID)
def test_fixture_invalid_dumps_fail_cleanly(name: str) -> None:
    with pytest.raises(MinidumpError, match="no thread list"):
        process_minidump(dump(name), SOURCE)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "shorter than the 32-byte header"),
        (b"MDMP", "shorter than the 32-byte header"),
        (b"PK\x03\x04" + bytes(60), "does not start with 'MDMP'"),
        (b"MDMP" + struct.pack("<I", 0x1234) + bytes(24), "unsupported minidump version"),
        (b"MDMP" + struct.pack("<IIIIIQ", 0xA793, 0xFFFFFFFF, 32, 0, 0, 0), "stream directory claims"),
    ],
)
def test_not_a_minidump(data: bytes, message: str) -> None:
    with pytest.raises(MinidumpError, match=message):
        process_minidump(data)


@pytest.mark.parametrize("name", VALID)
def test_every_truncation_point_of_the_header_region(name: str) -> None:
    data = SEEDS[name]
    # The directory and the small streams live in the first few KiB; every cut there is tried,
    # then every 97th byte to the end.
    for cut in [*range(0, min(len(data), 2048)), *range(2048, len(data), 97)]:
        _outcome(data[:cut])


@pytest.mark.parametrize("name", VALID)
def test_huge_counts_are_refused_without_allocating(name: str) -> None:
    data = bytearray(SEEDS[name])
    count, rva = struct.unpack_from("<II", data, 8)
    for i in range(count):
        kind, _size, stream_rva = struct.unpack_from("<III", data, rva + 12 * i)
        if kind in (3, 4, 5):  # thread, module, memory list: claim 2^32-1 entries
            struct.pack_into("<I", data, stream_rva, 0xFFFFFFFF)
    with pytest.raises(MinidumpError, match="claims"):
        process_minidump(bytes(data), SOURCE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(VALID),
    flips=st.lists(
        st.tuples(st.integers(min_value=0, max_value=1 << 20), st.integers(0, 7)), min_size=1, max_size=8
    ),
)
def test_bit_flips_fail_cleanly(name: str, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SEEDS[name])
    # Flips land in the first 4 KiB most of the time, where the structures are.
    for position, bit in flips:
        offset = position % 4096 if position % 3 else position % len(data)
        data[offset] ^= 1 << bit
    _outcome(bytes(data))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(VALID),
    offset=st.integers(min_value=0, max_value=4095),
    value=st.sampled_from([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFF00])
    | st.integers(0, 0xFFFFFFFF),
)
def test_hostile_u32_fields_fail_cleanly(name: str, offset: int, value: int) -> None:
    data = bytearray(SEEDS[name])
    offset = min(offset & ~3, len(data) - 4)
    struct.pack_into("<I", data, offset, value)
    _outcome(bytes(data))


@settings(max_examples=60, deadline=None)
@given(payload=st.binary(min_size=0, max_size=600))
def test_random_bytes_after_a_valid_header(payload: bytes) -> None:
    header = b"MDMP" + struct.pack("<IIIIIQ", 0xA793, 4, 32, 0, 0, 0)
    _outcome(header + payload)
