from pathlib import Path

# The shared debug fixtures (../shared/fixtures/debug), read in place, never copied.
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "debug"
