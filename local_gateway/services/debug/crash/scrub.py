"""PII scrubbing of everything crash processing derives (what may be stored or answered).

What is replaced, everywhere in a processed crash (module paths, debug file names, source file
paths of frames, thread names, Crashpad annotations, assertion text) and in the metadata a
caller passes through :func:`scrub_metadata`:

* **User names in paths**: the directory after ``/Users/`` (macOS; ``/Users/Shared`` is kept),
  after ``/home/`` (Linux, also nested as in ``/usr/local/google/home/<name>/``), and after
  ``C:\\Users\\`` or ``C:\\Documents and Settings\\`` (Windows, any drive, either slash)
  becomes ``<user>``: ``/Users/travis/build/crash`` → ``/Users/<user>/build/crash``.
* **Home directories** written as ``~name/`` become ``~<user>/``.
* **E-mail addresses** become ``<email>``.
* **IP addresses** (IPv4 dotted quads with every part 0–255, and anything that parses as an
  IPv6 address) become ``<ip>`` — in free text only (annotations, tags, metadata,
  thread names, assertion text), never in module versions such as ``1.2.3.4``.

Not read at all, so never stored: Linux ``environ`` and ``cmdline`` streams, comment streams,
handle data, and raw memory (the processed result carries registers and frames, no memory).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping

USER = "<user>"
_PATH_RULES = (
    (
        re.compile(
            r"(?i)([a-z]:[\\/](?:users|documents and settings)[\\/])(?!public[\\/]|default[\\/])[^\\/]+"
        ),
        USER,
    ),
    (re.compile(r"(/Users/)(?!Shared(?:/|$))[^/]+"), USER),
    (re.compile(r"(/home/)[^/]+"), USER),
    (re.compile(r"(~)[A-Za-z0-9._-]+(?=/)"), USER),
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.]|\.\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?![\w:])")
MAX_TEXT = 4096


def _keep_prefix(replacement: str) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        return match.group(1) + replacement

    return sub


def scrub_path(path: str | None) -> str | None:
    """Replace user names in a filesystem path (either OS's spelling)."""
    if not path:
        return path
    for pattern, replacement in _PATH_RULES:
        path = pattern.sub(_keep_prefix(replacement), path)
    return path


def scrub_text(text: str | None) -> str | None:
    """Scrub free text: user names in paths, e-mail addresses, IP addresses. Also caps length."""
    if not text:
        return text
    text = scrub_path(text[:MAX_TEXT]) or ""
    text = _EMAIL.sub("<email>", text)
    text = _IPV4.sub("<ip>", text)
    return _IPV6_CANDIDATE.sub(_ipv6, text)


def _ipv6(match: re.Match[str]) -> str:
    # Only what parses as an IPv6 address goes: "12:34:56" (a time of day) stays.
    value = match.group(0)
    core = value.rstrip(".")
    try:
        ipaddress.IPv6Address(core)
    except ValueError:
        return value
    return "<ip>" + value[len(core) :]


def scrub_metadata(values: Mapping[str, object]) -> dict[str, object]:
    """Scrub a flat mapping of user-supplied tags or form fields (keys and string values)."""
    out: dict[str, object] = {}
    for key, value in values.items():
        clean_key = scrub_text(str(key)) or ""
        out[clean_key] = scrub_text(value) if isinstance(value, str) else value
    return out
