"""The grader: guards, evidence, score and explanation in that order, and the model's optional say.

How a score is made (the same inputs always give the same grade):
1. Guards (grading/guards.py): empty, "I don't know", gibberish, a copy of the question or an off-topic answer
   scores 0 with the reason. Instruction-like sentences are flagged and removed before anything else sees them.
2. Evidence (grading/evidence.py): for each key point and misconception, the answer spans most like it (MiniLM
   cosine, word overlap) and the learned verifier's reading of them (grading/verifier.py: supports,
   contradicts, does not address). Without a verifier, the reversal rules (grading/contradiction.py) check.
3. Score (grading/score.py): coverage per key point, errors in proportion to the verifier's confidence, the
   calibrated overall map (grading/calibration.json). A question with no authored key points has its
   reference's sentences for key points; when the reference is too short to be a rubric it is scored by the
   `reference_only` map of the answer's match with the whole reference instead, its clauses standing in for key
   points so reversals still count.
4. The model (any GGUF; SmolLM2-135M by default) may move coverages by its measured weight
   (grading/model_weight.py; a model measured to add nothing is not asked), only with quotes found in the
   answer, never for an answer that tried to instruct the grader. Its tip is shown, labelled, only when it
   passes grading/model_text.py.
5. Explanation (grading/explain.py): verdicts with quotes, criteria, gaps and advice; every wrong claim with
   the candidate's sentence, what is true, and how sure the evidence is.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interviewer.errors import ModelError
from interviewer.grading.calibration import Calibration, load_calibration
from interviewer.grading.evidence import (
    AnswerEvidence,
    collect_evidence,
    corpus_vocabulary,
    english_vocabulary,
    reference_baselines,
    reference_text,
)
from interviewer.grading.explain import assemble_grade, verdict_for
from interviewer.grading.grade import (
    RUBRIC,
    Citation,
    CriterionScore,
    Grade,
    GradeTimings,
    KeyPointVerdict,
    MisconceptionHit,
    RejectedModelText,
)
from interviewer.grading.guards import (
    Guard,
    GuardResult,
    SanitisedAnswer,
    check_non_answer,
    sanitise,
    topical_words,
    unrecognised,
)
from interviewer.grading.model_text import review_model_prose
from interviewer.grading.model_verdicts import apply_model_verdicts, build_messages, model_output_type
from interviewer.grading.model_weight import COVERED_CHECK_WEIGHT, lookup_weight, model_key, weights_files
from interviewer.grading.reference_match import graded_as_a_whole
from interviewer.grading.score import AnswerScore, score_answer, score_point, soft_misconception_of
from interviewer.grading.verifier import Verifier
from interviewer.limits import GRADED_ANSWER_CHARS
from interviewer.llm import ModelBackend, StructuredLLM
from interviewer.packs import KeyPoint, Question
from interviewer.prompts import load_prompt
from interviewer.retrieval.embeddings import Embedder
from interviewer.retrieval.search import RetrievedChunk, Retriever
from interviewer.text import content_words, finished_text, tokenize

# The model is asked only about key points whose evidence is inconclusive, at most this many per answer.
UNSURE_ABOVE, UNSURE_BELOW, MAX_MODEL_VERDICTS = 0.15, 0.85, 3
# A model whose weight reaches COVERED_CHECK_WEIGHT also checks this many covered key points for a reversal.
MAX_COVERED_CHECKS = 2
# Reference sections looked up per question (Settings.retrieval_k): cited in the grade and shown to the model.
REFERENCE_K = 3


@dataclass
class Grader:
    """Grades answers to pack questions. `llm=None` grades from evidence only (and says so in the grade)."""

    embedder: Embedder
    retriever: Retriever | None = None
    llm: StructuredLLM | None = None
    calibration: Calibration | None = None
    seed: int = 0
    off_topic_threshold: float = 0.2
    unsure_band: tuple[float, float] = (UNSURE_ABOVE, UNSURE_BELOW)
    max_model_verdicts: int = MAX_MODEL_VERDICTS
    model_weight: float | None = None  # None: the measured weight of the model in use (model_weight.py)
    data_dir: Path | None = None  # whose model_weights.json is read after the shipped one
    # The learned verifier (grading/verifier.py); None checks reversals with the hand-written rules alone.
    verifier: Verifier | None = None
    rules_with_verifier: bool = False  # also the rules when there is a verifier (measured: see the README)
    reference_k: int = REFERENCE_K  # reference sections looked up per question

    def __post_init__(self) -> None:
        if self.calibration is None:
            self.calibration = load_calibration()
        self.template = load_prompt("grading")
        self._references: dict[str, list[RetrievedChunk]] = {}

    def grade(self, question: Question, answer: str, *, use_model: bool = True) -> Grade:
        if len(answer) > GRADED_ANSWER_CHARS:
            grade = self.grade(question, answer[:GRADED_ANSWER_CHARS], use_model=use_model)
            notice = f"Only the first {GRADED_ANSWER_CHARS:,} of {len(answer):,} characters were graded. "
            return grade.model_copy(update={"flags": [*grade.flags, "answer-truncated"],
                                            "explanation": notice + grade.explanation})
        started = time.perf_counter()
        timings = GradeTimings()

        t0 = time.perf_counter()
        references = self.references_for(question)
        timings.retrieval_ms = (time.perf_counter() - t0) * 1000
        citations = self._citations(references)

        t0 = time.perf_counter()
        cleaned = sanitise(answer)
        flags = [f"prompt-injection:{flag}" for flag in cleaned.flags]
        vocabulary = corpus_vocabulary() | set(content_words(question.question + " " + reference_text(question)))
        guard = check_non_answer(cleaned.text, question.question, vocabulary, reference_text(question),
                                 english_vocabulary())
        if guard is not None and guard.name == Guard.EMPTY and cleaned.removed:
            guard = GuardResult(Guard.INSTRUCTIONS_ONLY, "The answer only holds instructions to the grader.")
        evidence: AnswerEvidence | None = None
        verifier_note: str | None = None
        if guard is None:
            evidence, verifier_note = self.evidence(question, cleaned.sentences)
            timings.verifier_ms = evidence.verifier_ms
            guard = self._off_topic(question, cleaned.sentences, evidence, vocabulary)
        timings.evidence_ms = (time.perf_counter() - t0) * 1000

        if guard is not None or evidence is None:
            assert guard is not None
            timings.total_ms = (time.perf_counter() - started) * 1000
            return self._zero_grade(question, guard, flags, citations, timings)

        calibration = self.parameters_for(question, verifier_used=evidence.verifier_id is not None)
        scored = score_answer(evidence, [p.weight for p in question.key_points], calibration)
        verdicts = [verdict_for(point, result, calibration)
                    for point, result in zip(question.key_points, scored.points, strict=True)]
        misconceptions = _misconception_hits(question, evidence, scored)
        model_note, model_advice, evidence_only = self._ask_model(question, cleaned, references, verdicts, timings,
                                                                  use_model, calibration)
        model_advice, rejected = _reviewed_advice(model_advice, question, references)
        notes = [note for note in (model_note, verifier_note) if note]
        grade = assemble_grade(
            question, verdicts, cleaned.sentences, flags, citations, timings, calibration,
            misconceptions=misconceptions, reference=evidence.reference,
            model_id=None if evidence_only or self.llm is None else self.llm.model_id,
            model_note=" ".join(notes) or None, model_advice=model_advice, prompt_version=self.template.version,
            seed=self.seed, verifier_id=evidence.verifier_id,
            misconception_probability=None if evidence.verifier_id is None else soft_misconception_of(evidence),
        )
        grade.model_text_rejected = rejected
        grade.model_weight = None if evidence_only else self.verdict_weight()
        grade.timings.total_ms = (time.perf_counter() - started) * 1000
        return grade

    def parameters_for(self, question: Question, *, verifier_used: bool) -> Calibration:
        """The calibration that fits this evidence (fitted with or without the verifier) and this kind of question
        (key points, or a short reference answer matched as a whole)."""
        assert self.calibration is not None
        return self.calibration.for_evidence(verifier_used).for_question(graded_as_a_whole(question))

    def evidence(self, question: Question, sentences: Sequence[str],
                 key_points: Sequence[KeyPoint] | None = None) -> tuple[AnswerEvidence, str | None]:
        """The evidence for an answer's sentences, with the verifier when it works; its failure is a note."""
        rules = self.verifier is None or self.rules_with_verifier
        try:
            return collect_evidence(question, sentences, self.embedder, self.verifier, key_points=key_points,
                                    rules=rules, with_misconceptions=key_points is None), None
        except ModelError as exc:
            note = f"{exc.title}: {exc.message}; reversals were checked by the rules instead."
            return collect_evidence(question, sentences, self.embedder, None, key_points=key_points,
                                    with_misconceptions=key_points is None), note

    def _ask_model(
        self, question: Question, cleaned: SanitisedAnswer, references: Sequence[RetrievedChunk],
        verdicts: list[KeyPointVerdict], timings: GradeTimings, use_model: bool, calibration: Calibration,
    ) -> tuple[str | None, str, bool]:
        """The model's verdicts (moving coverages by its measured weight) and tip: (note, advice, evidence_only)."""
        if not use_model:
            return None, "", True
        if self.llm is None:
            return "No model configured.", "", True
        if self.verdict_weight() <= 0:
            return (f"The model's verdicts were measured to change no grade ({model_key(self.llm)}: weight 0), "
                    "so it was not asked."), "", True
        t0 = time.perf_counter()
        try:
            asked = self._asked_points(verdicts)
            notes, _stats = self.llm.complete_structured(
                build_messages(self.template, question, cleaned.text, references, asked),
                model_output_type(question, asked),
                max_tokens=90 + 45 * len(asked),  # room for the longest quotes and advice
            )
        except ModelError as exc:
            timings.model_ms = (time.perf_counter() - t0) * 1000
            return f"{exc.title}: {exc.message}", "", True
        apply_model_verdicts(verdicts, notes, cleaned.sentences, calibration, self.verdict_weight(),
                             injected=bool(cleaned.flags), asked=asked)
        timings.model_ms = (time.perf_counter() - t0) * 1000
        return None, str(getattr(notes, "advice", "")).strip(), False

    def references_for(self, question: Question) -> list[RetrievedChunk]:
        """The reference material for a question: it depends on the question alone, so it is looked up once."""
        if self.retriever is None:
            return []
        if question.id not in self._references:
            k = self.reference_k
            found = self.retriever.search(f"{question.question} {question.reference_answer}", k=k,
                                          topics=[question.topic])
            self._references[question.id] = found or self.retriever.search(question.question, k=k)
        return self._references[question.id]

    @staticmethod
    def _citations(references: Sequence[RetrievedChunk]) -> list[Citation]:
        return [Citation(source=r.source, heading=r.heading, section_id=r.chunk_id) for r in references]

    def prepare(self, question: Question) -> None:
        """Do the answer-independent work ahead of time, e.g. while the candidate is still typing.

        Loads the embedding model and the verifier, embeds the question's statements and has the verifier read the
        reference answer against them (so the first grade of a session does not wait for them), looks up the
        reference material, and lets the model read the prompt up to the answer, so grading after the answer
        arrives only pays for the answer's own tokens (llama.cpp reuses the common prompt prefix).
        """
        references = self.references_for(question)
        try:
            self.embedder.encode([p.statement for p in question.key_points] + [m.claim for m in
                                                                                question.misconceptions])
            if self.verifier is not None:
                warm_verifier = getattr(self.verifier, "warm", None)
                if warm_verifier is not None:
                    warm_verifier()
                # What the verifier reads in the reference answer does not depend on the answer: read it now.
                reference_baselines(question, question.key_points, [m.claim for m in question.misconceptions],
                                    self.embedder, self.verifier)
        except ModelError:
            pass  # a model that cannot load reports its failure when the answer is graded
        if self.llm is None or self.verdict_weight() <= 0:
            return  # a model that is not asked while grading has nothing to read ahead
        try:
            # Only a ModelBackend reads ahead; a bare StructuredLLM (an evaluation wrapper) may stand in for one.
            if isinstance(self.llm, ModelBackend):
                self.llm.warm(build_messages(self.template, question, "", references))
        except ModelError:
            pass  # a model that cannot warm up will report its failure when it grades

    def read_draft(self, question: Question, draft: str, key_point_id: str | None = None) -> None:
        """Have the verifier read an answer while it is typed: the finished sentences of `draft`, against what they
        will be graded on (the question, or the one key point a follow-up asks about), exactly as `grade` will
        read them. The verifier keeps each reading, so when the answer is sent only its newest sentences wait
        for it; every reading is the one `grade` would make (a pair is read alone, never batched), so the grade is
        the same to the last digit. Nothing is returned and a model failure is left for `grade` to report."""
        if self.verifier is None:
            return  # without a verifier there is nothing slow to read ahead
        sentences = sanitise(finished_text(draft[:GRADED_ANSWER_CHARS])).sentences
        if not sentences:
            return
        points = None if key_point_id is None else [question.key_point(key_point_id)]
        self.evidence(question, sentences, key_points=points)

    def zero_grade(self, question: Question, name: Guard, reason: str) -> Grade:
        """A 0 grade with its reason, for an answer that was not given (e.g. the question was skipped)."""
        return self._zero_grade(question, GuardResult(name, reason), [], self._citations(self.references_for(question)),
                                GradeTimings())

    def grade_follow_up(
        self, question: Question, previous: Grade, key_point_id: str, answer: str, all_answers: Sequence[str]
    ) -> Grade:
        """Grade a follow-up answer against the one key point it asked about and update the question's grade.

        The key point keeps the stronger of its two pieces of evidence (the main answer's or the follow-up's);
        the other key points are untouched, so a follow-up can only add what it was asked for. `all_answers`
        (main answer and every follow-up answer so far) feeds the clarity and depth criteria.
        """
        started = time.perf_counter()
        calibration = self.parameters_for(question, verifier_used=previous.verifier_id is not None)
        point = question.key_point(key_point_id)
        cleaned = sanitise(answer[:GRADED_ANSWER_CHARS])
        flags = list(dict.fromkeys(previous.flags + [f"prompt-injection:{flag}" for flag in cleaned.flags]))
        verdicts = [verdict.model_copy() for verdict in previous.key_points]
        vocabulary = corpus_vocabulary() | set(content_words(question.question + " " + reference_text(question)))
        guard = check_non_answer(cleaned.text, point.probe, vocabulary, point.statement, english_vocabulary())
        note = ""
        if guard is None:
            evidence, _ = self.evidence(question, cleaned.sentences, key_points=[point])
            calibration = self.parameters_for(question, verifier_used=evidence.verifier_id is not None)
            result = score_point(evidence.key_points[0], calibration, len(evidence.sentences))
            index = next(i for i, verdict in enumerate(verdicts) if verdict.key_point_id == key_point_id)
            if result.contradiction is None and result.coverage > verdicts[index].coverage:
                verdicts[index] = verdict_for(point, result, calibration).model_copy(update={"from_follow_up": True})
        else:
            note = f" The follow-up answer added nothing: {guard.reason}"
        combined = sanitise("\n".join(all_answers))
        timings = GradeTimings(retrieval_ms=previous.timings.retrieval_ms)
        grade = assemble_grade(
            question, verdicts, combined.sentences, flags, previous.citations, timings, calibration,
            misconceptions=previous.misconceptions, model_id=previous.model_id, model_note=previous.model_note,
            model_advice="", prompt_version=self.template.version, seed=self.seed, verifier_id=previous.verifier_id,
            misconception_probability=previous.misconception_probability,
        )
        grade.follow_ups = previous.follow_ups + [key_point_id]
        grade.explanation += f" Updated after a follow-up on '{point.statement}'.{note}"
        grade.timings.total_ms = (time.perf_counter() - started) * 1000
        return grade

    # --- pieces ---

    def _off_topic(
        self, question: Question, sentences: Sequence[str], evidence: AnswerEvidence, vocabulary: frozenset[str]
    ) -> GuardResult | None:
        """An answer about something else: far from every key point, sharing few words, in another field's words.

        Similarity alone cannot tell: a terse right answer in its own words ("You can point both forwards and
        backwards" to a question on doubly-linked lists) is as far from the key points as a pizza recipe. What
        tells them apart is vocabulary: the pizza recipe's words are not the subject's.
        """
        best_similarity = max((float(item.similarity.max()) for item in evidence.key_points if item.spans),
                              default=0.0)
        # Words compared by their first letters, so "globally" meets "global" and "iterativly" meets "iteration".
        reference_words = {word[:5] for word in tokenize(reference_text(question) + " " + question.question)}
        answer_words = {word[:5] for word in tokenize(" ".join(sentences))}
        shared = len(answer_words & reference_words) / max(1, len(answer_words))
        topical = topical_words(content_words(" ".join(sentences)))
        foreign = [word for word in unrecognised(topical, vocabulary) if len(word) > 3]  # "ana" is a typo, not a topic
        if best_similarity < self.off_topic_threshold and shared < 0.15 and len(foreign) >= max(2, 0.2 * len(topical)):
            return GuardResult(Guard.OFF_TOPIC, "The answer does not address the question.")
        return None

    def verdict_weight(self) -> float:
        """How far the model's verdicts move a coverage: set, or measured for the model in use (0: not asked)."""
        if self.model_weight is None:
            self.model_weight = lookup_weight(self.llm, weights_files(self.data_dir))[0] if self.llm else 0.0
        return self.model_weight

    def _asked_points(self, verdicts: Sequence[KeyPointVerdict]) -> list[int]:
        """The key points the model is asked about: the unsettled ones and, once its weight has earned it, the
        heaviest covered ones, to catch a reversal the evidence scores as a match."""
        asked = self._uncertain_points(verdicts)
        if self.verdict_weight() >= COVERED_CHECK_WEIGHT:
            covered = [i for i, v in enumerate(verdicts) if v.coverage >= self.unsure_band[1] and v.status == "covered"]
            covered.sort(key=lambda i: -verdicts[i].weight)
            asked = sorted(set(asked) | set(covered[:MAX_COVERED_CHECKS]))
        return asked

    def _uncertain_points(self, verdicts: Sequence[KeyPointVerdict]) -> list[int]:
        """The key points the evidence cannot settle, heaviest first: the only ones worth a verdict on coverage.

        Clear cases gain little from a model whose verdicts move a coverage by a fraction, and every verdict the
        model writes costs about half a second on the default model.
        """
        low, high = self.unsure_band
        unsure = [i for i, v in enumerate(verdicts) if low < v.coverage < high]
        unsure.sort(key=lambda i: (-verdicts[i].weight, abs(verdicts[i].coverage - 0.5)))
        return sorted(unsure[: self.max_model_verdicts])

    def _zero_grade(
        self, question: Question, guard: GuardResult, flags: list[str], citations: list[Citation],
        timings: GradeTimings,
    ) -> Grade:
        calibration = self.calibration
        assert calibration is not None
        verdicts = [
            KeyPointVerdict(key_point_id=p.id, statement=p.statement, weight=p.weight, status="missing",
                            coverage=0.0, evidence_quote=None, similarity=0.0, word_overlap=0.0, probe=p.probe)
            for p in question.key_points
        ]
        criteria = [
            CriterionScore(criterion=name, score=0, descriptor=RUBRIC[name][0],  # type: ignore[arg-type]
                           justification=guard.reason)
            for name in RUBRIC
        ]
        return Grade(
            question_id=question.id, overall=0.0, percent=0, criteria=criteria, key_points=verdicts,
            strengths=[], gaps=[f"Missing: {p.statement}" for p in question.key_points],
            advice=[f"Think about: {question.key_points[0].probe}"] + (
                ["Study: " + ", ".join(question.sections[:2])] if question.sections else []),
            guard=guard.name, flags=flags, explanation=f"Scored 0: {guard.reason}", citations=citations,
            evidence_only=True, model_id=None, model_note="The model is not consulted for a non-answer.",
            prompt_version=self.template.version, seed=self.seed, calibration_version=calibration.version,
            timings=timings,
        )


def _misconception_hits(question: Question, evidence: AnswerEvidence, scored: AnswerScore) -> list[MisconceptionHit]:
    """The misconceptions the answer states, each with the sentence that states it and how sure the reading is."""
    return [
        MisconceptionHit(claim=m.claim, why=m.why, quote=error.sentence, confidence=round(error.confidence, 3),
                         similarity=round(float(item.similarity[item.spans.index(error.sentence)]), 4))
        for m, item, error in zip(question.misconceptions, evidence.misconceptions, scored.misconceptions,
                                  strict=True) if error is not None
    ]


def _reviewed_advice(advice: str, question: Question, references: Sequence[RetrievedChunk]
                     ) -> tuple[str, list[RejectedModelText]]:
    """The model's advice if it passes the prose checks; otherwise nothing shown, and the text kept on record."""
    if advice:
        review = review_model_prose(advice, question, [r.text for r in references])
        if review.problem is not None:
            return "", [RejectedModelText(text=advice, reason=review.problem)]
    return advice, []
