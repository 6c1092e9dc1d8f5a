"""Readable C++ names from Itanium-mangled ones (DWARF linkage names of inlined functions).

``itanium_demangler`` is pure Python, so results do not depend on the host's C++ runtime; its
``_GLOBAL__N_1`` spelling of the anonymous namespace is rewritten to the ``(anonymous
namespace)`` that c++filt, Breakpad and symbolic print. Anything that does not demangle is
returned unchanged.
"""

from __future__ import annotations

import re

_ANONYMOUS = re.compile(r"_GLOBAL__N_\d*")
_MAX_LENGTH = 4096  # the demangler is recursive; a longer name is left as it is


def demangle(name: str) -> str:
    if not name.startswith("_Z") or len(name) > _MAX_LENGTH:
        return name
    try:
        import itanium_demangler

        parsed = itanium_demangler.parse(name)
    except Exception:
        return name
    if parsed is None:
        return name
    return _ANONYMOUS.sub("(anonymous namespace)", str(parsed))
