"""The interview graph's nodes: each reads the state, does one step, and returns the change.

Nodes run again from their start when a session resumes after an interruption, so every side effect outside
the state is safe to repeat: history writes are keyed by the step (`turn`), review scheduling by the event that
graded it. The one console-free way in is `interrupt` in `ask`: the graph hands out a `Turn` and waits for an
`Action`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langgraph.types import interrupt
from pydantic import ValidationError

from interviewer.agent.follow_up import MAX_TOOL_CALLS, Draft, write_follow_up, write_pointer_hint
from interviewer.agent.planning import SessionPlan, next_difficulty, pick_next_question
from interviewer.agent.state import (
    MAX_HINTS,
    NODE_NAMES,
    Action,
    CurrentQuestion,
    InterviewState,
    QuestionResult,
    Turn,
    event,
)
from interviewer.agent.summary import build_summary, render_summary
from interviewer.agent.tools import ToolBox
from interviewer.agent.turns import TurnId
from interviewer.errors import PackError
from interviewer.grading import HINT_PENALTY, Grade, Grader, KeyPointVerdict, with_interview_adjustments
from interviewer.grading.guards import Guard
from interviewer.packs import KeyPoint, Pack, Question
from interviewer.records.history import History, now_utc


@dataclass
class InterviewDeps:
    """What the nodes work with. Tests pass fakes for the embedder, the models and the clock."""

    packs: dict[str, Pack]
    grader: Grader
    history: History
    chat_model: Any | None = None  # a LangChain chat model with bind_tools; None writes authored text only
    max_tool_calls: int = MAX_TOOL_CALLS
    # Set when measurement shows the model's follow-ups rarely pass the checks: the authored probe is asked at once.
    model_follow_ups_off: str | None = None
    now: Callable[[], datetime] = field(default=now_utc)
    # Told each node's name and the seconds it ran, when set (`interviewer bench` times the graph's overhead so).
    on_node: Callable[[str, float], None] | None = None

    def pack(self, name: str) -> Pack:
        if name not in self.packs:
            raise PackError(f"no question pack named '{name}' (known: {', '.join(sorted(self.packs))})")
        return self.packs[name]


def _grade_view(grade: Grade) -> dict[str, Any]:
    """What the transcript keeps of a grade: everything a person reads, nothing that varies run to run."""
    data = grade.model_dump(mode="json", exclude={"timings"})
    for point in data["key_points"]:
        point.pop("similarity", None)
        point.pop("word_overlap", None)
    return data


def _timed(name: str, node: Callable[..., Any], on_node: Callable[[str, float], None]) -> Callable[..., Any]:
    @functools.wraps(node)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return node(*args, **kwargs)
        finally:  # `ask` raises to wait for the candidate (interrupt), and its time still counts
            on_node(name, time.perf_counter() - started)

    return run


class InterviewNodes:
    def __init__(self, deps: InterviewDeps) -> None:
        self.deps = deps
        if deps.on_node is not None:
            for name in NODE_NAMES:
                setattr(self, name, _timed(name, getattr(self, name), deps.on_node))

    # --- helpers ---

    def _plan(self, state: InterviewState) -> tuple[SessionPlan, Pack]:
        plan = SessionPlan.model_validate(state["plan"])
        return plan, self.deps.pack(plan.pack)

    def _question(self, state: InterviewState, question_id: str) -> Question:
        return self._plan(state)[1].question(question_id)

    def _toolbox(self, plan: SessionPlan, pack: Pack) -> ToolBox:
        return ToolBox(self.deps.grader.retriever, self.deps.history, plan.pack, plan.topic_ids(pack))

    @staticmethod
    def _current(state: InterviewState) -> CurrentQuestion:
        assert state.get("current") is not None, "no question in progress"
        return CurrentQuestion.model_validate(state["current"])

    # --- nodes ---

    def plan(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        now = self.deps.now()
        self.deps.history.start_session(plan.pack, plan.mode, plan.model_dump(mode="json"), state["session_id"], now)
        due = [review.question_id for review in self.deps.history.due_reviews(plan.pack, now)]
        topics = plan.topic_ids(pack)
        on = (f"all {len(topics)} topics" if len(topics) == len(pack.topics) and len(topics) > 3
              else ", ".join(pack.topic_title(topic) for topic in topics))
        plural = "s" if plan.questions != 1 else ""
        text = f"{plan.questions} question{plural} from {pack.title} on {on}; {plan.mode} mode."
        if due:
            text += f" {len(due)} question{'s are' if len(due) != 1 else ' is'} due for review."
        return {
            "difficulty": plan.difficulty,
            "due_reviews": due,
            "asked_ever": sorted(self.deps.history.asked_question_ids(plan.pack)),
            "asked": [],
            "results": [],
            "current": None,
            "finished": False,
            "route": "pick",
            "transcript": [event("plan", text, plan=plan.model_dump(mode="json"), due_reviews=due)],
        }

    def pick(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        if len(state.get("results", [])) >= plan.questions:
            return {"route": "summarise"}
        question = pick_next_question(pack, plan, state.get("asked", []), state["difficulty"],
                                      state.get("due_reviews", []), set(state.get("asked_ever", [])))
        if question is None:
            return {"route": "summarise",
                    "transcript": [event("notice", "No questions are left in the chosen topics.")]}
        number = len(state.get("asked", [])) + 1
        current = CurrentQuestion(question_id=question.id, number=number, turn=TurnId(number),
                                  prompt=question.question)
        review = question.id in state.get("due_reviews", [])
        return {
            "current": current.model_dump(mode="json"),
            "asked": [*state.get("asked", []), question.id],
            "route": "ask",
            "transcript": [event("question", question.question, question_id=question.id, topic=question.topic,
                                 difficulty=question.difficulty, number=number, review=review)],
        }

    def ask(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        current = self._current(state)
        question = self._question(state, current.question_id)
        turn = Turn(
            session_id=state["session_id"], number=current.number, of=plan.questions, kind=current.kind,
            question_id=question.id, topic=question.topic, topic_title=pack.topic_title(question.topic),
            difficulty=question.difficulty, prompt=current.prompt, key_point_id=current.key_point_id,
            written_by_model=current.written_by_model, mode=plan.mode,
            hints_left=0 if plan.mode == "exam" else MAX_HINTS - current.hints_used,
            time_limit_s=plan.time_limit_s if plan.mode == "exam" else None,
            can_show_answer=plan.mode == "practice" and bool(state.get("results")),
        )
        raw = interrupt(turn.model_dump(mode="json"))
        try:
            action = Action.model_validate(raw)
        except ValidationError as exc:
            return {"route": "ask", "transcript": [event("notice", f"Input not understood: {exc.errors()[0]['msg']}")]}

        if action.type in ("answer", "skip"):
            skipped = action.type == "skip"
            late = bool(not skipped and turn.time_limit_s is not None and action.elapsed_s is not None
                        and action.elapsed_s > turn.time_limit_s)
            text = "" if skipped else action.text
            current.attempt_id = self.deps.history.record_answer(
                state["session_id"], plan.pack, question.id, question.topic, current.prompt, text,
                kind=current.kind, key_point_id=current.key_point_id, hints=current.hints_used, late=late,
                when=self.deps.now(), turn=str(current.turn),
            )
            current.answers.append(text)
            current.skipped = skipped
            current.late = current.late or late
            note = "(skipped)" if skipped else text
            return {"current": current.model_dump(mode="json"), "route": "retrieve",
                    "transcript": [event("answer", note, turn=str(current.turn), skipped=skipped, late=late,
                                         elapsed_s=action.elapsed_s)]}
        if action.type == "hint":
            if plan.mode == "exam":
                return {"route": "ask", "transcript": [event("notice", "Hints are not available in exam mode.")]}
            if current.hints_used >= MAX_HINTS:
                return {"route": "ask", "transcript": [event("notice", "No hints left for this question.")]}
            return {"route": "hint"}
        if action.type == "show_answer":
            results = state.get("results", [])
            if plan.mode != "practice" or not results:
                reason = ("Model answers are shown in the report after an exam." if plan.mode == "exam"
                          else "No question has been graded yet.")
                return {"route": "ask", "transcript": [event("notice", reason)]}
            last = self._question(state, results[-1]["question_id"])
            return {"route": "ask", "transcript": [event("model-answer", last.reference_answer,
                                                         question_id=last.id)]}
        # Ending during a follow-up keeps the question: it was answered and graded, so it counts and is scheduled.
        return {"route": "decide" if current.grade is not None else "summarise", "ending": True,
                "transcript": [event("notice", "Session ended before the last question.")]}

    def hint(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        current = self._current(state)
        question = self._question(state, current.question_id)
        focus: KeyPoint = (question.key_point(current.key_point_id) if current.key_point_id
                           else max(question.key_points, key=lambda point: point.weight))
        events: list[dict[str, Any]] = []
        if focus.probe != current.prompt and focus.probe not in current.hints_given:
            text = focus.probe
        else:
            draft = write_pointer_hint(self.deps.chat_model, self._toolbox(plan, pack), question, focus)
            events.extend(draft.events)
            text = draft.text
        current.hints_used += 1
        current.hints_given.append(text)
        cost = f"costs {HINT_PENALTY:g} points"
        events.append(event("hint", text, number=current.hints_used, cost=HINT_PENALTY,
                            note=f"Hint {current.hints_used} of {MAX_HINTS} ({cost})."))
        return {"current": current.model_dump(mode="json"), "route": "ask", "transcript": events}

    def retrieve(self, state: InterviewState) -> InterviewState:
        # The grader keeps what it looks up, so grading reuses it and the grade cites it.
        self.deps.grader.references_for(self._question(state, self._current(state).question_id))
        return {"route": "grade"}

    def grade(self, state: InterviewState) -> InterviewState:
        current = self._current(state)
        question = self._question(state, current.question_id)
        grader = self.deps.grader
        previous = Grade.model_validate(current.grade) if current.grade else None
        if current.kind == "question":
            raw = (grader.zero_grade(question, Guard.SKIPPED, "The question was skipped.") if current.skipped
                   else grader.grade(question, current.answers[-1]))
        else:
            assert previous is not None and current.key_point_id is not None
            raw = previous if current.skipped else grader.grade_follow_up(
                question, previous, current.key_point_id, current.answers[-1], current.answers)
        shown = with_interview_adjustments(raw, current.hints_used, current.late)
        if current.attempt_id is not None:
            self.deps.history.record_grade(current.attempt_id, shown.model_dump_json(), shown.overall,
                                           shown.model_id, shown.prompt_version)
        current.grade = raw.model_dump(mode="json")
        if current.kind == "question":
            current.first_score = shown.overall
        text = f"{shown.overall:.1f}/5"
        return {"current": current.model_dump(mode="json"), "route": "decide",
                "transcript": [event("grade", text, turn=str(current.turn), skipped=current.skipped,
                                     grade=_grade_view(shown))]}

    def decide(self, state: InterviewState) -> InterviewState:
        plan, _ = self._plan(state)
        current = self._current(state)
        raw = Grade.model_validate(current.grade)
        ending = bool(state.get("ending"))
        if not ending and not current.skipped and len(current.follow_ups_asked) < plan.max_follow_ups and (
                self._follow_up_target(raw, current) is not None):
            return {"route": "follow_up"}
        question = self._question(state, current.question_id)
        shown = with_interview_adjustments(raw, current.hints_used, current.late)
        first = current.first_score if current.first_score is not None else shown.overall
        result = QuestionResult(
            question_id=question.id, topic=question.topic, difficulty=question.difficulty, score=shown.overall,
            first_score=first, skipped=current.skipped, late=current.late, hints_used=current.hints_used,
            follow_ups=current.follow_ups_asked, criteria={c.criterion: c.score for c in shown.criteria},
            key_points=[{"key_point_id": v.key_point_id, "statement": v.statement, "weight": v.weight,
                         "status": v.status, "coverage": v.coverage} for v in shown.key_points],
        )
        # The review schedule follows the unprompted answer: needing follow-ups means it was not recalled.
        self.deps.history.schedule_review(plan.pack, question.id, first, when=self.deps.now(),
                                          event=f"{state['session_id']}/{current.turn.main()}")
        return {
            "results": [*state.get("results", []), result.model_dump(mode="json")],
            "difficulty": next_difficulty(state["difficulty"], None if current.skipped else first),
            "current": None,
            "route": "summarise" if ending else "pick",
        }

    @staticmethod
    def _follow_up_target(grade: Grade, current: CurrentQuestion) -> KeyPointVerdict | None:
        """The most important key point still missing: a contradicted one first, then the heaviest weight times the
        least coverage."""
        open_points = [v for v in grade.key_points
                       if v.status != "covered" and v.key_point_id not in current.follow_ups_asked]
        if not open_points:
            return None
        return max(open_points, key=lambda v: (v.status == "contradicted", v.weight * (1.0 - v.coverage), v.weight))

    def follow_up(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        current = self._current(state)
        question = self._question(state, current.question_id)
        target = self._follow_up_target(Grade.model_validate(current.grade), current)
        assert target is not None
        point = question.key_point(target.key_point_id)
        if self.deps.model_follow_ups_off is not None:
            draft = Draft(point.probe, "probe", self.deps.model_follow_ups_off)
        else:
            draft = write_follow_up(self.deps.chat_model, self._toolbox(plan, pack), self.deps.grader.embedder,
                                    question, point, current.answers, self.deps.max_tool_calls)
        current.follow_ups_asked.append(point.id)
        current.kind = "follow-up"
        current.key_point_id = point.id
        current.prompt = draft.text
        current.written_by_model = draft.source == "model"
        current.turn = TurnId(current.number, len(current.follow_ups_asked))
        current.skipped = False
        return {
            "current": current.model_dump(mode="json"),
            "route": "ask",
            "transcript": [*draft.events, event("follow-up", draft.text, key_point_id=point.id, source=draft.source,
                                                rejected=draft.rejected, turn=str(current.turn),
                                                prompt_version=draft.prompt_version)],
        }

    def summarise(self, state: InterviewState) -> InterviewState:
        plan, pack = self._plan(state)
        results = [QuestionResult.model_validate(r) for r in state.get("results", [])]
        reviews = {}
        for result in results:
            review = self.deps.history.review_state(plan.pack, result.question_id)
            if review is not None:
                reviews[result.question_id] = review.due_at
        summary = build_summary(pack, plan, results, reviews, unanswered=len(state.get("asked", [])) - len(results))
        self.deps.history.finish_session(state["session_id"], self.deps.now())
        return {
            "finished": True,
            "summary": summary.model_dump(mode="json"),
            "route": "end",
            "transcript": [event("summary", render_summary(summary), summary=summary.model_dump(mode="json"))],
        }
