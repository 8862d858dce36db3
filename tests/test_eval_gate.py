"""The evaluation suite as a gate: eval/questions.jsonl through the real assistant must meet
every threshold of eval.metrics.GATE. Fast tests first: the set is well formed, the reports
keep the DESIGN.md shape, a child process sees the same settings."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from assistant.records import Answer, Citation, RetrievedPassage
from eval.metrics import GATE, REPORT_KEYS, GroundingCorpus, MetricResult, Question, gate_failures, overall, score_question
from eval.report import markdown_report, report_json, terminal_table
from eval.runner import (
    DEFAULT_QUESTIONS,
    LLMJudged,
    RunResult,
    SuiteOptions,
    SuiteResult,
    llm_judged,
    load_questions,
    run_suite,
    settings_env,
)
from common.errors import EvidenceError
from common.settings import PROJECT_ROOT, Settings

TIMING_KEYS = {"cold_start_ms", "ingest_seconds", "query_embedding_ms"}


# --- The question set ------------------------------------------------------------------------

def test_the_question_set_is_well_formed_and_can_exercise_every_gated_figure():
    questions = load_questions(DEFAULT_QUESTIONS).questions
    assert all(0 <= ref <= 68 for q in questions for ref in (*q.gold_refs, *q.acceptable_refs))
    assert any(not q.answerable for q in questions), "abstain_accuracy needs unanswerable questions"
    assert any(q.gold_studies for q in questions), "citation recall needs gold refs"
    assert any(q.must_include for q in questions if q.answerable), "key facts need must_include"
    assert all(all(fact) for q in questions for fact in q.must_include), "a fact needs at least one spelling"


def test_a_malformed_question_line_names_its_file_and_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "answerable": true}\n\n{"id": "b", "answerable": true}\n')
    with pytest.raises(EvidenceError, match=r"set.jsonl:3: not a question line"):
        load_questions(path)
    path.write_text('{"id": "a", "question": "Q?", "answerable": true}\n' * 2)
    with pytest.raises(EvidenceError, match="duplicate question ids"):
        load_questions(path)
    with pytest.raises(EvidenceError, match="No question set"):
        load_questions(tmp_path / "missing.jsonl")


def test_a_child_process_rebuilds_the_same_settings(tmp_path, monkeypatch):
    settings = Settings(chroma_dir=tmp_path / "idx", llm="openai", retrieval={"top_k": 5})
    for name in [k for k in os.environ if k.startswith("EVIDENCE_")]:
        monkeypatch.delenv(name)
    for name, value in settings_env(settings).items():
        monkeypatch.setenv(name, value)
    assert Settings() == settings


def test_llm_judged_figures_say_why_they_were_skipped(monkeypatch):
    assert llm_judged(Settings(), [], []).status == "skipped (no EVIDENCE_LLM endpoint configured)"
    monkeypatch.setitem(sys.modules, "ragas", None)  # as if the `llm` extra were not installed
    endpoint = Settings(llm="openai", llm_base_url="http://127.0.0.1:9/v1")
    assert llm_judged(endpoint, [], []).status == "skipped (ragas not installed)"


# --- The reports -----------------------------------------------------------------------------

def _hand_made_result(with_baseline: bool) -> SuiteResult:
    corpus = GroundingCorpus.from_texts("Burnout fell in the trial.", {}, normalize=lambda text: text)
    burnout = Question(id="d1", question="Did burnout fall?", answerable=True, gold_refs=(22,), must_include=(("burnout",), ("0.44",)),
                       persona="therapist", kind="fact")
    outside = Question(id="d2", question="Does it cure diabetes?", answerable=False, kind="abstain")
    cited = Answer(id="d1", question=burnout.question, answer="Burnout fell [22].",
                   citations=[Citation(ref=22, label="Eriksson et al. (2018)", quote="Burnout fell in the trial.")],
                   retrieved=[RetrievedPassage(chunk_id="p1", source="review", section="Results", refs=[22], score=0.8)],
                   timings_ms={"total": 12.0})
    abstained = Answer(id="d2", question=outside.question, answer="The review does not cover this.", abstained=True, timings_ms={"total": 8.0})
    scores = [score_question(burnout, cited, corpus, 12.0), score_question(outside, abstained, corpus, 8.0)]
    figures = overall(scores)  # d1 is the warm-up, so the latencies are d2's alone
    timings = {"cold_start_ms": MetricResult(math.nan, "`python -m assistant ask` exited 1: boom"),
               "ingest_seconds": MetricResult(30.0, "timed"), "query_embedding_ms": MetricResult(5.0, "median")}
    run = RunResult(scores, figures, timings)
    return SuiteResult((burnout, outside), run, run if with_baseline else None, LLMJudged("skipped (no EVIDENCE_LLM endpoint configured)"))


def test_the_json_report_keeps_the_design_shape_and_nulls_undefined_figures():
    report = json.loads(json.dumps(report_json(_hand_made_result(with_baseline=False)), allow_nan=False))
    assert set(report) == {"project", "baseline", "per_question"}
    assert set(REPORT_KEYS) | TIMING_KEYS <= set(report["project"])
    assert report["project"]["key_facts"] == 0.0 and report["project"]["abstain_accuracy"] == 1.0
    assert report["project"]["cold_start_ms"] is None
    assert "exited 1" in report["project"]["reasons"]["cold_start_ms"]
    assert report["project"]["n_questions"] == 2
    assert all(report["baseline"][key] is None for key in REPORT_KEYS)
    first = report["per_question"][0]
    assert first["id"] == "d1" and first["project"]["cited_refs"] == [22]
    assert first["project"]["missing_facts"] == [["0.44"]] and first["baseline"] is None


def test_the_table_and_markdown_show_project_beside_baseline_and_each_failing_question():
    result = _hand_made_result(with_baseline=True)
    table = terminal_table(result)
    assert "LLM-judged figures: skipped (no EVIDENCE_LLM endpoint configured)" in table
    assert "key_facts" in table and "Gate: FAILED" in table
    markdown = markdown_report(result)
    assert "### d1 (therapist, fact)" in markdown and "### d2" not in markdown
    assert 'missing facts: "0.44"' in markdown and "cited [22]" in markdown and "abstained: no" in markdown


# --- The gate --------------------------------------------------------------------------------

@pytest.mark.gate
@pytest.mark.slow
def test_the_assistant_meets_every_gated_figure(index_settings, assistant):
    questions = load_questions(DEFAULT_QUESTIONS)
    options = SuiteOptions(baseline=False, cold_start=False, ingest_timing=False, progress=False)
    result = run_suite(questions, index_settings, assistant, options)
    failed = gate_failures(result.project.figures, GATE)
    failing = [f"{s.question.id}: {'; '.join(s.failures)}" for s in result.project.scores if s.failures]
    assert not failed, "\n".join(["Gate failed:", *failed, "Failing questions:", *failing])


@pytest.mark.slow
def test_python_m_eval_writes_both_reports_with_the_baseline_beside(index_settings, tmp_path):
    rows = [json.loads(line) for line in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = [next(r for r in rows if r["answerable"]), next(r for r in rows if not r["answerable"]), rows[-1]]
    questions = tmp_path / "sample.jsonl"
    questions.write_text("".join(json.dumps(r) + "\n" for r in sample), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVIDENCE_")} | settings_env(index_settings)
    out = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "eval", "--questions", str(questions), "--out", str(out), "--skip-ingest-timing", "--quiet"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "citation_recall" in done.stdout and "LLM-judged figures: skipped" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"project", "baseline", "per_question"}
    assert len(report["per_question"]) == 3
    assert report["baseline"]["citation_recall"] is not None and report["baseline"]["abstain_accuracy"] == 0.0
    assert report["project"]["cold_start_ms"] is not None, report["project"]["reasons"]["cold_start_ms"]
    assert report["project"]["ingest_seconds"] is None and report["baseline"]["cold_start_ms"] is None
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("# Evaluation report")
