"""What a review states about itself: title, authors, journal, year, DOI, keywords and section
names, read from its own text (and, where the text leaves something out, from an optional
`review.json` beside it). Pure functions: text in, a `ReviewInfo` out."""
from __future__ import annotations

import json
import re
from pathlib import Path

from ingest.records import ReviewInfo
from ingest.references import DOI

_MARKS = re.compile(r"\s*(\^\{[^}]*\}|[¹²³⁴⁵⁶⁷⁸⁹⁰*,]+(?=,|\s|$))")
_SOURCE_LINE = re.compile(
    r"^(?P<journal>[^.\n]{3,160}?(?:\([^)]*\))?)\.\s*(?P<year>(?:19|20)\d{2})\s*;\s*(?P<volume>[^:\n]*):"
    r"\s*(?P<pages>[\w–-]+)\.?\s*(?:doi:\s*(?P<doi>10\.\S+?))?\.?\s*$",
    re.IGNORECASE,
)
_KEYWORDS = re.compile(r"^\s*Keywords?:\s*(?P<words>.+)$", re.IGNORECASE | re.MULTILINE)
_AUTHOR_LINE = re.compile(r"(\^\{\d[\d,*]*\}|[¹²³⁴⁵⁶⁷⁸⁹])")


def _clean_author(name: str) -> str:
    return re.sub(r"\^\{[^}]*\}|[¹²³⁴⁵⁶⁷⁸⁹⁰*]", "", name).strip(" ,")


def _initials_form(name: str) -> str:
    """`Ana María Smith` -> `Smith AM` (the reference-list form)."""
    parts = name.split()
    if len(parts) < 2:
        return name
    given, surname = parts[:-1], parts[-1]
    initials = "".join(p[0] for chunk in given for p in chunk.split("-") if p)
    return f"{surname} {initials}"


def parse_review_info(text: str, sidecar: dict | None = None) -> ReviewInfo:
    """The review's own bibliographic facts from its front matter; `sidecar` (review.json)
    fills what the text does not state and never contradicts what it does."""
    lines = [line.strip() for line in text.splitlines()]
    non_empty = [line for line in lines if line]
    title = non_empty[0] if non_empty else ""
    authors: list[str] = []
    journal = doi = ""
    year: int | None = None
    head = non_empty[1:40]
    for line in head:
        if line.lower().startswith("abstract"):
            break
        if not authors and _AUTHOR_LINE.search(line) and "," in line and not line[0] in "¹²³⁴⁵⁶⁷⁸⁹*":
            authors = [_clean_author(a) for a in re.split(r",\s*(?![^{]*\})", line) if _clean_author(a)]
            continue
        source = _SOURCE_LINE.match(line)
        if source and not journal:
            journal, year = source.group("journal").strip(), int(source.group("year"))
            doi = (source.group("doi") or "").rstrip(".")
    if not doi:
        found = DOI.search("\n".join(head))
        doi = found.group("doi").rstrip(".,;") if found else ""
    keywords_match = _KEYWORDS.search(text)
    keywords = tuple(k.strip(" .") for k in re.split(r"[,;]", keywords_match.group("words")) if k.strip(" .")) if keywords_match else ()
    side = sidecar or {}
    return ReviewInfo(
        title=title or side.get("title", ""),
        authors=tuple(_initials_form(a) for a in authors) or tuple(side.get("authors", ())),
        year=year or side.get("year"),
        journal=journal or side.get("journal", ""),
        doi=doi or side.get("doi") or None,
        citation=side.get("citation", ""),
        keywords=keywords or tuple(side.get("keywords", ())),
    )


def read_sidecar(corpus_dir: Path) -> dict:
    """`review.json` beside the review text, when there is one (bibliographic facts the text lacks)."""
    path = corpus_dir / "review.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
