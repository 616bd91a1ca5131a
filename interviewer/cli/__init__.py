"""The `interviewer` command line, one module per command group (packs, knowledge, interview, evaluate, records,
bench); a command parses its options, calls the core, and prints what it returns."""

from interviewer.cli.common import use_full_screen
from interviewer.cli.root import app, main

__all__ = ["app", "main", "use_full_screen"]
