"""`interviewer bench`: one table of speed and memory figures on this machine."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from interviewer.cli.common import (
    app,
    err,
    out,
)


@app.command("bench")
def bench_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures and the CPU as JSON.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repeats and no full-corpus embedding (a check, "
                                                        "not a measurement).")] = False,
) -> None:
    """Measure speed on this machine and print one table: --help, TUI launch, ingest, retrieval, grading, a graph
    turn, tokens/s, peak RSS and the CPU. Takes a few minutes (--quick: about one)."""
    from rich.table import Table

    from interviewer.evaluation.bench import render_markdown, run_all

    report = run_all(quick=quick, status=(lambda line: err.print(line, markup=False)) if err.is_terminal
                     else (lambda _line: None))
    if as_json:
        out.print_json(json.dumps(report.as_json()))
    elif out.is_terminal:
        table = Table(title=f"interviewer bench{' --quick' if quick else ''} ({report.seconds:.0f} s)")
        table.add_column("what")
        table.add_column("result")
        for row in report.rows:
            table.add_row(row.what, row.text())
        out.print(table)
    else:
        out.print(render_markdown(report), markup=False)
