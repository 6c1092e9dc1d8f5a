"""The mg Textual TUI."""
