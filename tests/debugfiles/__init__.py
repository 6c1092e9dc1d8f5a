from pathlib import Path

# Real debug files and minidumps with known answers; provenance and licenses in its README.md.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "debug"
