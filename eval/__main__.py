"""`python -m eval`: runs a question set (by default the test part of eval/sets/seed/) through the
assistant and the baseline, prints the table (project beside baseline, then breakdowns by
persona and kind, and ablations when asked) and writes the JSON and Markdown reports."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from eval.metrics import UndefinedMetricWarning, gate_failures
from eval.report import markdown_report, report_json, terminal_table
from eval.question_sets import DEFAULT_SET, QuestionSet, load_question_files, load_set, select_part
from eval.runner import SuiteOptions, run_suite, settings_for_review
from eval.split import PARTS
from common.errors import EvidenceError
from common.settings import PROJECT_ROOT, get_settings

DEFAULT_MARKDOWN = PROJECT_ROOT / "reports" / "eval.md"

app = typer.Typer(add_completion=False, help=__doc__)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise EvidenceError(f"Cannot write {path} ({error.strerror}): choose another path.") from error


def _markdown_beside(out: Path | None) -> Path:
    if out is None:
        return DEFAULT_MARKDOWN
    return out.with_suffix(".md") if out.suffix != ".md" else out.with_suffix(".failures.md")


def _question_set(questions: list[Path] | None, set_name: str | None, review: str | None, part: str | None) -> QuestionSet:
    """--questions files are reported whole unless --part says otherwise; a set under eval/sets/
    reports its frozen test part unless --part says otherwise."""
    if questions:
        if set_name:
            raise EvidenceError("Pass either --questions or --set, not both.")
        return select_part(load_question_files(questions), part or "all")
    return select_part(load_set(set_name or review or DEFAULT_SET), part or "test")


@app.command()
def main(
    questions: Annotated[Optional[list[Path]], typer.Option("--questions", help="A question file (JSONL, DESIGN.md question format), e.g. eval/questions.jsonl; repeat for several. Reported whole unless --part is given.")] = None,
    set_name: Annotated[Optional[str], typer.Option("--set", help=f"Question set: every *.jsonl of eval/sets/NAME/ (default: the --review name, else {DEFAULT_SET}).")] = None,
    part: Annotated[Optional[str], typer.Option("--part", help=f"Which frozen part to report: {', '.join(PARTS)} (default: test for a --set, all for --questions).")] = None,
    review: Annotated[Optional[str], typer.Option("--review", help="Which review's collection to ask (default: the seed review); also the default --set.")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", help="Folder with that review's review.txt and digests.jsonl, which quotes are checked against (default: EVIDENCE_CORPUS_DIR, else corpus/).")] = None,
    ablations: Annotated[bool, typer.Option("--ablations", help="Also run the project once per variant of eval.ablations.ABLATIONS and print each figure's change.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the JSON report here: {project, baseline, per_question}.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the Markdown report of failing questions here (default: beside --out, else reports/eval.md).")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Skip the plain LangChain baseline run.")] = False,
    skip_ingest_timing: Annotated[bool, typer.Option("--skip-ingest-timing", help="Do not time a full index build (saves about a minute).")] = False,
    skip_cold_start: Annotated[bool, typer.Option("--skip-cold-start", help="Do not time a fresh `python -m assistant ask` process.")] = False,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 when a headline figure is below its threshold (eval.metrics.GATE).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars.")] = False,
) -> None:
    """Evaluate the assistant against the baseline on one question set."""
    options = SuiteOptions(baseline=not no_baseline, cold_start=not skip_cold_start,
                           ingest_timing=not skip_ingest_timing, progress=not quiet, ablations=ablations)
    try:
        settings = settings_for_review(get_settings(), review, corpus)
        question_set = _question_set(questions, set_name, review, part)
        with warnings.catch_warnings():
            # Undefined figures are shown as n/a with their reason in the table itself.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            result = run_suite(question_set, settings, options=options)
        if out is not None:
            _write(out, json.dumps(report_json(result), indent=2, ensure_ascii=False) + "\n")
        markdown_path = markdown or _markdown_beside(out)
        _write(markdown_path, markdown_report(result))
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(terminal_table(result))
    typer.echo(f"\nMarkdown report: {markdown_path}" + (f"\nJSON report: {out}" if out is not None else ""))
    if gate and gate_failures(result.project.figures):
        raise typer.Exit(1)


if __name__ == "__main__":
    app(prog_name="python -m eval")
    sys.exit(0)
