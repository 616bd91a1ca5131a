"""`interviewer history`, `dispute`, `report` and `export anki`: what a learner has done, kept and exported."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interviewer.cli.common import (
    app,
    err,
    export_app,
    load_catalog,
    out,
    state,
)
from interviewer.errors import InterviewerError

if TYPE_CHECKING:
    from interviewer.records.sessions import DisputeRecord, SessionRecord


def all_sessions() -> list[SessionRecord]:
    """Every session in the history database, newest first."""
    from interviewer.records.history import History

    with History(state.settings().history_path) as history:
        return history.sessions()


@app.command("history")
def history_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    disputes: Annotated[
        bool, typer.Option("--disputes", help="List the grades you disputed instead of the sessions.")
    ] = False,
    as_csv: Annotated[
        bool, typer.Option("--csv", help="With --disputes: the CSV `interviewer eval grading --dataset` reads.")
    ] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="With --disputes --csv: write to this file instead of stdout.")
    ] = None,
    verifier_pairs_file: Annotated[
        Path | None, typer.Option("--verifier-pairs", help="With --disputes: write the verifier training pairs "
                                  "your disputes of 'wrong' verdicts propose (JSON Lines, to review and add to "
                                  "knowledge/verifier/pairs.jsonl).")
    ] = None,
) -> None:
    """List past sessions with their questions, answers and grades (with --disputes: the grades you disputed)."""
    if (as_csv or out_file is not None) and not disputes:
        raise InterviewerError("--csv and --out apply to --disputes", "Unexpected option")
    if as_csv and as_json:
        raise InterviewerError("choose one of --csv and --json", "Two output formats")
    if out_file is not None and not as_csv:
        raise InterviewerError("--out writes the CSV; add --csv", "Unexpected option")
    if verifier_pairs_file is not None and not disputes:
        raise InterviewerError("--verifier-pairs applies to --disputes", "Unexpected option")
    if verifier_pairs_file is not None:
        write_verifier_pairs(verifier_pairs_file)
        return
    if disputes:
        print_disputes(as_json=as_json, as_csv=as_csv, out_file=out_file)
        return
    sessions = all_sessions()
    if as_json:
        listed = [session.model_dump(mode="json") for session in sessions]
        sys.stdout.write(json.dumps(listed, indent=2, ensure_ascii=False) + "\n")
        return
    if not sessions:
        out.print("No sessions yet. Start one with `interviewer interview`.")
        return
    print_sessions(sessions)
    print_topic_trends(sessions)


def print_sessions(sessions: list[SessionRecord]) -> None:
    """Each session with its questions' final scores."""
    for session in sessions:
        main = [a for a in session.attempts if a.kind == "question"]
        mean = session.mean_score()
        status = "finished" if session.finished_at else "unfinished"
        shown = f"mean {mean:.1f}/5" if mean is not None else "not graded"
        out.print(f"[bold]{session.id}[/bold]  {session.started_at[:16].replace('T', ' ')}  "
                  f"{session.pack}  {session.mode}  {len(main)} questions  {shown}  ({status})")
        for attempt in session.final_attempts():
            score = f"{attempt.overall:.1f}" if attempt.overall is not None else "  - "
            # The step id is what `interviewer dispute` takes.
            step = f"  ({attempt.turn})" if attempt.turn else ""
            out.print(f"    {score}  {attempt.topic:<16} {attempt.question_id}{step}", markup=False)


def write_verifier_pairs(target: Path) -> None:
    from interviewer.records.disputes import verifier_pairs
    from interviewer.records.history import History

    with History(state.settings().history_path) as history:
        pairs = verifier_pairs(history.disputes())
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs), encoding="utf-8")
    except OSError as exc:
        raise InterviewerError(f"cannot write {target}: {exc}", "Cannot write the pairs") from exc
    out.print(f"{len(pairs)} verifier pair(s) proposed by your disputes written to {target}; review the labels, "
              "then add them to knowledge/verifier/pairs.jsonl and run `make verifier`.", markup=False)


def print_disputes(*, as_json: bool, as_csv: bool, out_file: Path | None) -> None:
    from interviewer.records.history import History

    with History(state.settings().history_path) as history:
        disputes = history.disputes()
    if as_json:
        listed = [dispute.model_dump(mode="json") for dispute in disputes]
        sys.stdout.write(json.dumps(listed, indent=2, ensure_ascii=False) + "\n")
        return
    if not disputes:
        # With --csv the notice goes to stderr: stdout may be redirected into what should be a dataset.
        (err if as_csv else out).print(
            "No disputed grades. Dispute one with `interviewer dispute SESSION TURN SCORE --note '...'`.",
            markup=False,
        )
        return
    if as_csv:
        write_disputes_csv(disputes, out_file)
        return
    for dispute in disputes:
        given = "  - " if dispute.overall is None else f"{dispute.overall:.1f}"
        when = (dispute.disputed_at or "")[:16].replace("T", " ")
        out.print(
            f"{given} -> {dispute.dispute_score:.1f}  {dispute.question_id}  "
            f"({dispute.session_id} {dispute.turn}, {when})",
            markup=False,
        )
        if dispute.dispute_note:
            out.print(f"    {dispute.dispute_note}", markup=False)


def write_disputes_csv(disputes: list[DisputeRecord], out_file: Path | None) -> None:
    import io

    from interviewer.records.disputes import grading_rows, write_grading_csv

    catalog = load_catalog(state.settings())
    result = grading_rows(disputes, {loaded.pack.name: loaded.pack for loaded in catalog.packs})
    for reason in result.skipped:
        err.print(f"Skipped a dispute: {reason}", markup=False)
    if out_file is None:
        buffer = io.StringIO(newline="")
        write_grading_csv(result.rows, buffer)
        sys.stdout.write(buffer.getvalue())
        return
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        with out_file.open("w", newline="", encoding="utf-8") as handle:
            write_grading_csv(result.rows, handle)
    except OSError as exc:
        raise InterviewerError(f"cannot write {out_file}: {exc.strerror}", "Disputes not written") from exc
    out.print(
        f"{len(result.rows)} disputed grade{'s' if len(result.rows) != 1 else ''} written to {out_file}; "
        f"check them with: interviewer eval grading --dataset {out_file}",
        markup=False,
    )


@app.command("dispute")
def dispute_command(
    session_id: Annotated[str, typer.Argument(help="The session (see `interviewer history`).")],
    turn: Annotated[str, typer.Argument(help="The step: q3 for the third question's answer, q3.f1 for its follow-up.")],
    score: Annotated[float, typer.Argument(help="The score you think is fair, 0 to 5 (one decimal).")],
    note: Annotated[str, typer.Option("--note", help="Why the grade is wrong.")] = "",
) -> None:
    """Dispute a grade: record the score you think is fair. The grade stays; the report shows both."""
    from interviewer.agent.turns import TurnId, TurnIdError
    from interviewer.records.history import History

    try:
        step = TurnId.parse(turn)
    except TurnIdError as exc:
        raise InterviewerError(str(exc), "Dispute not recorded") from exc
    with History(state.settings().history_path) as history:
        history.record_dispute(session_id, str(step), score, note)
    out.print(
        f"Recorded: you think {round(score, 1):.1f}/5 is fair for {turn} of session {session_id}. "
        "`interviewer history --disputes --csv` exports your disputes for `interviewer eval grading`.",
        markup=False,
    )


def print_topic_trends(sessions: list[SessionRecord]) -> None:
    """Per topic, weakest first: the mean, how many questions, and the first and latest scores."""
    from interviewer.records.sessions import topic_trends

    trends = topic_trends(sessions)
    if not trends:
        return
    out.print()
    out.print("[bold]By topic[/bold] (weakest first)")
    for trend in trends:
        values = trend.scores
        change = f"  {values[0]:.1f} -> {values[-1]:.1f}" if len(values) > 1 else ""
        out.print(f"    {trend.mean:.1f}  {trend.topic:<16} {len(values)} answered{change}", markup=False)


@app.command("report")
def report_command(
    session_id: Annotated[str | None, typer.Argument(help="Session id (default: the most recent).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="md, html or json.")] = "md",
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Write a report of one session: every question, answer, grade, follow-up and what to study."""
    from interviewer.records.history import History
    from interviewer.records.report import REPORT_FORMATS, export_report, render_report, session_report

    if fmt not in REPORT_FORMATS:
        raise InterviewerError("--format must be md, html or json", "Unknown format")
    settings = state.settings()
    with History(settings.history_path) as history:
        if out_file is not None:
            export_report(history, session_id, fmt, out_file, load_catalog(settings))
            out.print(f"Report written to {out_file}", markup=False)
            return
        text = render_report(session_report(history, session_id, load_catalog(settings)), fmt)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


@export_app.command("anki")
def export_anki_command(
    out_file: Annotated[Path, typer.Option("--out", help="The deck file to write.")] = Path("interviewer-missed.apkg"),
) -> None:
    """Turn the key points you missed into an Anki flashcard deck."""
    from interviewer.records.anki import export_missed_key_points

    sessions = all_sessions()
    catalog = load_catalog(state.settings())
    cards = export_missed_key_points(sessions, out_file, {loaded.pack.name: loaded.pack for loaded in catalog.packs})
    if cards == 0:
        out.print("Nothing to export: no missed key points in your history yet.")
    else:
        out.print(f"{cards} cards written to {out_file}", markup=False)
