"""`python -m ingest [PATH ...] [--rebuild]`: builds or refreshes the Chroma index."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from common.errors import EvidenceError
from ingest.index import build_index, list_reviews
from common.settings import Settings, get_settings

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def main(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files to ingest (.txt, .md, .pdf, .jsonl digests); default: corpus/.")] = None,
    review: Annotated[Optional[str], typer.Option("--review", help="Name of the review's collection (lower case, digits, hyphens); default: seed, the review in corpus/.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Embed everything again instead of reusing unchanged passages.")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="Let another review's text replace what the named collection holds.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the ingested reviews with their passage counts, then stop.")] = False,
    fetch_abstracts: Annotated[bool, typer.Option("--fetch-abstracts", help="Online only: also fetch the cited works' abstracts (Crossref, Europe PMC, OpenAlex); cached on disk, resumable.")] = False,
    contact: Annotated[Optional[str], typer.Option("--contact", help="Email sent to those services (User-Agent and mailto).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Build or refresh a review's collection from corpus/ (or the given files)."""
    try:
        settings = get_settings()
        if review is not None:
            try:
                settings = Settings(**{**settings.model_dump(), "review": review})
            except ValueError:
                raise EvidenceError(f"Bad review name {review!r}: use lower-case letters, digits and hyphens.") from None
        if list_:
            reviews = list_reviews(settings)
            typer.echo("\n".join(f"{name}\t{count} passages\t{title}" for name, count, title in reviews) or "No review ingested yet: run `python -m ingest`.")
            return
        if fetch_abstracts:
            paths = _with_fetched_abstracts(settings, paths, contact, quiet)
        summary = build_index(settings, paths or None, rebuild=rebuild, replace=replace, progress=not quiet)
    except EvidenceError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(summary.describe())


def _with_fetched_abstracts(settings: Settings, paths: list[Path] | None, contact: str | None, quiet: bool) -> list[Path]:
    """The sources plus a digests file of the abstracts fetched for the review's references."""
    from ingest.enrich import fetch_abstracts, write_abstracts
    from ingest.loaders import read_text_file
    from ingest.references import parse_references

    sources = list(paths or [settings.review_path, settings.digests_path])
    review = next((p for p in sources if p.suffix in (".txt", ".md")), settings.review_path)
    references = parse_references(read_text_file(review))
    cache = settings.chroma_dir.parent / ".cache" / "abstracts" / settings.review
    result = fetch_abstracts(references, cache_dir=cache, contact=contact, progress=not quiet)
    for problem in result.problems:
        typer.echo(f"warning: {'ref ' + str(problem.ref) + ': ' if problem.ref else ''}{problem.reason}", err=True)
    typer.echo(result.describe(), err=True)
    if not result.abstracts:
        return sources
    return [*sources, write_abstracts(result, cache / "abstracts.jsonl")]


if __name__ == "__main__":
    app(prog_name="python -m ingest")
    sys.exit(0)
