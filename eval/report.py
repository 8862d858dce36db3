"""Turns a suite result into its three outputs: the JSON report of DESIGN.md, the terminal
table (project beside baseline) and the Markdown report of failing questions. Pure
formatting: records in, text or dicts out."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eval.breakdown import BREAKDOWN_KEYS, FACETS, Group, breakdown
from eval.metrics import EXTRA_KEYS, GATE, LOWER_IS_BETTER, REPORT_KEYS, TARGETS, MetricResult, QuestionScore, counts, gate_failures
from eval.runner import AblationRun, RunResult, SuiteResult

TIMING_KEYS = ("cold_start_ms", "ingest_seconds", "query_embedding_ms")
LLM_KEYS = ("faithfulness", "answer_relevancy")
# The table's order: each new figure beside the one it refines.
TABLE_KEYS = (
    "citation_recall", "citation_precision", "key_facts", "key_facts_first2", "abstain_accuracy", "false_abstention",
    "quotes_grounded", "retrieved_recall_at5", "persona_accuracy", "therapist_fk_grade", "latency_p50_ms", "latency_p95_ms",
)
ABLATION_KEYS = tuple(k for k in TABLE_KEYS if k != "latency_p95_ms")


def _number(result: MetricResult | None) -> float | None:
    # JSON has no NaN: an undefined figure is null, its reason stands beside it.
    return None if result is None or not result.defined else result.value


def _groups_json(groups: Mapping[str, Group]) -> dict[str, dict[str, Any]]:
    return {name: {"n": group.n, **{key: _number(group.figures[key]) for key in BREAKDOWN_KEYS}} for name, group in groups.items()}


def _ablation_json(ablation: AblationRun, full: Mapping[str, MetricResult]) -> dict[str, Any]:
    return {
        "name": ablation.name, "override": ablation.override,
        "figures": {key: _number(ablation.figures.get(key)) for key in (*REPORT_KEYS, *EXTRA_KEYS)},
        "delta": {key: _number(_delta(ablation.figures.get(key), full.get(key))) for key in (*REPORT_KEYS, *EXTRA_KEYS)},
    }


def _run_json(run: RunResult | None, llm: Mapping[str, MetricResult], status: str, n_questions: int) -> dict[str, Any]:
    if run is None:
        return {key: None for key in (*REPORT_KEYS, *EXTRA_KEYS, *TIMING_KEYS)} | {
            "n_questions": n_questions, "reasons": {key: "skipped (--no-baseline)" for key in (*REPORT_KEYS, *EXTRA_KEYS)},
        }
    figures = {**run.figures, **run.timings}
    return {
        **{key: _number(figures[key]) for key in REPORT_KEYS},
        **{key: _number(figures.get(key)) for key in EXTRA_KEYS},
        **{key: _number(figures[key]) for key in TIMING_KEYS},
        "n_questions": len(run.scores),
        "counts": counts(run.scores),
        **{f"by_{facet}": _groups_json(breakdown(run.scores, facet)) for facet in FACETS},
        "llm_judged": {"status": status, **{key: _number(llm.get(key)) for key in LLM_KEYS}},
        "reasons": {key: result.reason for key, result in figures.items()},
    }


def _answer_json(score: QuestionScore, with_text: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "cited_refs": sorted({c.ref for c in score.answer.citations}),
        "abstained": score.answer.abstained,
        "missing_facts": [list(fact) for fact in score.missing_facts],
        "ungrounded": [g.reason for g in score.grounding if g.value < 1.0],
        "retrieved_refs_top5": sorted({r for p in score.answer.retrieved[:5] for r in p.refs}),
        "latency_ms": score.latency_ms,
        "metrics": {key: _number(result) for key, result in score.metrics.items()},
        "reasons": {key: result.reason for key, result in score.metrics.items()},
        "failures": score.failures,
    }
    if with_text:
        entry["answer"] = score.answer.answer
    return entry


def report_json(result: SuiteResult) -> dict[str, Any]:
    """{"project": {...}, "baseline": {...}, "per_question": [...]} as DESIGN.md specifies."""
    n = len(result.questions)
    baseline_by_id = {s.question.id: s for s in result.baseline.scores} if result.baseline else {}
    per_question = []
    for score in result.project.scores:
        q = score.question
        per_question.append({
            "id": q.id, "kind": q.kind, "persona": q.persona, "question": q.question, "history": list(q.history),
            "answerable": q.answerable, "gold_refs": list(q.gold_refs), "acceptable_refs": list(q.acceptable_refs),
            "must_include": [list(f) for f in q.must_include],
            "project": _answer_json(score, with_text=True),
            "baseline": _answer_json(baseline_by_id[q.id], with_text=False) if q.id in baseline_by_id else None,
        })
    project = _run_json(result.project, result.llm.project, result.llm.status, n)
    project["question_set"] = result.title
    if result.ablations:
        project["ablations"] = [_ablation_json(a, result.project.figures) for a in result.ablations]
    return {
        "project": project,
        "baseline": _run_json(result.baseline, result.llm.baseline, result.llm.status, n),
        "per_question": per_question,
    }


def format_figure(key: str, result: MetricResult | None) -> str:
    if result is None or not result.defined:
        return "n/a"
    if key.endswith("_ms"):
        return f"{result.value:,.1f} ms"
    if key.endswith("_seconds"):
        return f"{result.value:,.1f} s"
    if key.endswith("_grade"):
        return f"{result.value:.1f}"
    return f"{result.value:.3f}"


def _delta(value: MetricResult | None, full: MetricResult | None) -> MetricResult | None:
    if value is None or full is None or not (value.defined and full.defined):
        return None
    return MetricResult(value.value - full.value, "variant minus full system")


def format_delta(key: str, delta: MetricResult | None) -> str:
    if delta is None:
        return "n/a"
    shown = format_figure(key, MetricResult(abs(delta.value), delta.reason))
    zero = format_figure(key, MetricResult(0.0, ""))
    return "±" + zero if shown == zero else ("+" if delta.value > 0 else "-") + shown


def _gate_cell(key: str, result: MetricResult) -> str:
    if key in TARGETS:  # shown, not gated
        met = result.defined and result.value <= TARGETS[key]
        return f"target <= {TARGETS[key]:g} {'met' if met else 'missed'}"
    if key not in GATE:
        return ""
    verdict = "ok" if not gate_failures({key: result}, {key: GATE[key]}) else "FAIL"
    return f">= {GATE[key]:g} {verdict}"


def _name(key: str) -> str:
    return f"{key} (lower is better)" if key in LOWER_IS_BETTER else key


def summary_rows(result: SuiteResult) -> list[tuple[str, str, str, str]]:
    """(figure, project, baseline, gate) for every headline and timing figure."""
    project = {**result.project.figures, **result.project.timings}
    baseline = {**result.baseline.figures, **result.baseline.timings} if result.baseline else {}
    rows = []
    for key in (*TABLE_KEYS, *TIMING_KEYS):
        if key not in project:  # a hand-made result may carry DESIGN.md's figures only
            continue
        rows.append((_name(key), format_figure(key, project[key]), format_figure(key, baseline.get(key)), _gate_cell(key, project[key])))
    for key in LLM_KEYS:
        if key in result.llm.project:
            rows.append((key, format_figure(key, result.llm.project[key]), format_figure(key, result.llm.baseline.get(key)), ""))
    return rows


def _notes(result: SuiteResult) -> list[str]:
    """Why each n/a is n/a, so an undefined figure is never mistaken for a zero."""
    notes = []
    for label, run in (("project", result.project), ("baseline", result.baseline)):
        if run is None:
            continue
        for key, figure in {**run.figures, **run.timings}.items():
            if not figure.defined:
                notes.append(f"{label} {key}: {figure.reason}")
    return notes


def _llm_line(result: SuiteResult) -> str:
    return "LLM-judged figures: " + ("computed (RAGAS)" if result.llm.status == "computed" else result.llm.status)


def _count_line(result: SuiteResult) -> str:
    c = counts(result.project.scores)
    return (f"{c['questions']} questions ({c['answerable']} answerable, {c['unanswerable']} unanswerable); "
            f"{c['citations']} citations; {c['failing_questions']} failing")


def _title(result: SuiteResult) -> str:
    return f"Question set: {result.title}" if result.title else f"Question set: {len(result.questions)} questions"


def breakdown_rows(scores: Sequence[QuestionScore]) -> list[tuple[str, ...]]:
    """(group, n, BREAKDOWN_KEYS...) for each persona, then each kind."""
    rows = []
    for facet in FACETS:
        for name, group in breakdown(scores, facet).items():
            rows.append((f"{facet}: {name}", str(group.n), *(format_figure(k, group.figures[k]) for k in BREAKDOWN_KEYS)))
    return rows


def _with_delta(key: str, value: MetricResult | None, full: MetricResult) -> str:
    delta = _delta(value, full)
    shown = format_figure(key, value)
    return shown if delta is None else f"{shown} ({format_delta(key, delta)})"


def ablation_rows(result: SuiteResult) -> list[tuple[str, ...]]:
    """(figure, full system, each variant as "value (delta)") for ABLATION_KEYS."""
    full = result.project.figures
    rows = []
    for key in ABLATION_KEYS:
        if key not in full:
            continue
        cells = [_with_delta(key, a.figures.get(key), full[key]) for a in result.ablations]
        rows.append((_name(key), format_figure(key, full[key]), *cells))
    return rows


def _variant_letter(index: int) -> str:
    return chr(ord("A") + index)


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Text columns: the first left-aligned, the others right-aligned; a rule under the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return lines


def terminal_table(result: SuiteResult) -> str:
    header = ("figure", "project", "baseline" if result.baseline else "baseline (skipped)", "gate")
    rows = [header, *summary_rows(result)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(0, _title(result))
    failed = gate_failures(result.project.figures)
    lines += ["", _llm_line(result), _count_line(result)]
    lines += [f"  n/a: {note}" for note in _notes(result)]
    lines.append("Gate: passed" if not failed else "Gate: FAILED: " + "; ".join(failed))
    lines += ["", "Project by persona and by kind (n/a: no question of the group counts for that figure):"]
    lines += _aligned([("group", "n", *BREAKDOWN_KEYS), *breakdown_rows(result.project.scores)])
    if result.ablations:
        letters = [_variant_letter(i) for i in range(len(result.ablations))]
        lines += ["", "Ablations (value and change from the full system; each variant answers the same questions):"]
        lines += _aligned([("figure", "full", *letters), *ablation_rows(result)])
        lines += [f"  {letter}: {a.name} ({a.override})" for letter, a in zip(letters, result.ablations)]
    return "\n".join(lines)


def _refs(refs: Sequence[int]) -> str:
    return "[" + ", ".join(str(r) for r in refs) + "]" if refs else "none"


def _facts(facts: Sequence[Sequence[str]]) -> str:
    return "; ".join(" or ".join(f'"{alt}"' for alt in fact) for fact in facts) or "none"


def _expected(score: QuestionScore) -> str:
    q = score.question
    if not q.answerable:
        return "abstain (the corpus does not answer this)"
    gold = sorted(q.gold_studies)
    cite = f"answer citing {_refs(gold)}" if gold else "answer from the review itself (no study ref required)"
    extra = f" (acceptable also {_refs(sorted(q.acceptable_refs))})" if q.acceptable_refs else ""
    return f"{cite}{extra}; facts: {_facts(q.must_include)}"


def _got(score: QuestionScore) -> str:
    cited = sorted({c.ref for c in score.answer.citations})
    parts = [f"cited {_refs(cited)}", f"abstained: {'yes' if score.answer.abstained else 'no'}"]
    if score.missing_facts:
        parts.append(f"missing facts: {_facts(score.missing_facts)}")
    return "; ".join(parts)


def _question_section(score: QuestionScore, baseline: QuestionScore | None) -> list[str]:
    q = score.question
    tags = ", ".join(t for t in (q.persona, q.kind) if t)
    lines = [f"### {q.id}" + (f" ({tags})" if tags else ""), "", f"**Question:** {q.question}"]
    if q.history:
        lines.append(f"**Earlier questions:** {' / '.join(q.history)}")
    lines += ["", f"- Expected: {_expected(score)}", f"- Got: {_got(score)}"]
    lines += [f"- Failed: {failure}" for failure in score.failures]
    top5 = sorted({r for p in score.answer.retrieved[:5] for r in p.refs})
    lines.append(f"- Top-5 retrieved refs: {_refs(top5)}")
    if baseline is not None:
        lines.append(f"- Baseline: {_got(baseline)}")
    if q.note:
        lines.append(f"- Note: {q.note}")
    answer = score.answer.answer.strip().replace("\n", "\n> ")
    lines += ["", "> " + answer, ""]
    return lines


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(result: SuiteResult) -> str:
    """The summary table, then each failing question: what was expected and what came back."""
    lines = ["# Evaluation report", "", _title(result) + ".", "", "| figure | project | baseline | gate |", "| --- | ---: | ---: | --- |"]
    lines += [f"| {name} | {project} | {baseline} | {gate} |" for name, project, baseline, gate in summary_rows(result)]
    lines += ["", _llm_line(result) + ".", "", _count_line(result) + "."]
    notes = _notes(result)
    if notes:
        lines += ["", "Figures shown as n/a:", *[f"- {note}" for note in notes]]
    failed = gate_failures(result.project.figures)
    lines += ["", "**Gate: passed.**" if not failed else "**Gate: failed.** " + "; ".join(failed), ""]
    lines += ["## By persona and by kind", "", _markdown_table(("group", "n", *BREAKDOWN_KEYS), breakdown_rows(result.project.scores)), ""]
    if result.ablations:
        lines += ["## Ablations", "", "Each variant is the full system with one settings override; in brackets, the change from the full system.", ""]
        header = ("figure", "full system", *(f"{a.name} (`{a.override}`)" for a in result.ablations))
        lines += [_markdown_table(header, ablation_rows(result)), ""]
    failing = [s for s in result.project.scores if s.failures]
    baseline_by_id = {s.question.id: s for s in result.baseline.scores} if result.baseline else {}
    lines += [f"## Failing questions ({len(failing)} of {len(result.project.scores)})", ""]
    if not failing:
        lines += ["None.", ""]
    for score in failing:
        lines += _question_section(score, baseline_by_id.get(score.question.id))
    return "\n".join(lines)
