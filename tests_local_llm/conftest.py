"""Tests of the optional SmolLM2 engine: run by ``scripts/test --local-llm`` (which compiles
llama.cpp once), not by CI; the suite's own fixtures (tests/conftest.py) are shared."""

from tests.conftest import *  # noqa: F403
