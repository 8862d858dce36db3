"""`python -m ingest [PATH ...] [--rebuild]`: builds or refreshes the Chroma index."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from common.errors import EvidenceError
from ingest.index import build_index
from common.settings import get_settings

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files to ingest (.txt, .md, .pdf, .jsonl digests); default: corpus/.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Embed everything again instead of reusing unchanged passages.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Build or refresh the index from corpus/ (or the given files)."""
    try:
        summary = build_index(get_settings(), paths or None, rebuild=rebuild, progress=not quiet)
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(summary.describe())


if __name__ == "__main__":
    app(prog_name="python -m ingest")
    sys.exit(0)
