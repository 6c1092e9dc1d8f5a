"""The offline sandbox model every ``mg_test_`` key talks to (see :mod:`.engine`)."""

from local_gateway.providers.sandbox.engine import SandboxProvider

__all__ = ["SandboxProvider"]
