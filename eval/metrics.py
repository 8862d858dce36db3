"""The figures of DESIGN.md as pure functions: a question and an answer in, a `MetricResult`
(`value`, `reason`) out. A figure that does not apply is NaN with a reason; an overall
figure with nothing to average is NaN with a warning, never a silent 0."""
from __future__ import annotations

import math
import statistics
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.records import Answer, Citation
from eval.opening import flesch_kincaid_grade, opening_sentences, without_citation_markers

# The gate of tests/test_eval_gate.py and `python -m eval --gate`: a headline figure below
# its threshold (or undefined) fails the run.
GATE: dict[str, float] = {
    "citation_recall": 0.85,
    "citation_precision": 0.85,
    "key_facts": 0.85,
    "abstain_accuracy": 1.0,
    "quotes_grounded": 1.0,
}

QUALITY_KEYS = (
    "citation_recall",
    "citation_precision",
    "key_facts",
    "abstain_accuracy",
    "false_abstention",
    "quotes_grounded",
    "retrieved_recall_at5",
)
LATENCY_KEYS = ("latency_p50_ms", "latency_p95_ms")
REPORT_KEYS = QUALITY_KEYS + LATENCY_KEYS  # the keys DESIGN.md names, unchanged
# Figures beyond DESIGN.md's: diagnostics shown beside the headline ones, never failing a question.
OPENING_KEYS = ("key_facts_first2", "therapist_fk_grade")
EXTRA_KEYS = (*OPENING_KEYS, "persona_accuracy")
FIGURE_KEYS = REPORT_KEYS + EXTRA_KEYS
# Figures where a higher value is worse; every other quality figure fails a question below 1.
LOWER_IS_BETTER = frozenset({"false_abstention", "therapist_fk_grade"})
# Targets shown beside a figure without gating it: (at most, value).
TARGETS: dict[str, float] = {"therapist_fk_grade": 10.0}
OPENING_SENTENCES_FOR_FACTS = 2
OPENING_SENTENCES_FOR_GRADE = 3
# Retrieval is a diagnostic: a miss there is shown, but only the answer decides a failure.
ANSWER_KEYS = tuple(k for k in QUALITY_KEYS if k != "retrieved_recall_at5")
REVIEW_REF = 0


class UndefinedMetricWarning(RuntimeWarning):
    """An overall figure had nothing to be computed over (it is NaN)."""


@dataclass(frozen=True)
class MetricResult:
    value: float
    reason: str

    @property
    def defined(self) -> bool:
        return not math.isnan(self.value)


def undefined(reason: str) -> MetricResult:
    return MetricResult(math.nan, reason)


@dataclass(frozen=True)
class Question:
    """One line of an evaluation set (DESIGN.md, question format)."""

    id: str
    question: str
    answerable: bool
    gold_refs: tuple[int, ...] = ()
    acceptable_refs: tuple[int, ...] = ()
    must_include: tuple[tuple[str, ...], ...] = ()
    history: tuple[str, ...] = ()
    persona: str | None = None
    kind: str | None = None
    note: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Question:
        """Raises KeyError/TypeError/ValueError on a malformed row; the loader names the line."""
        if not isinstance(row["answerable"], bool):  # "false" as a string would read as true
            raise TypeError(f"answerable must be true or false, not {row['answerable']!r}")
        return cls(
            id=str(row["id"]),
            question=str(row["question"]),
            answerable=bool(row["answerable"]),
            gold_refs=tuple(int(r) for r in row.get("gold_refs") or ()),
            acceptable_refs=tuple(int(r) for r in row.get("acceptable_refs") or ()),
            must_include=tuple(tuple(str(a) for a in fact) for fact in row.get("must_include") or ()),
            history=tuple(str(h) for h in row.get("history") or ()),
            persona=row.get("persona"),
            kind=row.get("kind"),
            note=row.get("note"),
        )

    @property
    def gold_studies(self) -> frozenset[int]:
        """Gold refs a correct answer must cite: ref 0 (the review) is never required."""
        return frozenset(self.gold_refs) - {REVIEW_REF}

    @property
    def allowed_refs(self) -> frozenset[int]:
        return frozenset(self.gold_refs) | frozenset(self.acceptable_refs) | {REVIEW_REF}


def cited_refs(answer: Answer) -> frozenset[int]:
    """The refs an answer cites: its citations are the contract, markers in the text are not counted."""
    return frozenset(c.ref for c in answer.citations)


def _share(hits: int, total: int, what: str) -> MetricResult:
    return MetricResult(hits / total, f"{hits} of {total} {what}")


def _gold_found(question: Question, found: frozenset[int] | set[int], what: str) -> MetricResult:
    """Share of the question's gold studies among `found`: citation recall and recall@5 alike."""
    if not question.answerable:
        return undefined("not applicable: unanswerable question")
    gold = question.gold_studies
    if not gold:
        return undefined("not applicable: no gold refs besides the review")
    missing = sorted(gold - found)
    result = _share(len(gold) - len(missing), len(gold), what)
    return MetricResult(result.value, result.reason + (f"; missing {missing}" if missing else ""))


def citation_recall(question: Question, answer: Answer) -> MetricResult:
    return _gold_found(question, cited_refs(answer), "gold refs cited")


def citation_precision(question: Question, answer: Answer) -> MetricResult:
    cited = cited_refs(answer)
    if not cited:
        return undefined("not applicable: no citations")
    outside = sorted(cited - question.allowed_refs)
    result = _share(len(cited) - len(outside), len(cited), "cited refs in gold, acceptable or 0")
    return MetricResult(result.value, result.reason + (f"; outside {outside}" if outside else ""))


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def missing_facts(question: Question, answer: Answer | str) -> list[tuple[str, ...]]:
    """The must_include facts none of whose alternatives the answer text holds (case-insensitive)."""
    text = _folded(answer if isinstance(answer, str) else answer.answer)
    return [fact for fact in question.must_include if not any(_folded(alt) in text for alt in fact)]


def _facts_in(question: Question, text: str, where: str) -> MetricResult:
    if not question.answerable:
        return undefined("not applicable: unanswerable question")
    if not question.must_include:
        return undefined("not applicable: no must_include facts")
    missing = missing_facts(question, text)
    if missing:
        listed = "; ".join(" or ".join(repr(alt) for alt in fact) for fact in missing)
        return MetricResult(0.0, f"missing {len(missing)} of {len(question.must_include)} facts{where}: {listed}")
    return MetricResult(1.0, f"all {len(question.must_include)} facts present{where}")


def key_facts(question: Question, answer: Answer) -> MetricResult:
    return _facts_in(question, answer.answer, "")


def key_facts_first2(question: Question, answer: Answer) -> MetricResult:
    """Key facts counted in the answer's first two sentences alone: does it open with the answer?"""
    opening = " ".join(opening_sentences(answer.answer, OPENING_SENTENCES_FOR_FACTS))
    return _facts_in(question, opening, " in the first two sentences")


def therapist_fk_grade(question: Question, answer: Answer) -> MetricResult:
    """Flesch-Kincaid grade of the first three sentences of an answer to a therapist (lower reads
    more easily); markup and [n] markers removed. Abstentions are fixed wording and are skipped."""
    if question.persona != "therapist":
        return undefined("not applicable: not a therapist question")
    if answer.abstained:
        return undefined("not applicable: abstained")
    opening = [without_citation_markers(s) for s in opening_sentences(answer.answer, OPENING_SENTENCES_FOR_GRADE)]
    grade = flesch_kincaid_grade([s for s in opening if s])
    if math.isnan(grade):
        return undefined("not applicable: no words in the answer")
    return MetricResult(grade, f"Flesch-Kincaid grade {grade:.1f} of the first {len(opening)} sentences")


def persona_accuracy(question: Question, answer: Answer) -> MetricResult:
    """1 when the persona the assistant inferred (asked in auto mode) is the question's persona."""
    if not question.persona:
        return undefined("not applicable: the question names no persona")
    if answer.persona is None:
        return undefined("not applicable: the answer reports no persona")
    if answer.persona == question.persona:
        return MetricResult(1.0, f"inferred {answer.persona}")
    return MetricResult(0.0, f"inferred {answer.persona}, expected {question.persona}")


def abstain_accuracy(question: Question, answer: Answer) -> MetricResult:
    if question.answerable:
        return undefined("not applicable: answerable question")
    return MetricResult(1.0, "abstained") if answer.abstained else MetricResult(0.0, "answered an unanswerable question")


def false_abstention(question: Question, answer: Answer) -> MetricResult:
    if not question.answerable:
        return undefined("not applicable: unanswerable question")
    return MetricResult(1.0, "abstained on an answerable question") if answer.abstained else MetricResult(0.0, "answered")


def retrieved_recall_at5(question: Question, answer: Answer) -> MetricResult:
    carried = {r for passage in answer.retrieved[:5] for r in passage.refs}
    return _gold_found(question, carried, "gold refs in the top 5 passages")


# --- Quote grounding -----------------------------------------------------------------------

def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class GroundingCorpus:
    """The corpus as quotes are checked against it: the review and each ref's digest text
    (digest + key findings), both passed through `normalize` once."""

    review: str
    digests: Mapping[int, str]
    normalize: Callable[[str], str] = field(repr=False)

    @classmethod
    def from_texts(cls, review: str, digests: Mapping[int, str], normalize: Callable[[str], str]) -> GroundingCorpus:
        def norm(text: str) -> str:
            # Tabs and newlines are spaces whatever the normaliser does.
            return collapse_whitespace(normalize(collapse_whitespace(text)))

        return cls(norm(review), {ref: norm(text) for ref, text in digests.items()}, norm)


def quote_grounding(citation: Citation, corpus: GroundingCorpus) -> MetricResult:
    """1.0 when the quote, markers stripped, stands in the review (source review, and always for
    ref 0) or in that ref's digest (source abstract); 0.0 otherwise, with the reason."""
    quote = corpus.normalize(citation.quote)
    if not quote:
        return MetricResult(0.0, f"ref {citation.ref}: empty quote")
    if citation.source == "review" or citation.ref == REVIEW_REF:
        where, text = "the review", corpus.review
    else:
        where, text = f"the digest of ref {citation.ref}", corpus.digests.get(citation.ref)
        if text is None:
            return MetricResult(0.0, f"ref {citation.ref}: no digest to quote from")
    if quote in text:
        return MetricResult(1.0, f"ref {citation.ref}: quote stands in {where}")
    return MetricResult(0.0, f"ref {citation.ref}: quote not in {where}: {quote[:80]!r}")


def quotes_grounded(answer: Answer, corpus: GroundingCorpus) -> MetricResult:
    if not answer.citations:
        return undefined("not applicable: no citations")
    checks = [quote_grounding(c, corpus) for c in answer.citations]
    failures = [c.reason for c in checks if c.value < 1.0]
    result = _share(len(checks) - len(failures), len(checks), "quotes stand in the corpus")
    return MetricResult(result.value, result.reason + (f"; {'; '.join(failures)}" if failures else ""))


# --- Per-question and overall scores ---------------------------------------------------------

PER_QUESTION: dict[str, Callable[[Question, Answer], MetricResult]] = {
    "citation_recall": citation_recall,
    "citation_precision": citation_precision,
    "key_facts": key_facts,
    "abstain_accuracy": abstain_accuracy,
    "false_abstention": false_abstention,
    "retrieved_recall_at5": retrieved_recall_at5,
    "key_facts_first2": key_facts_first2,
    "therapist_fk_grade": therapist_fk_grade,
    "persona_accuracy": persona_accuracy,
}


@dataclass(frozen=True)
class QuestionScore:
    question: Question
    answer: Answer
    latency_ms: float
    metrics: dict[str, MetricResult]
    grounding: tuple[MetricResult, ...]  # one per citation, in order
    missing_facts: tuple[tuple[str, ...], ...]

    @property
    def failures(self) -> list[str]:
        """The answer-level figures this question misses, with their reasons."""
        failed = []
        for key in ANSWER_KEYS:
            result = self.metrics[key]
            if not result.defined:
                continue
            bad = result.value > 0 if key in LOWER_IS_BETTER else result.value < 1.0
            if bad:
                failed.append(f"{key}: {result.reason}")
        return failed


def score_question(question: Question, answer: Answer, corpus: GroundingCorpus, latency_ms: float) -> QuestionScore:
    metrics = {key: metric(question, answer) for key, metric in PER_QUESTION.items()}
    metrics["quotes_grounded"] = quotes_grounded(answer, corpus)
    return QuestionScore(
        question=question,
        answer=answer,
        latency_ms=latency_ms,
        metrics=metrics,
        grounding=tuple(quote_grounding(c, corpus) for c in answer.citations),
        missing_facts=tuple(missing_facts(question, answer)) if question.answerable else (),
    )


def answer_latency_ms(answer: Answer, wall_clock_ms: float) -> float:
    """The assistant's own total when it reports one, else the wall clock around the call."""
    total = answer.timings_ms.get("total")
    return float(total) if total is not None else wall_clock_ms


def mean_of(results: Iterable[MetricResult], name: str, over: str, warn: bool = True) -> MetricResult:
    """Macro average of the defined per-question values; NaN (with a warning unless `warn` is
    false) when none is defined."""
    values = [r.value for r in results if r.defined]
    if not values:
        reason = f"undefined: no {over}"
        if warn:
            warnings.warn(f"{name} is {reason}", UndefinedMetricWarning, stacklevel=2)
        return undefined(reason)
    return MetricResult(sum(values) / len(values), f"mean over {len(values)} {over}")


def grounding_overall(scores: Sequence[QuestionScore]) -> MetricResult:
    """Micro average: the share of all citations whose quote stands in the corpus."""
    checks = [g for s in scores for g in s.grounding]
    if not checks:
        warnings.warn("quotes_grounded is undefined: no citations", UndefinedMetricWarning, stacklevel=2)
        return undefined("undefined: no citations")
    grounded = sum(1 for g in checks if g.value == 1.0)
    return _share(grounded, len(checks), "citations grounded")


def latency_percentile(latencies_ms: Sequence[float], percent: int, warmup: int = 1) -> MetricResult:
    """Percentile (linear interpolation) of the warm latencies: the first `warmup` are dropped."""
    warm = list(latencies_ms)[warmup:]
    if not warm:
        reason = f"undefined: no answers after discarding {warmup} warm-up"
        warnings.warn(f"latency p{percent:g} is {reason}", UndefinedMetricWarning, stacklevel=2)
        return undefined(reason)
    # "inclusive" quantiles interpolate linearly between order statistics (numpy's default).
    value = warm[0] if len(warm) == 1 else statistics.quantiles(warm, n=100, method="inclusive")[round(percent) - 1]
    return MetricResult(float(value), f"p{percent:g} of {len(warm)} warm answers")


# What each averaged figure is averaged over, as its reason and breakdowns say.
AVERAGED_OVER: dict[str, str] = {
    "citation_recall": "answerable questions with gold refs",
    "citation_precision": "answers with citations",
    "key_facts": "answerable questions with must_include facts",
    "abstain_accuracy": "unanswerable questions",
    "false_abstention": "answerable questions",
    "retrieved_recall_at5": "answerable questions with gold refs",
    "key_facts_first2": "answerable questions with must_include facts",
    "therapist_fk_grade": "answered therapist questions",
    "persona_accuracy": "questions with a persona and answers reporting one",
}


def overall(scores: Sequence[QuestionScore]) -> dict[str, MetricResult]:
    """Every FIGURE_KEYS figure over one run, latencies warm (the first answer dropped)."""
    figures = {key: mean_of((s.metrics[key] for s in scores), key, over) for key, over in AVERAGED_OVER.items()}
    figures["quotes_grounded"] = grounding_overall(scores)
    latencies = [s.latency_ms for s in scores]
    figures["latency_p50_ms"] = latency_percentile(latencies, 50)
    figures["latency_p95_ms"] = latency_percentile(latencies, 95)
    return {key: figures[key] for key in FIGURE_KEYS}


def counts(scores: Sequence[QuestionScore]) -> dict[str, int]:
    return {
        "questions": len(scores),
        "answerable": sum(1 for s in scores if s.question.answerable),
        "unanswerable": sum(1 for s in scores if not s.question.answerable),
        "abstained": sum(1 for s in scores if s.answer.abstained),
        "answers_with_citations": sum(1 for s in scores if s.answer.citations),
        "citations": sum(len(s.grounding) for s in scores),
        "citations_grounded": sum(1 for s in scores for g in s.grounding if g.value == 1.0),
        "failing_questions": sum(1 for s in scores if s.failures),
    }


def gate_failures(figures: Mapping[str, MetricResult], gate: Mapping[str, float] = GATE) -> list[str]:
    """One line per gated figure below its threshold; an undefined figure fails too, since the
    set then cannot show the property the gate guards."""
    failed = []
    for key, threshold in gate.items():
        result = figures[key]
        if not result.defined:
            failed.append(f"{key} is undefined ({result.reason}); the gate needs ≥ {threshold}")
        elif result.value < threshold - 1e-9:  # a mean of exact shares may land a hair under
            failed.append(f"{key} = {result.value:.3f} < {threshold} ({result.reason})")
    return failed
