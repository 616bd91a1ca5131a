"""`interviewer interview` and `interviewer grade`: a practice or exam session, or one answer graded."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from interviewer.cli.common import (
    LlmUrlOption,
    StoreUrlOption,
    app,
    err,
    interactive,
    load_catalog,
    open_grader,
    open_tui,
    out,
    print_grade,
    split_topics,
    state,
)
from interviewer.errors import InterviewerError

if TYPE_CHECKING:
    from interviewer.config import Settings


@app.command("grade")
def grade_command(
    pack: Annotated[str, typer.Option("--pack", help="Pack name.")],
    question: Annotated[str, typer.Option("--question", help="Question id.")],
    answer: Annotated[str | None, typer.Option("--answer", help="The answer text.")] = None,
    answer_file: Annotated[Path | None, typer.Option("--answer-file", help="Read the answer from a file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grade as JSON.")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (default: bundled).")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="Grade from evidence only.")] = False,
    store_url: StoreUrlOption = None,
    llm_url: LlmUrlOption = None,
) -> None:
    """Grade one answer against a question's rubric."""
    from interviewer.grading import grade_to_json

    if (answer is None) == (answer_file is None):
        raise InterviewerError("give exactly one of --answer or --answer-file", "No answer to grade")
    if answer_file is not None:
        try:
            answer = answer_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InterviewerError(f"cannot read {answer_file}: {exc}", "No answer to grade") from exc
    assert answer is not None
    settings = state.settings(model_path=model, store_url=store_url, llm_url=llm_url)
    target = load_catalog(settings).get(pack).pack.question(question)
    grade = open_grader(settings, model, use_model=not no_model).grade(target, answer)
    if as_json:
        sys.stdout.write(grade_to_json(grade) + "\n")
    else:
        print_grade(grade)


# --- interview, history, reports ---------------------------------------------------------------------------


def run_interview(
    *, pack: str = "genai-core", topics: str | None = None, questions: int = 5, mode: str = "practice",
    difficulty: int = 2, time_limit: int | None = None, follow_ups: int | None = None, resume: str | None = None,
    model: Path | None = None, no_model: bool = False, quiet_tools: bool = False, plain: bool = False,
    store_url: str | None = None, llm_url: str | None = None,
) -> None:
    from interviewer.agent.planning import SessionPlan

    if mode not in ("practice", "exam"):
        raise InterviewerError("--mode must be practice or exam", "Unknown mode")
    if time_limit is not None and mode != "exam":
        raise InterviewerError("--time-limit applies to exam mode; add --mode exam", "Time limit without an exam")
    settings = state.settings(model_path=model, store_url=store_url, llm_url=llm_url)
    catalog = load_catalog(settings)
    plan: SessionPlan | None = None
    if resume is None:  # a wrong pack or topic is reported before any model is loaded
        chosen = catalog.get(pack).pack
        plan = SessionPlan.model_validate({
            "pack": chosen.name, "topics": split_topics(topics), "questions": questions,
            "mode": mode, "difficulty": difficulty, "time_limit_s": time_limit if mode == "exam" else None,
            "max_follow_ups": settings.max_follow_ups if follow_ups is None else follow_ups,
        })
        plan.check_topics(chosen)
    if not plain and interactive():
        open_tui(settings, plan=plan, resume=resume is not None,
                  resume_id=None if resume in (None, "latest") else resume, model=model, use_model=not no_model,
                  catalog=catalog)
        return
    run_plain(settings, catalog, plan, resume=resume, model=model, no_model=no_model, quiet_tools=quiet_tools)


def run_plain(settings: Settings, catalog: Any, plan: Any, *, resume: str | None, model: Path | None,
               no_model: bool, quiet_tools: bool) -> None:
    from interviewer.plain import PlainInterview, stdin_lines
    from interviewer.wiring import open_interview

    session = open_interview(settings, model, use_model=not no_model,
                             note=lambda text: err.print(text, markup=False), catalog=catalog)
    try:
        # Words wrap at the terminal's width; piped output keeps whole lines for scripts and screen readers.
        console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
        plain = PlainInterview(session, console, show_tools=not quiet_tools, echo_answers=not sys.stdin.isatty())
        if resume is not None:
            step, earlier = session.resume(None if resume == "latest" else resume)
            answered = sum(1 for item in earlier if item.type == "answer")
            out.print(f"Resuming session {step.session_id} ({answered} answers so far).", markup=False)
        else:
            assert plan is not None
            waiting = session.resumable()
            if waiting:
                err.print(f"Note: {len(waiting)} unfinished session{'s' if len(waiting) != 1 else ''} "
                          f"(newest {waiting[0]}); `interviewer interview --resume` continues it.", markup=False)
            step = session.start(plan)
            out.print(f"Session {step.session_id}.", markup=False)
        resume_hint = f"resume with `interviewer interview --resume {step.session_id}`"
        try:
            finished = plain.run(step, stdin_lines(sys.stdin))
        except KeyboardInterrupt:
            err.print(f"\nInterrupted. Every answer so far is saved; {resume_hint}.", markup=False)
            raise typer.Exit(130) from None
        except InterviewerError as exc:
            raise InterviewerError(f"{exc.message}. Every answer so far is saved; {resume_hint}.", exc.title) from exc
        except Exception as exc:  # noqa: BLE001 — an unexpected failure still tells the user their work is safe
            raise InterviewerError(f"{type(exc).__name__}: {exc}. Every answer so far is saved; {resume_hint}.",
                                   "Interview stopped") from exc
        if finished and plain.summary and plain.summary.get("questions_answered"):
            out.print(f"Report: interviewer report {step.session_id} --format md", markup=False)
    finally:
        session.close()


@app.command("interview")
def interview_command(
    plain: Annotated[
        bool, typer.Option("--plain", help="Plain stdin/stdout instead of the full-screen UI (automatic when piped).")
    ] = False,
    pack: Annotated[str, typer.Option("--pack", help="Question pack.")] = "genai-core",
    topics: Annotated[str | None, typer.Option("--topics", help="Comma-separated topic ids (default: all).")] = None,
    questions: Annotated[int, typer.Option("--questions", min=1, max=100, help="Main questions.")] = 5,
    mode: Annotated[str, typer.Option("--mode", help="practice (hints) or exam (timed, no hints).")] = "practice",
    difficulty: Annotated[int, typer.Option("--difficulty", min=1, max=3, help="Starting difficulty.")] = 2,
    time_limit: Annotated[
        int | None, typer.Option("--time-limit", min=10, help="Exam mode: seconds per question.")
    ] = None,
    follow_ups: Annotated[
        int | None, typer.Option("--follow-ups", min=0, max=5, help="Follow-ups per question (default 2).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Resume a saved session: SESSION_ID, else the newest unfinished one.")
    ] = False,
    session_id: Annotated[str | None, typer.Argument(help="With --resume: which session.")] = None,
    model: Annotated[Path | None, typer.Option("--model", help="A GGUF chat model (default: bundled).")] = None,
    no_model: Annotated[bool, typer.Option("--no-model", help="No language model: evidence-only grading.")] = False,
    quiet_tools: Annotated[bool, typer.Option("--quiet-tools", help="Do not print the interviewer's lookups.")] = False,
    store_url: StoreUrlOption = None,
    llm_url: LlmUrlOption = None,
) -> None:
    """Run an interview: questions, grades, follow-ups, hints and a summary. Answers end with a line '.'."""
    if session_id is not None and not resume:
        raise InterviewerError("a session id is only used with --resume", "Unexpected argument")
    run_interview(pack=pack, topics=topics, questions=questions, mode=mode, difficulty=difficulty,
                  time_limit=time_limit, follow_ups=follow_ups, resume=(session_id or "latest") if resume else None,
                  model=model, no_model=no_model, quiet_tools=quiet_tools, plain=plain, store_url=store_url,
                  llm_url=llm_url)
