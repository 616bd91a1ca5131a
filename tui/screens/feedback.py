"""Everything about one grade: the rubric, the key points with their evidence highlighted in the candidate's own
answer, guards and flags, penalties, advice, the model's note (labelled as the model's), and citations that
expand to the reference text they point at."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Collapsible, Label, Static

from interviewer.grading.wording import key_points_heading
from tui.backend import Backend
from tui.widgets.grade_text import (
    guard_and_flags,
    headline,
    highlighted_answer,
    key_point_lines,
    misconception_lines,
    score_style,
)


class FeedbackScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f9", "dispute", "Disagree"),
        Binding("f3", "model_answer", "Model answer", show=False),
    ]

    def __init__(self, backend: Backend, session_id: str, entry: dict[str, Any], practice: bool,
                 model_answer: str | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.session_id = session_id
        self.entry = entry
        self.grade: dict[str, Any] = entry["grade"]
        self.practice = practice
        self.model_answer = model_answer

    def compose(self) -> ComposeResult:
        grade = self.grade
        with VerticalScroll(id="feedback", classes="panel"):
            title = Text("Feedback: ", style="bold")
            title.append_text(headline(grade))
            yield Label(title, id="feedback-title")
            if self.entry.get("question"):
                yield Static(Text(self.entry["question"], style="italic"), classes="feedback-question")
            problems = guard_and_flags(grade)
            if problems is not None:
                yield Static(problems, classes="feedback-problems")
            yield Static(Text(str(grade.get("explanation", ""))), classes="feedback-explanation")
            yield Label(Text("Rubric", style="bold underline"))
            yield Static(self._rubric(), id="rubric")
            yield Label(Text(key_points_heading(bool(grade.get("reference_only"))), style="bold underline"))
            yield Static(key_point_lines(grade.get("key_points", [])), id="key-points")
            yield Label(Text("Your answer, with the evidence highlighted", style="bold underline"))
            yield Static(highlighted_answer(self.entry.get("answers") or [], grade.get("key_points", []),
                                            grade.get("misconceptions") or []),
                         id="answer-evidence", classes="answer-box")
            wrong = misconception_lines(grade)
            if wrong is not None:
                yield Label(Text("Misconceptions stated", style="bold underline"))
                yield Static(wrong, id="misconceptions")
            if grade.get("advice"):
                yield Label(Text("Advice", style="bold underline"))
                advice = Text()
                for number, item in enumerate(grade["advice"]):
                    advice.append(("\n" if number else "") + "• " + str(item))
                yield Static(advice, id="advice")
            if grade.get("model_note"):
                # Only text the model wrote is labelled as the model's; without a model the note is the program's.
                by_model = bool(grade.get("model_id")) and not grade.get("evidence_only")
                note = Text(f"Written by the model ({grade['model_id']}): " if by_model else "Note: ", style="dim")
                note.append(str(grade["model_note"]))
                yield Static(note, id="model-note")
            if grade.get("citations"):
                yield Label(Text("References (expand to read)", style="bold underline"))
                for citation in _distinct_citations(grade["citations"]):
                    label = f"{citation['source']} › {str(citation.get('heading', '')).split(' > ')[-1]}"
                    yield Collapsible(Static(self._excerpt(citation), classes="excerpt"), title=label,
                                      collapsed=True, classes="citation")
            if self.model_answer:
                yield Label(Text("Model answer", style="bold underline"))
                yield Static(Text(self.model_answer), id="model-answer")
            dispute = self._dispute_text()
            if dispute is not None:
                yield Static(dispute, id="dispute")
        with Horizontal(classes="dialog-buttons"):
            if self.practice and self.model_answer is None:
                yield Button("Model answer (F3)", id="show-model-answer")
            yield Button("Disagree (F9)", id="disagree")
            yield Button("Close (Esc)", variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#feedback").focus()  # arrows and page keys scroll it; Esc closes

    def _rubric(self) -> Table:
        # A Rich table wraps its cells, so the whole rubric reads at 80 columns.
        table = Table(expand=True, box=box.SIMPLE_HEAD, header_style="bold")
        table.add_column("criterion", ratio=2, no_wrap=True)
        table.add_column("score", ratio=1, no_wrap=True)
        table.add_column("descriptor", ratio=4)
        table.add_column("justification", ratio=4)
        for row in self.grade.get("criteria", []):
            table.add_row(Text(str(row["criterion"])), Text(f"{row['score']}/5", style=score_style(row["score"])),
                          Text(str(row["descriptor"])), Text(str(row.get("justification", ""))))
        return table

    def _excerpt(self, citation: dict[str, Any]) -> Text:
        from interviewer.retrieval.citations import reference_excerpt

        found = reference_excerpt(str(citation.get("source", "")), str(citation.get("heading", "")),
                                  self.backend.reference_roots())
        return Text(found) if found else Text("(the cited section is no longer in the knowledge documents)",
                                                style="dim")

    def _dispute_text(self) -> Text | None:
        try:
            saved = self.backend.history().session(self.session_id)
        except Exception:  # noqa: BLE001 — the feedback shows without it
            return None
        attempt = next((a for a in (saved.attempts if saved else []) if a.turn == self.entry["turn"]), None)
        if not attempt or attempt.dispute_score is None:
            return None
        text = Text(f"You disputed this grade: {attempt.dispute_score:.1f}/5 is fair", style="bold")
        if attempt.dispute_note:
            text.append(" — ")
            text.append(attempt.dispute_note, style="")
        return text

    @on(Button.Pressed, "#show-model-answer")
    def action_model_answer(self) -> None:
        if not self.practice:
            self.notify("Model answers are in the report after an exam.", title="No model answer", markup=False)
            return
        question = self.backend.catalog_question(self.grade.get("question_id", ""))
        if question is None:
            self.notify("This question is no longer in an installed pack.", title="No model answer", markup=False)
            return
        self.dismiss(None)
        self.app.push_screen(FeedbackScreen(self.backend, self.session_id, self.entry, self.practice,
                                            model_answer=question.reference_answer))

    @on(Button.Pressed, "#disagree")
    def action_dispute(self) -> None:
        from tui.screens.dialogs import DisputeScreen

        self.app.push_screen(DisputeScreen(self.backend, self.session_id, self.entry["turn"],
                                           float(self.grade["overall"])))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


def _distinct_citations(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for citation in citations:
        seen.setdefault((str(citation.get("source")), str(citation.get("heading"))), citation)
    return list(seen.values())
