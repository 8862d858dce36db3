"""Cuts the review into section- and sentence-aware passages, table rows into study records,
and the abbreviation paragraphs into a glossary. Pure functions: text in, records out."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from collections.abc import Iterable, Sequence

from ingest.citations import CitationReader, strip_markers
from ingest.records import Digest, Passage, Reference, Sentence, StudyRecord
from ingest.tables import TABLE_CAPTION, bullets, parse_study_records  # noqa: F401 - re-exported

# Headings of this review that are plain lines; any other short title-cased line without a
# final period is also taken as a heading (see _is_heading).
_SKIP_SECTIONS = {"Disclosure", "References"}
_HTML_TAG = re.compile(r"<[^>]+>")
# Abbreviations after which a period does not end a sentence.
_NO_SPLIT_BEFORE = re.compile(r"(?:\bet al|\be\.g|\beg|\bi\.e|\bie|\bvs|\bcf|\bDr|\bNo|\bFig|\bSt)\.$")
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
_SENTENCE_END = re.compile(
    r"(?<=[.?!])([\"”’)]?(?:[" + _SUPERSCRIPTS + r",]+|\^\{[^}]*\})?)\s+(?:\u2063\s+)?(?=[A-Z“\"(\[0-9])"
)
# In PDF text the superscripts are plain digits glued to the full stop ("burnout.27–32 McCade").
_FLAT_SENTENCE_END = re.compile(r"(?<=[.?!])([\"”’)]?(?:[0-9,–-]+)?)\s+(?:\u2063\s+)?(?=[A-Z“\"(\[])")
# Mentions that point back at the study named in the previous sentence.
_ANAPHORA = re.compile(
    r"\b(this study|this research|this paper|the study|the authors|these authors|they|their|"
    r"the latter study|in this study|this trial|the participants|participants)\b",
    re.IGNORECASE,
)
_GENERAL = re.compile(r"\b(studies|research|review|reviews|we|our|in general|overall|these results|literature|meta-analys[ie]s)\b", re.IGNORECASE)
_RESULT = re.compile(r"\b(found|reported|observed|showed|accounted|predicted|improv\w*|increase\w*|decrease\w*|reduc\w*|significant\w*|effect|variance|\d+(\.\d+)?%)", re.IGNORECASE)
_AUTHOR_MENTION = re.compile(r"\b([A-Z][A-Za-zÀ-ÿ'-]+)(?: and [A-Z][A-Za-zÀ-ÿ'-]+| &[^,;.]+)?\s+et al\b|\b([A-Z][A-Za-zÀ-ÿ'-]+) (?:and|&) [A-Z][A-Za-zÀ-ÿ'-]+\b|\b([A-Z][A-Za-zÀ-ÿ'-]+)'s\b")
_ABBREVIATION_ENTRY = re.compile(r"^\s*([A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)\s*,\s+(.+?)\s*$")
_INLINE_ABBREVIATION = re.compile(r"((?:[A-Z][\w'-]*\s+(?:(?:and|of|for|the|with|to|in)\s+)?){1,7})\(([A-Z][A-Za-z0-9-]{1,10})\)")


# Where a paragraph was cut by a page break or a table, its two parts are joined with this
# mark, so a quote can keep to text that stands contiguously in the corpus (see quotable_text).
JOIN = "\u2063"


def display_text(text: str) -> str:
    """The text for people: the join mark removed."""
    return text.replace(f" {JOIN} ", " ").replace(JOIN, "")


def quotable_text(text: str) -> str:
    """The longest part of a sentence that stands contiguously in the corpus."""
    return max(text.split(f" {JOIN} "), key=len).strip()


@dataclass(frozen=True)
class Paragraph:
    section: str
    text: str
    order: int


def passage_id(*parts: str) -> str:
    """A content hash: the same passage text always gets the same id."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def _is_heading(line: str) -> bool:
    if "\t" in line or len(line) > 170 or len(line) < 3:
        return False
    if line.endswith((".", ",", ";", ":")) or line.startswith(("(", "*", "Table", "Figure", "Abbreviations", "Notes")):
        return False
    if not line[0].isupper() or re.search(r"[" + _SUPERSCRIPTS + r"^]", line):
        return False
    words = line.split()
    return len(words) <= 22 and not line.startswith(("Abstract", "Keywords", "Correspondence"))


def _body_and_tail(review_text: str) -> tuple[list[str], int]:
    lines = review_text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("Abstract:")), 0)
    return lines, start


def split_sentences(text: str, *, flattened: bool = False) -> list[str]:
    """Sentences of a paragraph; a citation marker after the full stop stays with its sentence."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    sentences: list[str] = []
    last = 0
    for match in (_FLAT_SENTENCE_END if flattened else _SENTENCE_END).finditer(text):
        head = text[last:match.start()]
        if _NO_SPLIT_BEFORE.search(head) or re.search(r"\b[A-Z]\.$", head):
            continue
        sentences.append(text[last:match.end(1)].strip())
        last = match.end()
    sentences.append(text[last:].strip())
    return [s for s in sentences if s]


def iter_paragraphs(review_text: str) -> list[Paragraph]:
    """Prose paragraphs of the review with their section; a paragraph cut by a page break or a
    table is joined back to its start."""
    lines, start = _body_and_tail(review_text)
    section = "Abstract"
    paragraphs: list[Paragraph] = []
    pending: Paragraph | None = None
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if not line:
            continue
        if line.lower() == "references":
            break
        is_caption = TABLE_CAPTION.match(line) and not re.match(r"^Table\s+\S+\s+(summarizes|provides)", line)
        if is_caption or "\t" in line or line.startswith(("Figure ", "(Continued)", "Abbreviations:", "Notes:")):
            continue  # tables become study records of their own
        if line.startswith("Keywords:"):
            continue
        if _is_heading(line):
            # "METHODS" is the Methods section: sections are named as the review's own words read them.
            section = line.title() if line.isupper() else line
            continue
        if section in _SKIP_SECTIONS:
            continue
        text = line.removeprefix("Abstract:").strip()
        open_ended = not strip_markers(pending.text).endswith((".", "?", "!", ":", "”", '"')) if pending else False
        if pending is not None and (text[:1].islower() or open_ended):
            pending = Paragraph(pending.section, f"{pending.text} {JOIN} {text}", pending.order)
        else:
            if pending is not None:
                paragraphs.append(pending)
            pending = Paragraph(section, text, index)
    if pending is not None:
        paragraphs.append(pending)
    return paragraphs


def resolve_sentence_refs(
    sentences: Sequence[str], surnames: dict[str, tuple[int, ...]], *, flattened: bool = False,
    reader: CitationReader | None = None,
) -> list[tuple[int, ...]]:
    """The refs each sentence rests on: its own citations (numbered markers, or author-year
    citations when `reader` says so); else a named author whose ref the paragraph has cited (or
    who has only one ref); else the previous sentence's single study when the sentence points
    back at it ("this study", "the authors")."""
    reader = reader or CitationReader("numbered", (), flattened)
    resolved: list[tuple[int, ...]] = []
    seen_in_paragraph: list[int] = []
    for raw in sentences:
        sentence = display_text(raw)  # a page-break mark must not hide "this study"
        refs = reader.refs(sentence)
        if not refs:
            named: list[int] = []
            for match in _AUTHOR_MENTION.finditer(sentence):
                surname = (match.group(1) or match.group(2) or match.group(3) or "").lower()
                candidates = surnames.get(surname, ())
                in_context = [r for r in candidates if r in seen_in_paragraph]
                if len(in_context) == 1:
                    named.append(in_context[0])
                elif len(candidates) == 1 and match.group(3) is None:
                    named.append(candidates[0])
            refs = tuple(dict.fromkeys(named))
        if not refs and resolved and _ANAPHORA.search(sentence):
            previous = resolved[-1]
            if 1 <= len(previous) <= 2:
                refs = previous
        elif not refs and resolved and len(resolved[-1]) == 1 and not _GENERAL.search(sentence):
            # The review describes one study over several sentences; a sentence that reports a
            # result right after a single-study sentence continues it.
            if _RESULT.search(sentence):
                refs = resolved[-1]
        resolved.append(refs)
        seen_in_paragraph.extend(r for r in refs if r not in seen_in_paragraph)
    return resolved


def _group_sentences(sentences: list[Sentence], max_chars: int) -> list[list[Sentence]]:
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    size = 0
    for sentence in sentences:
        if current and size + len(sentence.text) > max_chars:
            groups.append(current)
            current, size = [], 0
        current.append(sentence)
        size += len(sentence.text) + 1
    if current:
        groups.append(current)
    return groups


def prose_passages(
    review_text: str, references: Sequence[Reference], max_chars: int = 450, *, flattened: bool = False,
    reader: CitationReader | None = None,
) -> list[Passage]:
    """Passages of one to a few sentences each, never crossing a paragraph or section; each
    sentence's refs are read by `reader` (numbered markers when none is given)."""
    reader = reader or CitationReader("numbered", (), flattened)
    surnames = surname_index(references)
    passages: list[Passage] = []
    for paragraph in iter_paragraphs(review_text):
        raw_sentences = split_sentences(paragraph.text, flattened=flattened)
        refs_per_sentence = resolve_sentence_refs(raw_sentences, surnames, reader=reader)
        sentences = [Sentence(text=s, refs=r) for s, r in zip(raw_sentences, refs_per_sentence)]
        for offset, group in enumerate(_group_sentences(sentences, max_chars)):
            text = " ".join(s.text for s in group)
            refs = tuple(dict.fromkeys(r for s in group for r in s.refs))
            passages.append(
                Passage(
                    passage_id=passage_id("review", paragraph.section, text),
                    source="review",
                    kind="prose",
                    section=paragraph.section,
                    text=text,
                    sentences=tuple(group),
                    refs=refs,
                    order=paragraph.order * 100 + offset,
                )
            )
    return passages


def surname_index(references: Sequence[Reference]) -> dict[str, tuple[int, ...]]:
    index: dict[str, list[int]] = {}
    for reference in references:
        surname = reference.label.split(" ")[0].rstrip(",").lower()
        index.setdefault(surname, []).append(reference.ref)
    return {k: tuple(v) for k, v in index.items()}


# --- Tables (read in ingest/tables.py) -------------------------------------------------------

def table_passages(records: Iterable[StudyRecord], glossary: dict[str, str]) -> list[Passage]:
    """One passage per table row; its text spells out the instruments so that "which studies
    used the Copenhagen Burnout Inventory" finds the row."""
    passages: list[Passage] = []
    for index, record in enumerate(records):
        instruments = "; ".join(
            f"{name} ({full})" if (full := glossary_name(name, glossary)) else name for name in record.instruments
        )
        text = (
            f"{record.table}: {record.label} [{record.ref}]. Design: {record.design}. Sample: {record.sample}. "
            f"N: {record.n}. " + (f"Program: {record.program}. " if record.program else "")
            + (f"Instruments: {instruments}. " if instruments else "") + f"Findings: {record.findings}"
        )
        sentences: list[Sentence] = []
        for position, cell in enumerate(record.cells):
            if position == 0:
                continue
            for piece in (bullets(cell) if "•" in cell else [cell]):
                if piece.strip():
                    sentences.append(Sentence(text=piece.strip(), refs=(record.ref,)))
        passages.append(
            Passage(
                passage_id=passage_id("review", record.table, text),
                source="review", kind="table_row", section=record.table, text=text,
                sentences=tuple(sentences), refs=(record.ref,), study_ref=record.ref, order=900000 + index,
            )
        )
    return passages


# --- Glossary ------------------------------------------------------------------------------

def parse_glossary(review_text: str) -> dict[str, str]:
    """Abbreviation -> expansion, from the tables' abbreviation paragraphs and from
    'Full Name (ABBR)' definitions in the prose."""
    glossary: dict[str, str] = {}
    for line in review_text.splitlines():
        if not line.startswith("Abbreviations:"):
            continue
        for part in line.removeprefix("Abbreviations:").split(";"):
            match = _ABBREVIATION_ENTRY.match(part)
            if not match:
                continue
            abbreviation, expansion = match.groups()
            if sum(ch.isupper() for ch in abbreviation) < 2:
                continue
            expansion = re.sub(r"\s*\([^)]*\d{4}[^)]*\)\s*$", "", expansion.rstrip(" ."))
            expansion = re.sub(r",\s*[A-Z][^,]*(?:et al)?,\s*\d{4}.*$", "", expansion).strip().rstrip(".")
            glossary.setdefault(abbreviation, expansion)
    for match in _INLINE_ABBREVIATION.finditer(review_text):
        words, abbreviation = match.group(1).split(), match.group(2)
        initials = "".join(w[0] for w in words if w[0].isupper())
        core = re.sub(r"[^A-Z]", "", abbreviation)
        if core and initials.endswith(core):
            glossary.setdefault(abbreviation, " ".join(words[-len(words):][len(initials) - len(core):]))
    return glossary


def glossary_name(abbreviation: str, glossary: dict[str, str]) -> str | None:
    """The name a table's instrument abbreviation stands for: its own entry, or else that of the
    abbreviation it varies ("BLRI-CF" is a form of the BLRI, "CES-D ≥16" a cut-off on the CES-D)."""
    if abbreviation in glossary:
        return glossary[abbreviation]
    stems = [key for key in glossary if abbreviation.startswith(key) and re.match(r"[\s-]", abbreviation[len(key):])]
    return glossary[max(stems, key=len)] if stems else None


# --- Digests and the reference list ---------------------------------------------------------

def digest_passages(digests: Iterable[Digest], references: dict[int, Reference], max_chars: int = 450) -> list[Passage]:
    """A digest's sentences and key findings, grouped into small passages about that one study."""
    passages: list[Passage] = []
    for digest in digests:
        if not digest.found or not digest.digest:
            continue
        reference = references.get(digest.ref)
        label = reference.label if reference else f"Reference {digest.ref}"
        section = f"Abstract of {label}"
        units = [Sentence(text=s, refs=(digest.ref,)) for s in split_sentences(digest.digest)]
        units += [Sentence(text=f, refs=(digest.ref,)) for f in digest.key_findings]
        for offset, group in enumerate(_group_sentences(units, max_chars)):
            text = " ".join(s.text for s in group)
            passages.append(
                Passage(
                    passage_id=passage_id("abstract", str(digest.ref), text),
                    source="abstract", kind="digest", section=section, text=text, sentences=tuple(group),
                    refs=(digest.ref,), study_ref=digest.ref, order=1000000 + digest.ref * 100 + offset,
                )
            )
    return passages


def reference_passages(references: Iterable[Reference]) -> list[Passage]:
    """One passage per reference-list entry, so titles, journals and DOIs are searchable."""
    return [
        Passage(
            passage_id=passage_id("review", "References", reference.text),
            source="review", kind="reference", section="References", text=reference.text,
            sentences=(Sentence(text=reference.text, refs=(reference.ref,)),), refs=(reference.ref,),
            study_ref=reference.ref, order=2000000 + reference.ref,
        )
        for reference in references
    ]


def embedding_text(passage: Passage, references: dict[int, Reference]) -> str:
    """What is embedded and indexed lexically: the passage without markers, headed by its
    section and the labels of the studies it cites, so author-name queries match."""
    labels = "; ".join(references[r].label for r in passage.refs if r in references)
    head = passage.section if not labels else f"{passage.section} ({labels})"
    return f"{head}: {strip_markers(display_text(passage.text))}"
