"""The evidence table: one row per study of the review's Tables 1 to 4, joined with the
reference list and the digests, and the filters the app offers over it. Pure functions."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ingest.records import Digest, Reference, StudyRecord

ANY = "any"

# Outcomes a reader filters by; each matches words of the findings (the review's table cells
# and the digest's key findings). Hand-written because they are particular to this review.
OUTCOME_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE)
    for name, pattern in {
        "burnout": r"burn-?out|emotional exhaustion|depersonali[sz]ation",
        "compassion fatigue": r"compassion fatigue|secondary traumatic stress",
        "stress": r"\bstress",
        "depression": r"depress",
        "anxiety": r"anxi",
        "well-being": r"well-?being|happiness|life satisfaction|flourishing",
        "mindfulness": r"mindful",
        "self-efficacy": r"self-efficacy|competenc",
        "empathy": r"empath|compassion for others|other-focused",
        "emotion regulation": r"emotion(?:al)? regulation|self-regulation",
    }.items()
}

@dataclass(frozen=True)
class EvidenceRow:
    """One study of the review's tables, with what the reference list and its digest add."""

    ref: int
    label: str  # "Eriksson et al. (2018)"
    authors: str
    year: int | None
    title: str
    journal: str
    table: str  # "Table 1" .. "Table 4"
    design: str
    sample: str
    n: str
    instruments: tuple[str, ...]
    findings: str
    outcomes: tuple[str, ...]
    digest_study_type: str | None
    digest_findings: tuple[str, ...]
    doi: str | None
    url: str | None


def _digest_map(digests: Mapping[int, Digest] | Iterable[Digest]) -> dict[int, Digest]:
    if isinstance(digests, Mapping):
        return dict(digests)
    return {digest.ref: digest for digest in digests}


def outcomes_in(text: str) -> tuple[str, ...]:
    """The outcomes of OUTCOME_PATTERNS that the text mentions, in the list's order."""
    return tuple(name for name, pattern in OUTCOME_PATTERNS.items() if pattern.search(text))


def evidence_rows(
    references: Sequence[Reference],
    study_records: Sequence[StudyRecord],
    digests: Mapping[int, Digest] | Iterable[Digest],
) -> list[EvidenceRow]:
    """Every study of Tables 1 to 4, one row per ref in table order; a study listed twice
    keeps its first row and gains the other row's instruments and findings."""
    by_ref = {reference.ref: reference for reference in references}
    digest_by_ref = _digest_map(digests)
    merged: dict[int, list[StudyRecord]] = {}
    for record in study_records:
        merged.setdefault(record.ref, []).append(record)
    rows: list[EvidenceRow] = []
    for ref, records in merged.items():
        first = records[0]
        reference = by_ref.get(ref)
        digest = digest_by_ref.get(ref)
        found = digest if digest is not None and digest.found else None
        instruments = tuple(dict.fromkeys(
            name for record in records for name in (_clean_instrument(i) for i in record.instruments) if name
        ))
        findings = " ".join(dict.fromkeys(record.findings for record in records if record.findings))
        digest_findings = tuple(found.key_findings) if found else ()
        rows.append(
            EvidenceRow(
                ref=ref,
                label=reference.label if reference else first.label,
                authors=reference.authors if reference else "",
                year=reference.year if reference else _year_in(first.label),
                title=reference.title if reference else "",
                journal=reference.journal if reference else "",
                table=first.table,
                design=first.design,
                sample=first.sample,
                n=first.n or (found.n or "" if found else ""),
                instruments=instruments,
                findings=findings,
                outcomes=outcomes_in(" ".join((findings, *digest_findings))),
                digest_study_type=found.study_type if found else None,
                digest_findings=digest_findings,
                doi=reference.doi if reference and not reference.doi_truncated else None,
                url=reference.url if reference and not reference.doi_truncated else None,
            )
        )
    return rows


def _clean_instrument(name: str) -> str:
    """An instrument's name without stray table punctuation ("CBI ." is "CBI")."""
    return re.sub(r"[\s.,;:]+$", "", name).strip()


def _year_in(label: str) -> int | None:
    match = re.search(r"\b(19|20)\d{2}\b", label)
    return int(match.group(0)) if match else None


def design_choices(rows: Iterable[EvidenceRow]) -> list[str]:
    """'any' and the designs present, in the order the tables first show them."""
    return [ANY, *dict.fromkeys(row.design for row in rows)]


def instrument_choices(rows: Iterable[EvidenceRow]) -> list[str]:
    """'any' and every instrument some study used, alphabetically."""
    return [ANY, *sorted({i for row in rows for i in row.instruments}, key=str.casefold)]


def outcome_choices(rows: Iterable[EvidenceRow]) -> list[str]:
    """'any' and the outcomes some study's findings mention, in OUTCOME_PATTERNS order."""
    present = {outcome for row in rows for outcome in row.outcomes}
    return [ANY, *(name for name in OUTCOME_PATTERNS if name in present)]


def _searchable(row: EvidenceRow) -> str:
    return " ".join(
        (str(row.ref), row.label, row.authors, row.title, row.journal, row.design, row.sample,
         row.n, " ".join(row.instruments), row.findings, " ".join(row.digest_findings), row.doi or "")
    ).casefold()


def filter_rows(
    rows: Iterable[EvidenceRow],
    text: str = "",
    design: str = ANY,
    outcome: str = ANY,
    instrument: str = ANY,
) -> list[EvidenceRow]:
    """The rows matching every given filter: all words of `text` anywhere in the row, the exact
    design, an outcome its findings mention, an instrument it used. 'any' or empty means no filter."""
    words = (text or "").casefold().split()
    kept: list[EvidenceRow] = []
    for row in rows:
        if design and design != ANY and row.design != design:
            continue
        if outcome and outcome != ANY and outcome not in row.outcomes:
            continue
        if instrument and instrument != ANY and instrument not in row.instruments:
            continue
        if words:
            haystack = _searchable(row)
            if not all(word in haystack for word in words):
                continue
        kept.append(row)
    return kept


def study_facts(
    ref: int, study_records: Sequence[StudyRecord], digests: Mapping[int, Digest] | Iterable[Digest], max_n_chars: int = 48,
) -> tuple[str | None, str | None]:
    """A cited work's design and N: the review's table row where it has one, else its digest;
    a long N from a digest is shortened for a badge."""
    record = next((r for r in study_records if r.ref == ref), None)
    digest = _digest_map(digests).get(ref)
    found = digest if digest is not None and digest.found else None
    design = record.design if record else (found.study_type if found else None)
    n = (record.n if record and record.n else None) or (found.n if found else None)
    if n and len(n) > max_n_chars:
        n = n[: max_n_chars - 3].rstrip() + "…"
    return design, n
