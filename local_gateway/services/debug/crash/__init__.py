"""Crash processing: minidump → symbolicated, fingerprinted, scrubbed result. Pure domain code.

No HTTP, no database, no I/O beyond the bytes handed in and what the symbol source reads::

    from local_gateway.services.debug.crash import DirectorySymbolSource, process_minidump

    crash = process_minidump(dump_bytes, DirectorySymbolSource("symbols/"))
    crash.crash_reason          # 'EXCEPTION_ACCESS_VIOLATION_WRITE'
    crash.fingerprint           # sha256 hex of the top three in-app frames
    crash.to_dict()             # the JSON answer, threads with symbolicated frames

* :func:`process_minidump` raises only :class:`MinidumpError` for bad input (a one-line reason
  to store on the crash as ``failed``); bounds in :class:`ProcessOptions`.
* Symbols come from a :class:`SymbolSource` (``lookup(debug_file, debug_id)`` → files as bytes
  or paths); the gateway's symbol store implements it. ``crash.missing_symbols`` lists the
  ``debug_file/DEBUG_ID`` keys whose upload should re-queue processing.
* :func:`analyze_crash` / :func:`analyze_stack_trace` are the rule-based analyser.
* :func:`fingerprint_stack_trace` groups inline (JSON) stack traces by the same rule.
* :func:`scrub_metadata` scrubs user-supplied tags and form fields the same way the processor
  scrubs what it derives; :mod:`.scrub` documents exactly what is replaced.

Modules: ``dump`` (header, directory, threads) over ``binary``, ``streams``, ``modules``,
``memory``, ``context``; ``reasons`` (exception names); ``symfile`` (Breakpad ``.sym``),
``native`` (PDB / DWARF / Mach-O through symbolic), ``symbols`` (sources and per-module
lookup); ``unwind`` (STACK CFI / WIN evaluation), ``walker``; ``inapp``, ``fingerprint``,
``scrub``, ``result``, ``process``; ``analysis``.
"""

from local_gateway.services.debug.crash.analysis import Analysis, analyze_crash, analyze_stack_trace
from local_gateway.services.debug.crash.errors import MinidumpError
from local_gateway.services.debug.crash.fingerprint import fingerprint_stack_trace, normalize_function
from local_gateway.services.debug.crash.process import ProcessOptions, process_minidump
from local_gateway.services.debug.crash.result import (
    InlinedCall,
    ProcessedCrash,
    ProcessedFrame,
    ProcessedModule,
    ProcessedThread,
    SystemSummary,
)
from local_gateway.services.debug.crash.scrub import scrub_metadata, scrub_path, scrub_text
from local_gateway.services.debug.crash.symbols import (
    DirectorySymbolSource,
    MappingSymbolSource,
    NoSymbols,
    SymbolData,
    SymbolSource,
)

__all__ = [
    "Analysis",
    "DirectorySymbolSource",
    "InlinedCall",
    "MappingSymbolSource",
    "MinidumpError",
    "NoSymbols",
    "ProcessOptions",
    "ProcessedCrash",
    "ProcessedFrame",
    "ProcessedModule",
    "ProcessedThread",
    "SymbolData",
    "SymbolSource",
    "SystemSummary",
    "analyze_crash",
    "analyze_stack_trace",
    "fingerprint_stack_trace",
    "normalize_function",
    "process_minidump",
    "scrub_metadata",
    "scrub_path",
    "scrub_text",
]
