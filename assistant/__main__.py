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
    persona: Annotated[str, typer.Option("--persona", help="therapist, educator, researcher or auto.")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
) -> None:
    """Answer one question."""
    from assistant.service import get_assistant

    try:
        answer = get_assistant().ask(question, history or [], persona)
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2) if as_json else _format_text(answer))


@app.command()
def batch(
    input_path: Annotated[Path, typer.Argument(help="JSON lines: {id, question, history}.", exists=True, dir_okay=False)],
    out: Annotated[Optional[Path], typer.Option("--out", help="Write answers here instead of standard output.")] = None,
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
        assistant = get_assistant()
        sink = out.open("w", encoding="utf-8") if out else sys.stdout
        with sink if out else _nullcontext(sink):
            for answer in tqdm(answer_batch(assistant, rows), total=len(rows), desc="Answering", file=sys.stderr, disable=out is None):
                sink.write(json.dumps(answer.model_dump(), ensure_ascii=False) + "\n")
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    app(prog_name="python -m assistant")
