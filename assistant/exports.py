"""Exports of an answer and of the evidence table: Markdown, CSV, BibTeX and RIS, as strings.
Pure functions; the app writes the strings to files for download.

Author lists and volume/issue/pages are read from the reference list's Vancouver-style text by
hand: reference entries follow one printed style, and no library parses that style."""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from assistant.evidence import EvidenceRow
from assistant.records import Answer, Citation
from ingest.records import Reference

# `ref` 0 is the review itself; callers pass its entry (ReviewInfo.as_reference()) with the list.
_UNNAMED_REVIEW = Reference(ref=0, authors="", label="The review", year=None, title="The review", journal="",
                            doi=None, doi_truncated=False, text="The review itself.")

_ET_AL = re.compile(r",?\s*et al\.?\s*$", re.IGNORECASE)
_INITIALS = re.compile(r"^[A-ZÀ-ÖØ-Þ]{1,4}$")
_BOOK = re.compile(r"\*(?P<title>[^*]+)\*\.\s*(?P<publisher>[^;*]+?);\s*(?P<year>\d{4})\.?\s*$")
_WEB = re.compile(r"Available from:\s*(?P<site>\S+?)\.?(?:\s|$)")
_DETAILS = re.compile(
    r"\b(?:19|20)\d{2};\s*(?P<volume>\d{1,4})(?:\((?P<issue>[^)]+)\))?(?::\s*(?P<pages>[A-Za-z]?\d+(?:[–-][A-Za-z]?\d+)?))?"
)
_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
    "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


@dataclass(frozen=True)
class Publication:
    """What a reference entry says beyond its parsed fields: its kind and where it stands."""

    kind: str  # "article" | "book" | "web"
    volume: str = ""
    issue: str = ""
    first_page: str = ""
    last_page: str = ""
    publisher: str = ""
    site: str = ""


def plain(text: str) -> str:
    """Reference text without the Markdown emphasis of the printed list."""
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


def split_authors(authors: str) -> tuple[list[tuple[str, str]], bool]:
    """(surname, initials) pairs of a Vancouver author list, and whether it ends in "et al"."""
    et_al = bool(_ET_AL.search(authors))
    names: list[tuple[str, str]] = []
    for part in _ET_AL.sub("", authors).split(","):
        words = part.strip().split()
        if not words:
            continue
        if len(words) > 1 and _INITIALS.match(words[-1]):
            names.append((" ".join(words[:-1]), words[-1]))
        else:
            names.append((" ".join(words), ""))
    return names, et_al


def publication(reference: Reference) -> Publication:
    """The kind of work and its volume, issue and pages, read from the printed entry."""
    text = reference.text
    web = _WEB.search(text)
    if web and not reference.doi:
        return Publication(kind="web", site=web.group("site"))
    book = _BOOK.search(text)
    if book and not reference.doi:
        return Publication(kind="book", publisher=book.group("publisher").strip())
    details = _DETAILS.search(text)
    if not details:
        return Publication(kind="article")
    first, _, last = (details.group("pages") or "").replace("–", "-").partition("-")
    return Publication(
        kind="article", volume=details.group("volume") or "", issue=details.group("issue") or "",
        first_page=first, last_page=last,
    )


def _initials_dotted(initials: str) -> str:
    return " ".join(f"{letter}." for letter in initials)


def _doi_parts(reference: Reference) -> tuple[str | None, str | None]:
    """The DOI and its URL, unless the printed DOI is known to be cut short."""
    if not reference.doi or reference.doi_truncated:
        return None, None
    return reference.doi, reference.url or f"https://doi.org/{reference.doi}"


def _reference_map(references: Mapping[int, Reference] | Iterable[Reference]) -> dict[int, Reference]:
    by_ref = dict(references) if isinstance(references, Mapping) else {r.ref: r for r in references}
    by_ref.setdefault(0, _UNNAMED_REVIEW)
    return by_ref


def _title(reference: Reference) -> str:
    if reference.title:
        return plain(reference.title).rstrip(".")
    book = _BOOK.search(reference.text)
    return plain(book.group("title")) if book else plain(reference.text)


def _url_of(reference: Reference, work: Publication) -> str | None:
    _, url = _doi_parts(reference)
    if url:
        return url
    if work.kind == "web" and work.site:
        return work.site if "://" in work.site else f"https://{work.site}"
    return None


def reference_markdown(reference: Reference) -> str:
    """The printed entry with its DOI as a link (a truncated DOI stays plain text, with a note)."""
    text = reference.text.strip()
    doi, url = _doi_parts(reference)
    if doi and url:
        linked = re.sub(r"doi:\s*" + re.escape(doi), f"doi:[{doi}]({url})", text, count=1)
        return linked if linked != text else f"{text} [{doi}]({url})"
    if reference.doi_truncated:
        return f"{text} (the DOI is printed truncated in the review)"
    return text


def answer_markdown(answer: Answer, references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """The answer with its supporting quotes and a reference list numbered as in the review."""
    by_ref = _reference_map(references)
    lines = [f"# {answer.question.strip() or 'Question'}", "", answer.answer.strip(), ""]
    if answer.evidence and answer.evidence not in answer.answer:
        lines += [f"*Evidence: {answer.evidence}*", ""]
    if answer.citations:
        lines += ["## Supporting quotes", ""]
        for citation in answer.citations:
            where = "the review" if citation.source == "review" else "digest of the study's abstract"
            kind = f", {citation.study_type}" if citation.study_type else ""
            lines += [f"**[{citation.ref}] {citation.label}**{kind} (from {where})", "", f"> {citation.quote.strip()}", ""]
        lines += ["## References", "", f"Numbered as in {by_ref[0].label}; [0] is the review itself.", ""]
        for citation in answer.citations:
            reference = by_ref.get(citation.ref)
            entry = reference_markdown(reference) if reference else citation.label
            lines.append(f"- **[{citation.ref}]** {entry}")
        lines.append("")
    lines += [
        "---",
        "Source: " + plain(by_ref[0].text) + " Study summaries come from digests of the cited works' abstracts.",
        "",
    ]
    return "\n".join(lines)


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue()


CITATION_CSV_COLUMNS = (
    "ref", "label", "authors", "year", "title", "journal", "doi", "url", "study_type", "source", "quote", "reference",
)


def citations_csv(answer: Answer, references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """One row per cited work, in order of first use, with its quote and full reference."""
    by_ref = _reference_map(references)
    rows = []
    for citation in answer.citations:
        reference = by_ref.get(citation.ref)
        rows.append([
            citation.ref, citation.label, reference.authors if reference else "",
            reference.year if reference else "", _title(reference) if reference else "",
            reference.journal if reference else "", citation.doi, citation.url, citation.study_type,
            citation.source, citation.quote, plain(reference.text) if reference else "",
        ])
    return _csv(CITATION_CSV_COLUMNS, rows)


EVIDENCE_CSV_COLUMNS = (
    "ref", "label", "authors", "year", "title", "journal", "table", "design", "sample", "n",
    "instruments", "outcomes", "findings", "digest_study_type", "doi", "url",
)


def evidence_csv(rows: Iterable[EvidenceRow]) -> str:
    """The evidence table, one row per study, instruments and outcomes joined by '; '."""
    return _csv(EVIDENCE_CSV_COLUMNS, (
        [row.ref, row.label, row.authors, row.year, plain(row.title), row.journal, row.table, row.design,
         row.sample, row.n, "; ".join(row.instruments), "; ".join(row.outcomes), row.findings,
         row.digest_study_type, row.doi, row.url]
        for row in rows
    ))


def bibtex_escape(value: str) -> str:
    """A field value safe inside braces: LaTeX specials escaped, Markdown emphasis dropped."""
    return "".join(_BIBTEX_SPECIAL.get(ch, ch) for ch in plain(value))


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


_STOP_WORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "do", "does", "can"}


def _key_stem(reference: Reference) -> str:
    names, _ = split_authors(reference.authors)
    surname = _ascii_word(names[0][0]) if names else "anon"
    words = [_ascii_word(w) for w in plain(_title(reference)).split()]
    first_word = next((w for w in words if w and w not in _STOP_WORDS), "")
    return f"{surname}{reference.year or ''}{first_word}" or f"ref{reference.ref}"


def _bibtex_entry(reference: Reference, key: str, note: str | None) -> str:
    work = publication(reference)
    names, et_al = split_authors(reference.authors)
    # A name without initials (an organisation) is braced so BibTeX keeps it whole.
    authors = [
        f"{bibtex_escape(surname)}, {_initials_dotted(initials)}" if initials else f"{{{bibtex_escape(surname)}}}"
        for surname, initials in names
    ]
    if et_al:
        authors.append("others")
    doi, _ = _doi_parts(reference)
    url = _url_of(reference, work)
    entry_type = {"article": "article", "book": "book", "web": "misc"}[work.kind]
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(authors)),
        ("title", bibtex_escape(_title(reference))),
    ]
    if work.kind == "article":
        fields.append(("journal", bibtex_escape(reference.journal)))
    if work.kind == "book":
        fields.append(("publisher", bibtex_escape(work.publisher)))
    fields.append(("year", str(reference.year or "")))
    pages = "--".join(p for p in (work.first_page, work.last_page) if p)
    fields += [("volume", work.volume), ("number", work.issue), ("pages", pages)]
    if doi:
        fields.append(("doi", doi))  # doi and url are verbatim fields: not escaped
    if url:
        fields.append(("url", url))
    if note:
        fields.append(("note", bibtex_escape(note)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def references_bibtex(references: Iterable[Reference], notes: Mapping[int, str] | None = None) -> str:
    """BibTeX entries (@article, @book, @misc for a web page) with unique keys, in the given order."""
    used: set[str] = set()
    entries: list[str] = []
    for reference in references:
        stem = _key_stem(reference)
        key, suffix = stem, 1
        while key in used:
            suffix += 1
            key = f"{stem}{chr(ord('a') + suffix - 2)}" if suffix <= 27 else f"{stem}{suffix}"
        used.add(key)
        entries.append(_bibtex_entry(reference, key, (notes or {}).get(reference.ref)))
    return "\n".join(entries)


def _ris_value(value: str) -> str:
    return re.sub(r"\s+", " ", plain(value)).strip()


def _ris_entry(reference: Reference, note: str | None) -> str:
    work = publication(reference)
    names, _ = split_authors(reference.authors)  # RIS has no "et al": only the named authors
    doi, _ = _doi_parts(reference)
    url = _url_of(reference, work)
    tags: list[tuple[str, str]] = [("TY", {"article": "JOUR", "book": "BOOK", "web": "ELEC"}[work.kind])]
    tags += [("AU", f"{surname}, {_initials_dotted(initials)}" if initials else surname) for surname, initials in names]
    tags += [("PY", str(reference.year or "")), ("TI", _title(reference))]
    if work.kind == "article":
        tags.append(("T2", reference.journal))
    if work.kind == "book":
        tags.append(("PB", work.publisher))
    tags += [("VL", work.volume), ("IS", work.issue), ("SP", work.first_page), ("EP", work.last_page)]
    if doi:
        tags.append(("DO", doi))
    if url:
        tags.append(("UR", url))
    if note:
        tags.append(("N1", note))
    lines = [f"{tag}  - {_ris_value(value)}" for tag, value in tags if value]
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def references_ris(references: Iterable[Reference], notes: Mapping[int, str] | None = None) -> str:
    """RIS records (TY … ER, one AU line per author, CRLF line ends) for Zotero and EndNote."""
    return "\r\n".join(_ris_entry(reference, (notes or {}).get(reference.ref)) for reference in references)


def _cited_references(citations: Sequence[Citation], by_ref: dict[int, Reference]) -> list[Reference]:
    seen = dict.fromkeys(c.ref for c in citations)
    return [by_ref[ref] for ref in seen if ref in by_ref]


def _citation_notes(citations: Sequence[Citation], review_label: str) -> dict[int, str]:
    notes: dict[int, str] = {}
    for citation in citations:
        number = "the review itself" if citation.ref == 0 else f"reference {citation.ref}"
        notes.setdefault(citation.ref, f"{review_label}, {number}. Supporting quote: \"{citation.quote.strip()}\"")
    return notes


def citations_bibtex(answer: Answer, references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """The works an answer cites, as BibTeX, each with its supporting quote as a note."""
    by_ref = _reference_map(references)
    return references_bibtex(_cited_references(answer.citations, by_ref), _citation_notes(answer.citations, by_ref[0].label))


def citations_ris(answer: Answer, references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """The works an answer cites, as RIS, each with its supporting quote as a note."""
    by_ref = _reference_map(references)
    return references_ris(_cited_references(answer.citations, by_ref), _citation_notes(answer.citations, by_ref[0].label))


def _row_notes(rows: Sequence[EvidenceRow], review_label: str) -> dict[int, str]:
    return {
        row.ref: f"{review_label}, reference {row.ref}, {row.table}. Design: {row.design}."
        + (f" N: {row.n}." if row.n else "")
        + (f" Instruments: {', '.join(row.instruments)}." if row.instruments else "")
        for row in rows
    }


def evidence_bibtex(rows: Sequence[EvidenceRow], references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """The studies of the evidence table as BibTeX, with design and N as a note."""
    by_ref = _reference_map(references)
    return references_bibtex([by_ref[row.ref] for row in rows if row.ref in by_ref], _row_notes(rows, by_ref[0].label))


def evidence_ris(rows: Sequence[EvidenceRow], references: Mapping[int, Reference] | Iterable[Reference]) -> str:
    """The studies of the evidence table as RIS, with design and N as a note."""
    by_ref = _reference_map(references)
    return references_ris([by_ref[row.ref] for row in rows if row.ref in by_ref], _row_notes(rows, by_ref[0].label))
