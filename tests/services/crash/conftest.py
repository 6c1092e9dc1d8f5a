from __future__ import annotations

import pytest

from local_gateway.services.debug.crash import DirectorySymbolSource, ProcessedCrash, process_minidump
from tests.services.crash import SYMBOLS, VALID, dump


@pytest.fixture(scope="session")
def processed() -> dict[str, ProcessedCrash]:
    """Every valid fixture dump processed once with the Breakpad symbol tree."""
    source = DirectorySymbolSource(SYMBOLS)
    return {name: process_minidump(dump(name), source) for name in VALID}
