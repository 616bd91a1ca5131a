"""The Textual terminal UI for interviewer (it drives the core package; the core never imports it)."""
