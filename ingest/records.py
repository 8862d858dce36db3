"""Typed, immutable records that flow from ingestion to the assistant."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Source = Literal["review", "abstract"]
PassageKind = Literal["prose", "table_row", "digest", "reference"]


@dataclass(frozen=True)
class Reference:
    """One numbered entry of the review's reference list."""

    ref: int
    authors: str
    label: str  # first-author label, e.g. "Eriksson et al. (2018)"
    year: int | None
    title: str
    journal: str
    doi: str | None
    doi_truncated: bool
    text: str  # the entry as printed

    @property
    def url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def first_author_surname(self) -> str:
        return self.authors.split(",")[0].rsplit(" ", 1)[0].strip() if self.authors else ""


@dataclass(frozen=True)
class Digest:
    """A factual digest of one cited work's abstract (absent where found is False)."""

    ref: int
    found: bool
    source_url: str | None
    study_type: str | None
    participants: str | None
    n: str | None
    digest: str
    key_findings: tuple[str, ...]


@dataclass(frozen=True)
class Sentence:
    """One sentence as it stands in the corpus (`text`) and the refs it rests on."""

    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class StudyRecord:
    """One row of Tables 1 to 4: a study as the review summarises it."""

    ref: int
    label: str  # as printed in the table, e.g. "Eriksson et al (2018)"
    table: str  # "Table 1" .. "Table 4"
    design: str  # e.g. "randomized controlled trial", "cross-sectional", "qualitative"
    sample: str
    n: str
    instruments: tuple[str, ...]
    program: str
    findings: str
    cells: tuple[str, ...]  # the row's cells as printed, for exact quotes
    columns: tuple[str, ...] = ()  # the table's column headings, aligned with cells


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: its text, where it stands, and the refs each sentence cites."""

    passage_id: str
    source: Source
    kind: PassageKind
    section: str
    text: str
    sentences: tuple[Sentence, ...]
    refs: tuple[int, ...] = field(default=())
    study_ref: int | None = None  # the study a table row or digest is about
    order: int = 0  # position in the corpus, for reading order
