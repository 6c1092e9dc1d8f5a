"""The small streams: system info, exception, misc info, Breakpad and Crashpad extras.

Streams that can only carry personal data or secrets (Linux ``/proc/<pid>/environ`` and
``cmdline``, Windows handle data, comment streams) are never read.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from local_gateway.services.debug.crash.binary import Bytes, count_checked
from local_gateway.services.debug.crash.errors import MinidumpError

_SYSTEM_INFO = struct.Struct("<HHHBBIIIIIHH12sIII")
_EXCEPTION = struct.Struct("<IIIIQQII15Q")
_LOCATION = struct.Struct("<II")
_ARCH = {0: "x86", 5: "arm", 6: "ia64", 9: "amd64", 12: "arm64", 0x8003: "arm64"}
_PLATFORM = {
    0: ("Windows 3.1", "windows"),
    1: ("Windows", "windows"),
    2: ("Windows NT", "windows"),
    3: ("Windows CE", "windows"),
    0x8000: ("Unix", "unix"),
    0x8101: ("Mac OS X", "macos"),
    0x8102: ("iOS", "ios"),
    0x8201: ("Linux", "linux"),
    0x8202: ("Solaris", "solaris"),
    0x8203: ("Android", "android"),
    0x8204: ("PS3", "ps3"),
    0x8205: ("NaCl", "nacl"),
    0x8206: ("Fuchsia", "fuchsia"),
}
MAX_ANNOTATIONS = 4096
MAX_THREAD_NAMES = 16384


@dataclass(frozen=True)
class SystemInfo:
    """``os`` is the display name (``Windows NT``), ``os_family`` the key rules match on
    (``windows``, ``linux``, ``macos``, ``ios``, ``android``, …), ``cpu_arch`` ``x86`` /
    ``amd64`` / ``arm`` / ``arm64`` / ``unknown``."""

    os: str
    os_family: str
    os_version: str
    cpu_arch: str
    cpu_info: str | None
    cpu_count: int
    distribution: str | None = None


@dataclass(frozen=True)
class ExceptionInfo:
    thread_id: int
    code: int
    flags: int
    address: int
    parameters: tuple[int, ...]
    context_location: tuple[int, int]  # (size, rva) of the crashing thread's context


@dataclass(frozen=True)
class CrashpadInfo:
    """Crashpad's own stream: report/client ids and the annotations a game set."""

    report_id: str | None
    client_id: str | None
    annotations: dict[str, str] = field(default_factory=dict)
    module_annotations: dict[str, dict[str, str]] = field(default_factory=dict)


def read_system_info(data: Bytes, rva: int, size: int) -> SystemInfo:
    if size < _SYSTEM_INFO.size:
        raise MinidumpError(f"system info stream is {size} bytes, expected {_SYSTEM_INFO.size}")
    (arch, level, revision, cpus, _product, major, minor, build, platform, csd_rva, _suite, _r, vendor,
     _version, _features, _amd) = data.unpack(_SYSTEM_INFO, rva, "system info")  # fmt: skip
    os_name, family = _PLATFORM.get(platform, (f"unknown {platform:#x}", "unknown"))
    csd = data.utf16_string(csd_rva, "system info CSD version").rstrip("\0") if csd_rva else ""
    version = f"{major}.{minor}.{build}"
    if family in ("linux", "android") and csd.startswith("Linux "):
        # Breakpad writes "Linux " + `uname -r -v` as the CSD version.
        os_version = csd.removeprefix("Linux ").strip()
    elif family in ("linux", "android") and csd.startswith("-"):
        # Crashpad splits the release: numbers in the version fields, the suffix in the CSD.
        os_version = f"{version}{csd}".strip()
    else:
        os_version = f"{version} {csd}".strip() if csd else version
    cpu_arch = _ARCH.get(arch, "unknown")
    cpu_info = None
    if cpu_arch in ("x86", "amd64"):
        text = f"family {level} model {revision >> 8} stepping {revision & 0xFF}"
        vendor_text = vendor.decode("ascii", errors="replace").strip("\0")
        cpu_info = f"{vendor_text} {text}" if vendor_text.isprintable() and vendor_text else text
    return SystemInfo(os_name, family, os_version, cpu_arch, cpu_info, cpus)


def read_exception(data: Bytes, rva: int, size: int) -> ExceptionInfo:
    if size < _EXCEPTION.size + _LOCATION.size:
        raise MinidumpError(f"exception stream is {size} bytes, expected {_EXCEPTION.size + _LOCATION.size}")
    fields = data.unpack(_EXCEPTION, rva, "exception stream")
    tid, _align, code, flags, _nested, address, count, _unused = fields[:8]
    parameters = tuple(fields[8 : 8 + min(count, 15)])
    context = data.unpack(_LOCATION, rva + _EXCEPTION.size, "exception context")
    return ExceptionInfo(tid, code, flags, address, parameters, (context[0], context[1]))


def read_misc_info(data: Bytes, rva: int, size: int) -> dict[str, int]:
    """Process id and creation time (seconds since the epoch) when the writer set them."""
    if size < 24:
        return {}
    _size, flags, pid, created, _user, _kernel = data.unpack(struct.Struct("<6I"), rva, "misc info")
    out = {}
    if flags & 1:
        out["process_id"] = pid
    if flags & 2:
        out["process_create_time"] = created
    return out


def read_breakpad_info(data: Bytes, rva: int, size: int) -> dict[str, int]:
    """Breakpad's stream naming the thread that wrote the dump and the one that asked for it."""
    if size < 12:
        return {}
    validity, dump_tid, requesting_tid = data.unpack(struct.Struct("<3I"), rva, "Breakpad info")
    out = {}
    if validity & 1:
        out["dump_thread_id"] = dump_tid
    if validity & 2:
        out["requesting_thread_id"] = requesting_tid
    return out


def read_assertion(data: Bytes, rva: int, size: int) -> dict[str, str | int] | None:
    """Breakpad's assertion stream (MSVC invalid-parameter / pure-call handlers)."""
    if size < 3 * 256 + 8:
        return None
    texts = []
    for i in range(3):
        raw = data.read(rva + i * 256, 256, "assertion info")
        texts.append(raw.decode("utf-16-le", errors="replace").split("\0", 1)[0])
    line, kind = data.unpack(struct.Struct("<II"), rva + 768, "assertion info")
    if not any(texts):
        return None
    return {"expression": texts[0], "function": texts[1], "file": texts[2], "line": line, "type": kind}


def read_lsb_release(data: Bytes, rva: int, size: int) -> str | None:
    """The distribution (``Ubuntu 16.04.3 LTS``) from Breakpad's copy of /etc/lsb-release."""
    text = data.read(rva, min(size, 16 << 10), "LSB release").decode("utf-8", errors="replace")
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    return values.get("DISTRIB_DESCRIPTION") or values.get("PRETTY_NAME") or None


def read_linux_cpu_count(data: Bytes, rva: int, size: int) -> int:
    text = data.read(rva, min(size, 1 << 20), "Linux CPU info").decode("utf-8", errors="replace")
    return sum(1 for line in text.splitlines() if line.startswith("processor"))


def read_thread_names(data: Bytes, rva: int, size: int) -> dict[int, str]:
    count = data.u32(rva, "thread names count")
    count_checked(count, 12, size - 4, MAX_THREAD_NAMES, "thread names")
    names = {}
    for i in range(count):
        tid, name_rva = data.unpack(struct.Struct("<IQ"), rva + 4 + i * 12, f"thread name {i}")
        names[tid] = data.utf16_string(name_rva, f"thread name {i}", limit=1024)
    return names


def read_crashpad_info(data: Bytes, rva: int, size: int, module_names: list[str]) -> CrashpadInfo:
    if size < 52:
        raise MinidumpError(f"Crashpad info stream is {size} bytes, expected at least 52")
    raw = data.read(rva, 52, "Crashpad info")
    report_id = _guid_text(raw[4:20])
    client_id = _guid_text(raw[20:36])
    simple_size, simple_rva, list_size, list_rva = struct.unpack_from("<4I", raw, 36)
    annotations = _string_dictionary(data, simple_rva, simple_size, "Crashpad annotations")
    per_module: dict[str, dict[str, str]] = {}
    if list_size >= 4:
        count = data.u32(list_rva, "Crashpad module list")
        count_checked(count, 12, list_size - 4, MAX_ANNOTATIONS, "Crashpad module list")
        for i in range(count):
            index, info_size, info_rva = data.unpack(
                struct.Struct("<3I"), list_rva + 4 + i * 12, "Crashpad module"
            )
            values = _module_annotations(data, info_rva, info_size)
            if values and index < len(module_names):
                per_module[module_names[index]] = values
    return CrashpadInfo(report_id, client_id, annotations, per_module)


def _module_annotations(data: Bytes, rva: int, size: int) -> dict[str, str]:
    if size < 28:
        return {}
    _version, list_size, list_rva, simple_size, simple_rva, objects_size, objects_rva = data.unpack(
        struct.Struct("<7I"), rva, "Crashpad module info"
    )
    values: dict[str, str] = {}
    if list_size >= 4:
        count = data.u32(list_rva, "Crashpad list annotations")
        count_checked(count, 4, list_size - 4, MAX_ANNOTATIONS, "Crashpad list annotations")
        for i in range(count):
            text = data.utf8_string(data.u32(list_rva + 4 + i * 4, "list annotation"), "list annotation")
            values[f"list.{i}"] = text.rstrip("\0")
    values.update(_string_dictionary(data, simple_rva, simple_size, "Crashpad module annotations"))
    if objects_size >= 4:
        count = data.u32(objects_rva, "Crashpad annotation objects")
        count_checked(count, 12, objects_size - 4, MAX_ANNOTATIONS, "Crashpad annotation objects")
        for i in range(count):
            name_rva, kind, _reserved, value_rva = data.unpack(
                struct.Struct("<IHHI"), objects_rva + 4 + i * 12, "Crashpad annotation object"
            )
            if kind == 1:  # a string annotation; the other kinds are opaque bytes
                name = data.utf8_string(name_rva, "annotation name").rstrip("\0")
                values[name] = data.utf8_string(value_rva, "annotation value").rstrip("\0")
    return values


def _string_dictionary(data: Bytes, rva: int, size: int, what: str) -> dict[str, str]:
    if size < 4:
        return {}
    count = data.u32(rva, what)
    count_checked(count, 8, size - 4, MAX_ANNOTATIONS, what)
    out = {}
    for i in range(count):
        key_rva, value_rva = data.unpack(_LOCATION, rva + 4 + i * 8, what)
        key = data.utf8_string(key_rva, f"{what} key").rstrip("\0")
        out[key] = data.utf8_string(value_rva, f"{what} value").rstrip("\0")
    return out


def _guid_text(raw: bytes) -> str | None:
    if not any(raw):
        return None
    swapped = raw[3::-1] + raw[5:3:-1] + raw[7:5:-1] + raw[8:]
    h = swapped.hex().upper()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
