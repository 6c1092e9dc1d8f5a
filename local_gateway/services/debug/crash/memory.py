"""Memory captured in the dump: thread stacks and the memory lists, read by address."""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass

from local_gateway.services.debug.crash.binary import Bytes, count_checked
from local_gateway.services.debug.crash.errors import MinidumpError

MAX_RANGES = 1 << 20
_DESCRIPTOR = struct.Struct("<QII")
_DESCRIPTOR64 = struct.Struct("<QQ")


@dataclass(frozen=True)
class Region:
    """``data`` is a zero-copy view into the dump."""

    base: int
    data: memoryview

    @property
    def end(self) -> int:
        return self.base + len(self.data)

    def word(self, address: int, width: int) -> int | None:
        offset = address - self.base
        if offset < 0 or offset + width > len(self.data):
            return None
        return int.from_bytes(self.data[offset : offset + width], "little")


class Memory:
    """Non-overlapping regions sorted by base; reads that straddle or miss a region are None."""

    def __init__(self, regions: list[Region]) -> None:
        self.regions: list[Region] = []
        for region in sorted((r for r in regions if len(r.data)), key=lambda r: r.base):
            if self.regions and region.base < self.regions[-1].end:
                continue  # overlapping duplicates (a stack also in the memory list) add nothing
            self.regions.append(region)
        self._bases = [r.base for r in self.regions]

    def region_at(self, address: int) -> Region | None:
        i = bisect.bisect_right(self._bases, address) - 1
        if i >= 0 and address < self.regions[i].end:
            return self.regions[i]
        return None

    def word(self, address: int, width: int) -> int | None:
        region = self.region_at(address)
        return region.word(address, width) if region else None

    @property
    def total_bytes(self) -> int:
        return sum(len(r.data) for r in self.regions)


def read_descriptor(data: Bytes, offset: int, what: str) -> Region:
    base, size, rva = data.unpack(_DESCRIPTOR, offset, what)
    if base + size > 1 << 64:
        raise MinidumpError(f"{what} at {base:#x} claims {size} bytes past the address space")
    return Region(base, data.view(rva, size, f"{what} memory"))


def read_memory_list(data: Bytes, rva: int, size: int) -> list[Region]:
    count = data.u32(rva, "memory list count")
    start = rva + 4
    if size == 8 + count * _DESCRIPTOR.size:
        start += 4  # padded like the module list by some writers
    count_checked(count, _DESCRIPTOR.size, size - (start - rva), MAX_RANGES, "memory list")
    return [read_descriptor(data, start + i * _DESCRIPTOR.size, f"memory range {i}") for i in range(count)]


def read_memory64_list(data: Bytes, rva: int, size: int) -> list[Region]:
    count = data.u64(rva, "memory64 list count")
    base_rva = data.u64(rva + 8, "memory64 list base")
    count_checked(count, _DESCRIPTOR64.size, size - 16, MAX_RANGES, "memory64 list")
    regions = []
    cursor = base_rva
    for i in range(count):
        start, length = data.unpack(_DESCRIPTOR64, rva + 16 + i * _DESCRIPTOR64.size, f"memory64 range {i}")
        if start + length > 1 << 64:
            raise MinidumpError(
                f"memory64 range {i} at {start:#x} claims {length} bytes past the address space"
            )
        regions.append(Region(start, data.view(cursor, length, f"memory64 range {i}")))
        cursor += length
    return regions
