"""Crash grouping: the fingerprint.

**Rule.** The fingerprint is the SHA-256 (hex) of the top three *in-app* frames of the crashing
thread (see :mod:`.inapp`), innermost first, inlined frames counted as frames, each written as

* ``module!function`` when the frame is symbolicated — the module's file name in lower case
  and the function name normalized: parameter lists, ``const``/``&`` qualifiers after them,
  GCC clone suffixes (``[clone .constprop.119]``, ``.isra.0``) and compiler spellings of the
  anonymous namespace are folded, so ``main(int, char**)`` (PDB) and ``main`` (``.sym``) agree;
* ``module+0x<offset>`` when it is not (the module offset, so the same build groups).

No addresses, offsets within functions or line numbers enter a symbolicated frame, so a
recompile that moves code keeps the group. The frames are joined with newlines and prefixed by
the scheme version (``v1``) before hashing, so the rule can change later without colliding.
When no frame is in-app, the top three frames are used whatever their module; with no frames
at all, the crash reason is hashed instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

SCHEME = "v1"
TOP_FRAMES = 3

_CLONE = re.compile(r"\s*\[clone [^\]]*\]|\.(?:isra|constprop|part|cold|lto_priv)\.\d+")
_ANON = re.compile(r"`anonymous namespace'|\(anonymous namespace\)|_GLOBAL__N_\d*|<anonymous>")
_QUALIFIERS = re.compile(r"\s*(?:const|volatile|noexcept|&&|&)\s*$")


def normalize_function(name: str) -> str:
    """The part of a function name that survives a recompile (see the module docstring)."""
    text = _CLONE.sub("", name).strip()
    text = _ANON.sub("(anonymous namespace)", text)
    while True:
        stripped = _QUALIFIERS.sub("", text)
        if stripped == text:
            break
        text = stripped
    if text.endswith(")"):
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            if text[i] == ")":
                depth += 1
            elif text[i] == "(":
                depth -= 1
                if depth == 0:
                    # "(anonymous namespace)" or operator() is a name, not a parameter list.
                    head = text[:i]
                    if head and not head.endswith(("operator", "::", "(anonymous namespace")):
                        text = head.rstrip()
                    break
    return text


def frame_key(module: str | None, function: str | None, module_offset: int | None) -> str:
    mod = (module or "").lower()
    if function:
        return f"{mod}!{normalize_function(function)}"
    if module_offset is not None:
        return f"{mod}+{module_offset:#x}"
    return f"{mod}+?"


def fingerprint(keys: Sequence[str], fallback: str = "") -> str:
    """SHA-256 over the frame keys already chosen (at most three are used)."""
    chosen = list(keys[:TOP_FRAMES])
    payload = "\n".join([SCHEME, *chosen]) if chosen else f"{SCHEME}\nreason:{fallback}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def choose_frames(frames: Iterable[tuple[str, bool]]) -> list[str]:
    """From (key, in_app) pairs innermost first: the top three in-app keys, else the top three."""
    listed = list(frames)
    in_app = [key for key, app in listed if app]
    return (in_app or [key for key, _ in listed])[:TOP_FRAMES]


def fingerprint_stack_trace(frames: Sequence[str]) -> str:
    """Fingerprint an inline stack trace given as strings (``module!function`` or ``function``),
    innermost first, as the JSON crash submission sends it. Offsets (``+ 0x12``) and source
    locations (``[file.cpp:12]``, `` at file.cpp:12``) are dropped, as for a processed dump."""
    keys = []
    for raw in frames[:64]:
        text = re.sub(r"\s*\[[^\]]*\]\s*$|\s+at\s+\S+$|\s*\+\s*0x[0-9a-fA-F]+$", "", str(raw).strip())
        module, sep, function = text.partition("!")
        if not sep:
            module, function = "", text
        keys.append(frame_key(module, function or None, None))
    return fingerprint(keys[:TOP_FRAMES])
