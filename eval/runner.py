"""Runs a question set through the assistant's public batch path and through the baseline,
times the project (warm latency, cold start, ingest, the query-embedding floor) and scores
both with eval.metrics. This is eval's I/O edge: files, models, subprocesses."""
from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.embeddings import Embeddings
from pydantic import BaseModel, ValidationError
from tqdm import tqdm

from assistant.records import Answer
from assistant.service import Assistant, answer_batch
from eval.ablations import ABLATIONS, Override, apply_override, describe
from eval.baseline import open_baseline
from eval.metrics import (
    GroundingCorpus,
    MetricResult,
    Question,
    QuestionScore,
    answer_latency_ms,
    overall,
    score_question,
    undefined,
)
from eval.question_sets import DEFAULT_QUESTIONS, QuestionSet, load_questions  # noqa: F401  (the gate's tests import them here)
from ingest.citations import strip_markers
from common.errors import EvidenceError
from ingest.index import build_index, get_embeddings
from common.settings import PROJECT_ROOT, Settings

EMBEDDING_FLOOR_QUERIES = 20
COLD_START_TIMEOUT_S = 600
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
T = TypeVar("T")


def settings_for_review(settings: Settings, review: str | None, corpus_dir: Path | None = None) -> Settings:
    """`settings` for the review named by `--review` and the folder its sources are in (`--corpus`):
    a review other than the seed needs its own sources, since quotes are checked against them."""
    update: dict[str, Any] = {"review": review, "corpus_dir": corpus_dir}
    update = {name: value for name, value in update.items() if value is not None}
    if not update:
        return settings
    try:
        chosen = type(settings).model_validate({**settings.model_dump(), **update})
    except ValidationError as error:
        first = error.errors()[0]
        raise EvidenceError(f"--{first['loc'][0]} {update.get(str(first['loc'][0]))!r}: {first['msg']}.") from error
    fields = type(settings).model_fields
    if chosen.review != fields["review"].default and chosen.corpus_dir == fields["corpus_dir"].default:
        raise EvidenceError(f"Review '{chosen.review}' is checked against its own sources: pass --corpus DIR, the folder "
                            f"with its review.txt and digests.jsonl (or set EVIDENCE_CORPUS_DIR).")
    return chosen


# --- The corpus as plain text: what quotes are checked against and the baseline indexes -------

@dataclass(frozen=True)
class CorpusTexts:
    review: str
    digests: dict[int, str]  # ref -> digest and key findings, one per line


def read_corpus_texts(settings: Settings) -> CorpusTexts:
    try:
        review = settings.review_path.read_text(encoding="utf-8")
        lines = settings.digests_path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvidenceError(f"Cannot read the corpus ({error}): restore corpus/review.txt and corpus/digests.jsonl.") from error
    digests: dict[int, str] = {}
    for line in lines:
        if line.strip():
            entry = json.loads(line)
            if entry.get("found") and entry.get("digest"):
                digests[int(entry["ref"])] = "\n".join([entry["digest"], *(entry.get("key_findings") or [])])
    return CorpusTexts(review, digests)


def grounding_corpus(texts: CorpusTexts) -> GroundingCorpus:
    return GroundingCorpus.from_texts(texts.review, texts.digests, normalize=strip_markers)


# --- Runs ----------------------------------------------------------------------------------

def _timed(items: Iterable[T]) -> Iterator[tuple[T, float]]:
    """Each item with the wall-clock milliseconds it took to produce (for lazy batch paths)."""
    iterator = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item, (time.perf_counter() - started) * 1000


def score_answers(
    question_set: QuestionSet, answers: Iterable[Answer], corpus: GroundingCorpus, *, desc: str, progress: bool
) -> list[QuestionScore]:
    """Pairs answers with questions in order (their ids must agree) and scores each."""
    scores: list[QuestionScore] = []
    bar = tqdm(total=len(question_set.questions), desc=desc, unit="question", file=sys.stderr, disable=not progress)
    with bar:
        for question, (answer, wall_ms) in zip(question_set.questions, _timed(answers)):
            if answer.id is not None and answer.id != question.id:
                raise EvidenceError(f"The {desc} answered '{answer.id}' where '{question.id}' was expected: answers must keep the input order.")
            scores.append(score_question(question, answer, corpus, answer_latency_ms(answer, wall_ms)))
            bar.update()
    if len(scores) != len(question_set.questions):
        raise EvidenceError(f"The {desc} gave {len(scores)} answers for {len(question_set.questions)} questions.")
    return scores


def auto_persona_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows without their `persona`, so the assistant infers one: persona_accuracy scores that guess."""
    return [{key: value for key, value in row.items() if key != "persona"} for row in rows]


def run_project(assistant: Assistant, question_set: QuestionSet, corpus: GroundingCorpus, progress: bool,
                desc: str = "project") -> list[QuestionScore]:
    answers = answer_batch(assistant, auto_persona_rows(question_set.rows))
    return score_answers(question_set, answers, corpus, desc=desc, progress=progress)


@dataclass(frozen=True)
class BaselineRun:
    scores: list[QuestionScore]
    build_seconds: float
    chunk_count: int


def run_baseline(texts: CorpusTexts, embeddings: Embeddings, question_set: QuestionSet, corpus: GroundingCorpus, progress: bool) -> BaselineRun:
    with open_baseline(texts.review, texts.digests, embeddings) as baseline:
        answers = (baseline.answer(q) for q in question_set.questions)
        scores = score_answers(question_set, answers, corpus, desc="baseline", progress=progress)
        return BaselineRun(scores, baseline.build_seconds, baseline.chunk_count)


# --- Timings -------------------------------------------------------------------------------

def query_embedding_floor(embeddings: Embeddings, questions: Sequence[Question]) -> MetricResult:
    """Median milliseconds to embed one query: no answer can be faster than this."""
    texts = [questions[i % len(questions)].question for i in range(EMBEDDING_FLOOR_QUERIES)]
    embeddings.embed_documents(texts[:1])  # the first call pays one-off costs
    times = []
    for text in texts:
        started = time.perf_counter()
        embeddings.embed_documents([text])  # the model's own time: queries are remembered, documents never
        times.append((time.perf_counter() - started) * 1000)
    return MetricResult(statistics.median(times), f"median of embedding {len(times)} queries")


def forget_queries(settings: Settings) -> None:
    """Each timed run pays for its own query embeddings: the shared embedder remembers recent
    queries, which would make the second run over the same questions look free."""
    forget = getattr(get_embeddings(settings), "forget", None)
    if forget is not None:
        forget()


def settings_env(settings: Settings) -> dict[str, str]:
    """EVIDENCE_* variables that rebuild `settings` in a child process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if isinstance(getattr(settings, name), BaseModel):
            for inner, inner_value in value.items():
                env[f"EVIDENCE_{name.upper()}__{inner.upper()}"] = str(inner_value)
        elif value is not None:
            env[f"EVIDENCE_{name.upper()}"] = str(value)
    return env


def child_env(settings: Settings) -> dict[str, str]:
    # The child must see these settings, not whatever EVIDENCE_* the shell had.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")}
    return {**inherited, **OFFLINE_ENV, **settings_env(settings)}


def cold_start(settings: Settings, question: str) -> MetricResult:
    """Milliseconds from starting `python -m assistant ask QUESTION --json` to its exit."""
    command = [sys.executable, "-m", "assistant", "ask", question, "--json"]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=child_env(settings), capture_output=True,
                              text=True, timeout=COLD_START_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        return undefined(f"`python -m assistant ask` did not finish: {error}")
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return undefined(f"`python -m assistant ask` exited {done.returncode}: {last}")
    try:
        Answer.model_validate_json(done.stdout)
    except ValueError as error:
        return undefined(f"`python -m assistant ask --json` printed no answer object: {str(error).splitlines()[0]}")
    return MetricResult(elapsed, "fresh `python -m assistant ask --json` process, start to exit")


def ingest_seconds(settings: Settings) -> MetricResult:
    """Seconds of `build_index` into a temporary directory (the embedding model already loaded)."""
    with tempfile.TemporaryDirectory(prefix="eval-ingest-") as scratch:
        scratch_settings = settings.model_copy(update={"chroma_dir": Path(scratch), "chroma_host": None})
        started = time.perf_counter()
        build_index(scratch_settings, rebuild=True, progress=False)
        return MetricResult(time.perf_counter() - started, "build_index into a temporary directory, model loaded")


# --- Optional LLM-judged figures ------------------------------------------------------------

@dataclass(frozen=True)
class LLMJudged:
    status: str  # "computed" or "skipped (why)"
    project: dict[str, MetricResult] = field(default_factory=dict)
    baseline: dict[str, MetricResult] = field(default_factory=dict)


def llm_judged(settings: Settings, project: Sequence[QuestionScore], baseline: Sequence[QuestionScore]) -> LLMJudged:
    """RAGAS faithfulness and answer relevancy through the configured endpoint, when there is one."""
    if not (settings.llm and settings.llm_base_url):
        return LLMJudged("skipped (no EVIDENCE_LLM endpoint configured)")
    try:
        import ragas  # noqa: F401  (optional: the `llm` extra)
    except ImportError:
        return LLMJudged("skipped (ragas not installed)")
    try:
        judge = _ragas_judge(settings)
        return LLMJudged("computed", judge(project), judge(baseline) if baseline else {})
    except Exception as error:  # an unreachable or misbehaving endpoint must not sink the run
        return LLMJudged(f"skipped (RAGAS failed: {type(error).__name__}: {error})")


def _ragas_judge(settings: Settings):
    from langchain_openai import ChatOpenAI
    from ragas import EvaluationDataset, SingleTurnSample, evaluate
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper
    from ragas.metrics import Faithfulness, ResponseRelevancy

    llm = LangchainLLMWrapper(ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model or "default", temperature=0))
    embeddings = LangchainEmbeddingsWrapper(get_embeddings(settings))

    def judge(scores: Sequence[QuestionScore]) -> dict[str, MetricResult]:
        # The contexts are the quotes the answer says it rests on; abstentions have none to judge.
        samples = [
            SingleTurnSample(user_input=s.question.question, response=s.answer.answer,
                             retrieved_contexts=[c.quote for c in s.answer.citations])
            for s in scores if s.answer.citations
        ]
        if not samples:
            return {"faithfulness": undefined("no cited answers"), "answer_relevancy": undefined("no cited answers")}
        result = evaluate(EvaluationDataset(samples=samples), metrics=[Faithfulness(llm=llm), ResponseRelevancy(llm=llm, embeddings=embeddings)],
                          show_progress=False)
        figures = {}
        for name in ("faithfulness", "answer_relevancy"):
            values = [row[name] for row in result.scores if row.get(name) is not None and not math.isnan(row[name])]
            figures[name] = MetricResult(statistics.fmean(values), f"RAGAS mean over {len(values)} answers") if values else undefined("RAGAS gave no value")
        return figures

    return judge


# --- The whole suite -----------------------------------------------------------------------

# --- Ablations ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AblationRun:
    name: str
    override: str  # as one would set it: "retrieval.per_study_cap=100"
    scores: list[QuestionScore]
    figures: dict[str, MetricResult]


def run_ablation(name: str, override: Override, settings: Settings, question_set: QuestionSet,
                 corpus: GroundingCorpus, progress: bool) -> AblationRun:
    """The project once more with one override: its own Assistant, no baseline, no timings beyond latency."""
    assistant = Assistant(apply_override(settings, override))
    forget_queries(settings)
    scores = run_project(assistant, question_set, corpus, progress, desc=name)
    return AblationRun(name, describe(override), scores, overall(scores))


@dataclass(frozen=True)
class SuiteOptions:
    baseline: bool = True
    cold_start: bool = True
    ingest_timing: bool = True
    progress: bool = True
    ablations: bool = False


@dataclass(frozen=True)
class RunResult:
    scores: list[QuestionScore]
    figures: dict[str, MetricResult]  # REPORT_KEYS
    timings: dict[str, MetricResult]  # cold_start_ms, ingest_seconds, query_embedding_ms


@dataclass(frozen=True)
class SuiteResult:
    questions: tuple[Question, ...]
    project: RunResult
    baseline: RunResult | None
    llm: LLMJudged
    title: str = ""  # which set and part, and how many questions
    ablations: tuple[AblationRun, ...] = ()


def not_applicable(reason: str) -> MetricResult:
    return undefined(f"not applicable: {reason}")


def run_suite(
    question_set: QuestionSet,
    settings: Settings,
    assistant: Assistant | None = None,
    options: SuiteOptions = SuiteOptions(),
) -> SuiteResult:
    """Answers every question with the assistant (loaded here unless given) and the baseline,
    and scores and times both in this one process; then each ablation when asked for."""
    texts = read_corpus_texts(settings)
    corpus = grounding_corpus(texts)
    if assistant is None:
        assistant = Assistant.load(settings)
    project_scores = run_project(assistant, question_set, corpus, options.progress)
    embeddings = get_embeddings(settings)
    floor = query_embedding_floor(embeddings, question_set.questions)
    first_question = question_set.questions[0].question
    project_timings = {
        "cold_start_ms": cold_start(settings, first_question) if options.cold_start else undefined("skipped (--skip-cold-start)"),
        "ingest_seconds": ingest_seconds(settings) if options.ingest_timing else undefined("skipped (--skip-ingest-timing)"),
        "query_embedding_ms": floor,
    }
    project = RunResult(project_scores, overall(project_scores), project_timings)
    baseline = None
    if options.baseline:
        forget_queries(settings)
        run = run_baseline(texts, embeddings, question_set, corpus, options.progress)
        baseline_timings = {
            "cold_start_ms": not_applicable("the baseline has no CLI"),
            "ingest_seconds": MetricResult(run.build_seconds, f"split, embed and store {run.chunk_count} chunks, model loaded"),
            "query_embedding_ms": floor,
        }
        baseline = RunResult(run.scores, overall(run.scores), baseline_timings)
    llm = llm_judged(settings, project_scores, baseline.scores if baseline else [])
    ablations = tuple(run_ablation(name, override, settings, question_set, corpus, options.progress)
                      for name, override in ABLATIONS) if options.ablations else ()
    return SuiteResult(question_set.questions, project, baseline, llm, question_set.title, ablations)
