"""The `interviewer` command line: the root command, `config show`, and the entry point.

Every command loads Settings once (command-line options > INTERVIEWER_* environment > config file > defaults)
and imports heavy modules only inside the command that needs them, so `interviewer --help` stays instant.
An InterviewerError becomes a titled message on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

# Each module registers its commands when imported; `interviewer --help` lists them in this order.
# isort: off
from interviewer.cli import interview, knowledge, records, bench  # noqa: F401
from interviewer.cli import packs, evaluate  # noqa: F401
# isort: on
from interviewer.cli.common import (
    ConfigOption,
    app,
    config_app,
    err,
    interactive,
    open_tui,
    out,
    state,
)
from interviewer.errors import InterviewerError


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    config: ConfigOption = None,
) -> None:
    """Run with no command to open the terminal UI (in a terminal) or a five-question plain interview (piped)."""
    state.config_file = config
    if ctx.invoked_subcommand is None:
        if interactive():
            open_tui(state.settings())
            return
        out.print("[bold]interviewer[/bold]: a practice interview, five questions. Type your answer; end it with a "
                  "line holding only '.'. `interviewer interview --help` lists the choices.")
        interview.run_interview(plain=True)


@config_app.command("show")
def config_show(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print every effective setting and where its value came from."""
    from interviewer.config import load_settings_with_origins

    loaded = load_settings_with_origins(state.config_file)
    values = loaded.settings.model_dump(mode="json")
    if loaded.settings.model_path is None:
        values["model_path"] = "(bundled SmolLM2-135M-Instruct)"
    if as_json:
        payload = {
            "config_file": str(loaded.config_file),
            "config_file_exists": loaded.config_file.is_file(),
            "settings": {name: {"value": values[name], "from": loaded.origins[name]} for name in values},
        }
        out.print_json(json.dumps(payload))
        return
    exists = "" if loaded.config_file.is_file() else "  (not present: defaults apply)"
    out.print(f"config file: {loaded.config_file}{exists}")
    width = max(len(name) for name in values)
    for name, value in values.items():
        out.print(f"{name.ljust(width)}  {value}  [dim]({loaded.origins[name]})[/dim]")


def main() -> None:
    try:
        app()
    except InterviewerError as exc:
        err.print(f"[bold red]Error: {exc.title}[/bold red]")
        err.print(exc.message, markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(130)

