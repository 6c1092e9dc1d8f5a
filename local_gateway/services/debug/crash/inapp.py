"""Which modules are the game's own ("in-app") and which are the system's.

A module is **in-app** when it is the main module (the process's executable: the first module
a writer lists) or when it is not a system library. A module is a **system library** when

* its path is under an OS directory — Windows ``\\Windows\\`` (System32, SysWOW64, WinSxS);
  Linux ``/lib``, ``/lib32``, ``/lib64``, ``/usr/lib*``, ``/usr/libexec``; macOS ``/usr/lib``,
  ``/System/``, ``/Library/Apple/``, ``/Library/Frameworks/`` shipped by Apple — or
* its name is a known C/C++ runtime or OS loader wherever it was loaded from: ``ntdll.dll``,
  ``kernel32.dll``, ``kernelbase.dll``, ``ucrtbase.dll``, ``msvcrt.dll``, ``msvcp*.dll``,
  ``vcruntime*.dll``, ``libc.so*``, ``libm.so*``, ``libpthread.so*``, ``libdl.so*``,
  ``librt.so*``, ``ld-linux*.so*``, ``linux-vdso.so*``, ``linux-gate.so*``, ``libstdc++.so*``,
  ``libgcc_s.so*``, ``libc++*.dylib``, ``libsystem_*.dylib``, ``libdyld.dylib``, ``dyld``.

Everything else (the game's DLLs / shared objects, the engine, middleware shipped with the
game) counts as in-app, so the fingerprint is taken from code the developer can change.
"""

from __future__ import annotations

import re

_SYSTEM_DIRS = re.compile(
    r"(?i)^(?:[a-z]:)?[\\/]windows[\\/]"
    r"|^/(?:lib|lib32|lib64|libx32)/"
    r"|^/usr/(?:lib|lib32|lib64|libx32|libexec)/"
    r"|^/System/"
    r"|^/Library/Apple/"
)
_SYSTEM_NAMES = re.compile(
    r"(?i)^(?:ntdll|kernel32|kernelbase|user32|gdi32|advapi32|rpcrt4|ole32|combase|ucrtbase|ucrtbased"
    r"|msvcrt|msvcp\d*d?|vcruntime\d*(?:_\d+)?d?|api-ms-win-.*|dbghelp)\.dll$"
    r"|^(?:libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|libresolv|libutil)[-.].*so"
    r"|^(?:ld-linux.*|linux-vdso|linux-gate|ld)\.so"
    r"|^(?:libc\+\+.*|libc\+\+abi.*|libsystem_.*|libdyld|libobjc.*)\.dylib$"
    r"|^dyld$"
)


def is_system_module(code_file: str, name: str) -> bool:
    return bool(_SYSTEM_DIRS.search(code_file) or _SYSTEM_NAMES.search(name))
