"""`python -m assistant ask "QUESTION" [--history Q ...] [--json]` and
`python -m assistant batch IN.jsonl [--out OUT.jsonl]`."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from common.errors import EvidenceError

app = typer.Typer(add_completion=False, help="Ask the evidence assistant; answers come from the review and its sources.")


def _format_text(answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources:"]
        for citation in answer.citations:
            doi = f" https://doi.org/{citation.doi}" if citation.doi else ""
            lines.append(f"[{citation.ref}] {citation.label}{doi}\n    “{citation.quote}”")
    return "\n".join(lines)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in your own words.")],
    history: Annotated[Optional[list[str]], typer.Option("--history", help="An earlier question of the same chat (repeat, oldest first).")] = None,
    persona: Annotated[str, typer.Option("--persona", help="therapist, educator, researcher or auto (inferred from the wording).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
    review: Annotated[Optional[str], typer.Option("--review", help="Which ingested review to ask (default: the only one, else seed).")] = None,
) -> None:
    """Answer one question."""
    from assistant.records import check_persona
    from assistant.service import get_assistant

    try:
        check_persona(persona)
        answer = get_assistant(_settings(review)).ask(question, history or [], persona)
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2) if as_json else _format_text(answer))


@app.command()
def batch(
    input_path: Annotated[Path, typer.Argument(help="JSON lines: {id, question, history}.", exists=True, dir_okay=False)],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write answers here instead of standard output.")] = None,
    review: Annotated[Optional[str], typer.Option("--review", help="Which ingested review to ask (default: the only one, else seed).")] = None,
) -> None:
    """Answer every line of a JSONL file, loading the models once."""
    from tqdm import tqdm

    from assistant.service import answer_batch, get_assistant

    try:
        rows = [json.loads(line) for line in input_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        typer.echo(f"error: {input_path} is not valid JSON lines ({error}); one object per line is expected.", err=True)
        raise typer.Exit(1)
    try:
        assistant = get_assistant(_settings(review))
        sink = out.open("w", encoding="utf-8") if out else sys.stdout
        with sink if out else _nullcontext(sink):
            for answer in tqdm(answer_batch(assistant, rows), total=len(rows), desc="Answering", file=sys.stderr, disable=out is None):
                sink.write(json.dumps(answer.model_dump(), ensure_ascii=False) + "\n")
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)


@app.command()
def studies(
    as_json: Annotated[bool, typer.Option("--json", help="Print the study records as JSON.")] = False,
    review: Annotated[Optional[str], typer.Option("--review", help="Which ingested review (default: the only one, else seed).")] = None,
) -> None:
    """Print the evidence model's study records: what the assistant believes about each study."""
    from dataclasses import asdict

    from assistant.service import get_assistant

    try:
        model = get_assistant(_settings(review)).model
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    if model is None:
        typer.echo("error: this index has no evidence model: run `python -m ingest --rebuild`.", err=True)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps([asdict(s) for s in model.studies], ensure_ascii=False, indent=2))
        return
    typer.echo(f"{model.review.label}: {model.review.title}\n")
    for study in model.studies:
        instruments = ", ".join(i.abbreviation for i in study.instruments) or "-"
        where = ", ".join(study.tables) or "abstract only"
        conflict = "  (sources disagree)" if study.n_conflict else ""
        typer.echo(f"[{study.ref}] {study.label} | {study.design or 'design not stated'} ({study.design_source or '-'}) | "
                   f"{study.n_statement() or 'N not stated'}{conflict} | {instruments} | {where}")


def _settings(review: str | None):
    """The settings with the review chosen: the one named, else the only one ingested, else the default."""
    from common.settings import get_settings
    from ingest.index import list_reviews

    settings = get_settings()
    if review is None:
        try:
            reviews = [name for name, _, _ in list_reviews(settings)] if (settings.chroma_host or settings.chroma_dir.exists()) else []
        except Exception:
            reviews = []
        if len(reviews) == 1:
            review = reviews[0]
    if review is None or review == settings.review:
        return settings
    try:
        return settings.model_copy(update={"review": review})
    except Exception as error:
        raise EvidenceError(f"Bad review name {review!r}: use lower-case letters, digits and hyphens.") from error


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    app(prog_name="python -m assistant")
