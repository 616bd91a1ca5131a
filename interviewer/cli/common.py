"""What every command shares: the Typer apps, the consoles, the settings state, common options and helpers.

Commands import heavy modules only inside the function that needs them, so `interviewer --help` stays instant.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from interviewer.config import Settings

app = typer.Typer(
    name="interviewer",
    help="An offline mock interviewer for LLM and generative-AI engineering interviews.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)
packs_app = typer.Typer(help="List, show, validate and scaffold question packs.", no_args_is_help=True)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure retrieval and grading quality.", no_args_is_help=True)
app.add_typer(packs_app, name="packs")
app.add_typer(config_app, name="config")
export_app = typer.Typer(help="Export what you missed for study elsewhere.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.add_typer(export_app, name="export")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="A TOML config file (default: the platform config dir).")
]


class _State:
    config_file: Path | None = None

    def settings(self, **overrides: object) -> Settings:
        from interviewer.config import load_settings_with_origins

        return load_settings_with_origins(self.config_file, **overrides).settings


state = _State()


# The full-screen front end, plugged in by the package that provides it (tui.entry, the `interviewer` script)
# before main() runs. This package never imports a UI; without one, or without a terminal, interviews are plain.
FullScreen = Callable[..., None]
full_screen: FullScreen | None = None


def interactive() -> bool:
    """The full-screen UI needs a terminal on both ends; piped input or output keeps the plain mode."""
    return full_screen is not None and sys.stdin.isatty() and sys.stdout.isatty()


def open_tui(settings: Settings, **options: object) -> None:
    assert full_screen is not None
    full_screen(settings, **options)


StoreDirOption = Annotated[
    Path | None, typer.Option("--store", help="Store folder (default: from settings).")
]
StoreUrlOption = Annotated[
    str | None, typer.Option("--store-url", help="A shared Chroma server, http://HOST:PORT (default: from settings).")
]
LlmUrlOption = Annotated[
    str | None,
    typer.Option("--llm-url", help="An OpenAI-compatible model server, http://HOST:PORT/v1 (default: from settings)."),
]


def load_catalog(settings: Settings):  # type: ignore[no-untyped-def]
    from interviewer.packs import discover_packs
    from interviewer.resources import builtin_packs_dir

    return discover_packs(builtin_packs_dir(), settings.user_packs_path)


def open_retriever(settings: Settings, fusion: str = "zscore"):  # type: ignore[no-untyped-def]
    from interviewer.wiring import build_retriever

    return build_retriever(settings, fusion)


def open_grader(settings: Settings, model: Path | None, use_model: bool):  # type: ignore[no-untyped-def]
    from interviewer.wiring import build_grader

    return build_grader(settings, model, use_model, note=lambda text: err.print(text, markup=False))


def print_grade(grade) -> None:  # type: ignore[no-untyped-def]
    from interviewer.plain import format_grade, printable

    for number, line in enumerate(format_grade(grade.model_dump(mode="json"))):
        out.print(printable(line), markup=False, style="bold" if number == 0 else None)


def progress_callbacks(label: str):  # type: ignore[no-untyped-def]
    """A rich progress bar on a terminal, nothing otherwise; returns (context manager, callback factory)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext(), lambda _name: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)

    def factory(name: str):  # type: ignore[no-untyped-def]
        task = progress.add_task(name, total=None)
        return lambda done, total: progress.update(task, completed=done, total=total)

    return progress, factory


def split_topics(topics: str | None) -> list[str]:
    return [topic.strip() for topic in (topics or "").split(",") if topic.strip()]


def use_full_screen(front_end: FullScreen) -> None:
    """Plug in the full-screen UI (the `interviewer` script does, from the tui package)."""
    global full_screen
    full_screen = front_end


FusionOption = Annotated[
    str, typer.Option("--fusion", help="How dense and BM25 results are merged: zscore (default) or rrf.")
]
