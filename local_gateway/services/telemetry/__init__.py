"""Telemetry: usage events that SDK extensions and tools report, and their summary."""
