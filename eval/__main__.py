"""`python -m eval`: runs the question set through the assistant and the baseline, prints the
table (project beside baseline) and writes the JSON and Markdown reports."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Annotated, Optional

import typer

from eval.metrics import UndefinedMetricWarning, gate_failures
from eval.report import markdown_report, report_json, terminal_table
from eval.runner import DEFAULT_QUESTIONS, SuiteOptions, load_questions, run_suite
from ingest.errors import EvidenceError
from ingest.settings import PROJECT_ROOT, get_settings

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


@app.command()
def main(
    questions: Annotated[Path, typer.Option("--questions", help="Question set (JSONL, DESIGN.md question format).")] = DEFAULT_QUESTIONS,
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
                           ingest_timing=not skip_ingest_timing, progress=not quiet)
    try:
        question_set = load_questions(questions)
        with warnings.catch_warnings():
            # Undefined figures are shown as n/a with their reason in the table itself.
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            result = run_suite(question_set, get_settings(), options=options)
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
