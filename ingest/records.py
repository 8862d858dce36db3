"""Typed, immutable records that flow from ingestion to the assistant."""
from __future__ import annotations

import re

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
    """One row of a table of studies: a study as the review summarises it."""

    ref: int
    label: str  # as printed in the table, e.g. "Smith et al (2018)"
    table: str  # "Table 1", "Table 2", ...
    design: str  # one of ingest.tables.DESIGNS, or "" when the row names none
    sample: str
    n: str
    instruments: tuple[str, ...]
    program: str
    findings: str
    cells: tuple[str, ...]  # the row's cells as printed, for exact quotes
    columns: tuple[str, ...] = ()  # the table's column headings, aligned with cells
    roles: tuple[str, ...] = ()  # what each cell holds: study, sample, n, design, measures, findings, ...
    caption: str = ""
    design_source: str = ""  # where the design was read, e.g. "table column 'Design'"
    country: str = ""
    duration: str = ""

    def cell(self, *roles: str) -> str:
        """The cells that hold one of these roles, joined; "" when the table has no such column."""
        return " ".join(c for c, r in zip(self.cells, self.roles) if any(x in r.split("+") for x in roles) and c.strip())

    def phrase(self, *roles: str) -> str:
        """Those cells as one phrase: the table's line breaks and spacing gone, no closing full stop."""
        return re.sub(r"\s+", " ", self.cell(*roles)).strip(" .")


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
    origin: str = ""  # the file of extra material a passage came from; "" for the review and its digests


@dataclass(frozen=True)
class ReviewInfo:
    """What the review states about itself; it is cited as ref 0."""

    title: str
    authors: tuple[str, ...]  # reference-list form, e.g. ("Smith AB", "Lee C")
    year: int | None
    journal: str
    doi: str | None
    citation: str = ""  # the full citation where a sidecar gives one
    keywords: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """`Smith et al. (2022)`, or the title when no author is known."""
        if not self.authors:
            return self.title[:60]
        surname = self.authors[0].rsplit(" ", 1)[0] if " " in self.authors[0] else self.authors[0]
        head = surname if len(self.authors) == 1 else (
            f"{surname} & {self.authors[1].rsplit(' ', 1)[0]}" if len(self.authors) == 2 else f"{surname} et al.")
        return f"{head} ({self.year})" if self.year else head

    def as_reference(self) -> Reference:
        """The review as reference 0, for exports and source cards."""
        text = self.citation or (
            f"{', '.join(self.authors)}. {self.title}. *{self.journal}*. {self.year or ''}."
            + (f" doi:{self.doi}" if self.doi else ""))
        return Reference(ref=0, authors=", ".join(self.authors), label=self.label, year=self.year,
                         title=self.title, journal=self.journal, doi=self.doi, doi_truncated=False, text=text)
