"""The mg command line."""
