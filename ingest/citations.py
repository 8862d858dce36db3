"""Citations in a review's text: numbered markers (find them, read their refs, strip or
normalise them) and author-year citations, linked to the reference list.

Hand-written because the forms (glued superscripts, `^{…}` groups, table-row markers after
a space, PDF-flattened digits, "Smith et al. (2019)" linked by surname and year) are
particular to how reviews print their citations.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz.distance import OSA

from ingest.records import Reference

# The largest ref a marker may name when the review's reference count is not known;
# callers that know it pass `max_ref=len(references)`.
DEFAULT_MAX_REF = 999
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_DASHES = "–\\-⁻‐‑−"  # en dash, hyphen, superscript minus, unicode hyphens, minus sign
_TO_PLAIN = str.maketrans(SUPERSCRIPT_DIGITS + "⁻‐‑−", "0123456789----")
_TO_SUPER = str.maketrans("0123456789-–", SUPERSCRIPT_DIGITS + "⁻⁻")

_SUP = f"[{SUPERSCRIPT_DIGITS}]"
_SUP_ITEM = f"{_SUP}+(?:[{_DASHES}]{_SUP}+)?"
_FLAT_ITEM = f"\\d{{1,3}}(?:[{_DASHES}]\\d{{1,3}})?"
_MARKER = re.compile(
    r"\^\{(?P<group>[^{}\n]{0,80})\}"
    f"|(?P<sup>{_SUP_ITEM}(?:,{_SUP_ITEM})*)"
    f"|\\[(?P<bracket>\\s*{_FLAT_ITEM}(?:\\s*,\\s*{_FLAT_ITEM})*\\s*)\\](?!\\()"
)
# Plain digits only count where a flattened superscript can stand: see _flat_context_ok.
_FLAT = re.compile(
    f"(?<![\\d{_DASHES}])(?P<flat>{_FLAT_ITEM}(?:,{_FLAT_ITEM})*)"
    r"(?![\d%])(?=\)|[.,;:]?(?:\s|$))"
)
# "(18)", "(18, 19)", "(18–21)": numbered citations in round brackets, read only in a review that
# cites this way (see `citation_reader`), where "(2)" is not an enumeration or a table's number.
_PAREN = re.compile(r"\s?\((?P<paren>\s*" + _FLAT_ITEM + r"(?:\s*,\s*" + _FLAT_ITEM + r")*\s*)\)")
_ITEM = re.compile(f"^\\s*(\\d{{1,3}})\\s*(?:[{_DASHES}]\\s*(\\d{{1,3}})\\s*)?$")
_AFFILIATION_AFTER = re.compile(r",\s*(?:\*|[A-ZÀ-Þ])")  # "Smith¹,*, Anna", "Lee1, María"
# Glued digits before ",*" or before ", Name" twice in a line mark the author line: none of it cites.
_AUTHOR_MARK = re.compile(r"[^\W\d_]\d[\d,]*,\s*(?:(?P<star>\*)|[A-ZÀ-Þ])")
_AFTER_TABLE_LABEL = re.compile(r"\(\d{4}[a-z]?\)\.\s*$")  # "Smith et al (2018). 22"
_AFTER_ET_AL = re.compile(r"\bet al[.,]? $")
_EG = re.compile(r"\be\.g\.,?$")
_ABBREVIATION = re.compile(r"\b(?:p|pp|vol|no|nos|fig|figs|ch|chap|sec|eq|table|ed|eds|vs|ver|v)[.,]$", re.I)
_WINDOW = 48  # how far back a marker's context is read; keeps long texts linear
_QUOTES_AND_CLOSERS = "\"”’')]»"
_RESIDUE = re.compile(r"[ \t]*\^\{[\d\s,*" + _DASHES + r"]*\}|[" + SUPERSCRIPT_DIGITS + "⁻]+")


@dataclass(frozen=True)
class Marker:
    """One citation marker: its span in the text, the text as printed, and the refs it names."""

    start: int
    end: int
    raw: str
    refs: tuple[int, ...]


def superscript(text: str) -> str:
    """Turns plain digits and range dashes into superscripts: `27-32` -> `²⁷⁻³²`."""
    return text.translate(_TO_SUPER)


def _parse_refs(body: str, max_ref: int) -> tuple[int, ...] | None:
    """The refs a marker's body lists, or None when any item is malformed or out of range."""
    refs: list[int] = []
    for item in body.translate(_TO_PLAIN).split(","):
        match = _ITEM.match(item)
        if not match:
            return None
        first, last = match.group(1), match.group(2) or match.group(1)
        if first.startswith("0") or last.startswith("0"):
            return None
        low, high = int(first), int(last)
        if not 1 <= low <= high <= max_ref or (match.group(2) and low == high):
            return None
        refs.extend(range(low, high + 1))
    return tuple(refs)


def _raised_context_ok(text: str, start: int, end: int) -> bool:
    """A superscript or `^{…}` marker cites unless it is an author or affiliation mark."""
    following = text[end:end + 1]
    if following.isalpha() or _AFFILIATION_AFTER.match(text, end):
        return False  # "¹Department …", "Smith¹,*, Anna"
    before = text[max(0, start - _WINDOW):start]
    stripped = before.rstrip(" \t\u00a0")
    if not stripped or stripped.endswith("\n"):
        return False  # a marker opening a line is a footnote mark
    if len(stripped) < len(before):
        return stripped[-1] in ".)"  # table rows: "Smith et al (2018). ²²"
    return not stripped[-1].isdigit()


def _paren_context_ok(text: str, start: int, end: int) -> bool:
    """Numbers in round brackets cite after a word, a closing bracket or quote ("stress (18)"), or
    after a full stop at the end of a table's label cell ("Smith et al (2018). (22)"); not at the
    start of a sentence, where "(1)" numbers an item."""
    previous = text[start - 1:start] if start else ""
    if previous.isalpha() or previous in ")%’'”\"":
        return True
    return previous == "." and (end == len(text) or text[end] in "\t\n")


def _flat_context_ok(text: str, start: int, end: int) -> bool:
    """Plain digits cite only where a flattened superscript would stand (see module tests)."""
    if _AFFILIATION_AFTER.match(text, end):
        return False
    before = text[max(0, start - _WINDOW):start]
    previous = before[-1:] if before else ""
    if not previous or previous == "\n":
        return False
    if previous.isalpha():
        return previous.islower()  # "al22", "Smith's1"; never "PHQ9" or a line-start number
    if previous in _QUOTES_AND_CLOSERS:
        return True
    if previous in ".,;":
        if len(before) < 2 or before[-2].isdigit() or before[-2].isspace() or _ABBREVIATION.search(before):
            return False  # decimals, "2003;2(3)", page references
        return text[end:end + 1] != ")" or bool(_EG.search(before))
    if previous in " \t":
        return bool(_AFTER_TABLE_LABEL.search(before) or _AFTER_ET_AL.search(before))
    return False


def _author_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the lines that carry flattened affiliation marks (`Smith1,*, Anna …`)."""
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        marks = [m.group("star") for m in _AUTHOR_MARK.finditer(line.group(0))]
        if "*" in marks or len(marks) >= 2:
            spans.append(line.span())
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans sorted and merged where they overlap, so one bisect finds a blocking span."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def find_markers(text: str, *, flattened: bool = False, max_ref: int = DEFAULT_MAX_REF,
                 parenthesised: bool = False) -> list[Marker]:
    """Every citation marker in reading order, naming refs 1..max_ref (pass the review's reference
    count); flattened=True also reads PDF-flattened plain digits, parenthesised=True numbers in
    round brackets."""
    markers: list[Marker] = []
    taken: list[tuple[int, int]] = []
    if parenthesised:
        for match in _PAREN.finditer(text):
            if not _paren_context_ok(text, match.start(), match.end()):
                continue
            refs = _parse_refs(match.group("paren"), max_ref)
            if refs:
                taken.append(match.span())
                markers.append(Marker(match.start(), match.end(), match.group(0), refs))
    for match in _MARKER.finditer(text):
        taken.append(match.span())
        if match.group("bracket") is not None:
            refs = _parse_refs(match.group("bracket"), max_ref)
        elif not _raised_context_ok(text, match.start(), match.end()):
            continue
        elif match.group("group") is not None:
            refs = _parse_refs(match.group("group"), max_ref)
        else:
            refs = _parse_refs(match.group("sup"), max_ref)
        if refs:
            markers.append(Marker(match.start(), match.end(), match.group(0), refs))
    if flattened:
        blocked = _merged(taken + _author_lines(text))
        block_starts = [span[0] for span in blocked]
        for match in _FLAT.finditer(text):
            start, end = match.span()
            nearest = bisect.bisect_left(block_starts, end) - 1
            if (nearest >= 0 and blocked[nearest][1] > start) or not _flat_context_ok(text, start, end):
                continue
            refs = _parse_refs(match.group("flat"), max_ref)
            if refs:
                markers.append(Marker(start, end, match.group(0), refs))
    if flattened or parenthesised:
        markers.sort(key=lambda marker: marker.start)
    return markers


def cited_refs(text: str, *, flattened: bool = False, max_ref: int = DEFAULT_MAX_REF,
               parenthesised: bool = False) -> tuple[int, ...]:
    """The refs the text cites, each once, in order of first appearance."""
    seen = dict.fromkeys(ref for marker in find_markers(text, flattened=flattened, max_ref=max_ref,
                                                        parenthesised=parenthesised)
                         for ref in marker.refs)
    return tuple(seen)


def format_refs(refs: Iterable[int]) -> str:
    """A bracket marker, sorted and unique, runs of three or more with an en dash: `[38, 41–43]`."""
    ordered = sorted(set(refs))
    if not ordered:
        return ""
    parts: list[str] = []
    run_start = previous = ordered[0]
    for ref in [*ordered[1:], None]:
        if ref is not None and ref == previous + 1:
            previous = ref
            continue
        if previous - run_start >= 2:
            parts.append(f"{run_start}–{previous}")
        else:
            parts.extend(str(r) for r in range(run_start, previous + 1))
        if ref is not None:
            run_start = previous = ref
    return "[" + ", ".join(parts) + "]"


def _marker_with_leading_space(text: str, marker: Marker) -> int:
    """Where a marker begins once the spaces or tabs printed before it are counted in."""
    start = marker.start
    while start > 0 and text[start - 1] in " \t\u00a0":
        start -= 1
    return start


def normalise_markers(text: str, *, flattened: bool = False, max_ref: int = DEFAULT_MAX_REF) -> str:
    """Replaces each marker, where it stands, by ` [refs]`: `al²² used` -> `al [22] used`,
    `stress.²⁷⁻³² Smith` -> `stress. [27–32] Smith`; other text is left as it is."""
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(text, flattened=flattened, max_ref=max_ref):
        pieces.append(text[cursor:_marker_with_leading_space(text, marker)])
        pieces.append(" " + format_refs(marker.refs))
        cursor = marker.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def strip_markers(text: str, *, flattened: bool = False, max_ref: int = DEFAULT_MAX_REF) -> str:
    """The text without citation markers (bracket ones too), affiliation marks or stray
    superscript digits, whitespace collapsed: the form quotes are compared in."""
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(text, flattened=flattened, max_ref=max_ref):
        pieces.append(text[cursor:_marker_with_leading_space(text, marker)])
        cursor = marker.end
    pieces.append(text[cursor:])
    return " ".join(_RESIDUE.sub("", "".join(pieces)).split())


# Author-year citations: "(Smith et al., 2019; Lee & Park, 2020a)", "Lee and Park (2020a)".
# A name is a capitalised word, with particles ("van der Steen") and up to four words
# ("Hollins Martin"); which tail of the words is the surname is decided against the list.
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ž"
_PARTICLES = r"(?:van|von|der|den|de|del|della|des|di|da|du|dos|das|le|la|ter|ten)"
_NAME = rf"(?:{_PARTICLES}[ \u00a0]+)*[{_UPPER}](?:[^\W\d_]|['’](?!s\b)(?=[^\W\d_])|-(?=[^\W\d_]))*"
_NAMES = rf"{_NAME}(?:[ \u00a0]+{_NAME}){{0,3}}"
_ET_AL = r"[ \u00a0]+et\.?[ \u00a0]+al\b\.?"
_COLLEAGUES = r"(?:colleagues|co-?workers|co-?authors)\b"
_HEAD = (
    rf"(?<![\w-])(?P<first>{_NAMES})(?P<rest>{_ET_AL}"
    rf"|[ \u00a0]+(?:and|&)[ \u00a0]+{_COLLEAGUES}"
    rf"|(?:[ \u00a0]*,[ \u00a0]*{_NAMES})*[ \u00a0]*,?[ \u00a0]+(?:and|&)[ \u00a0]+{_NAMES}(?:{_ET_AL})?)?"
    r"(?:['’]s?)?"
)
_YEAR = r"(?:(?:1[6-9]|20)\d{2}[a-z]?(?!\w)|n\.\s?d\.|in\s+press)"
_YEARS = rf"{_YEAR}(?:\s*,\s*(?:{_YEAR}|[a-z](?=\s*[;,)\]]|\s*$)))*"  # "2019, 2021", "2020a, b"
_PAGES = r"(?:\s*,\s*(?:pp?\.|pages?|chap\.|ch\.)\s*[\w–-]+)?"
_CITED_ITEM = re.compile(rf"{_HEAD}(?:\s*,\s*|\s+)(?P<years>{_YEARS}){_PAGES}(?=\s*(?:[;,)\]]|$))")
_NARRATIVE_HEAD = re.compile(rf"{_HEAD}[ \u00a0]*$")
_LEADING_YEARS = re.compile(rf"\s*(?P<years>{_YEARS}){_PAGES}\s*(?:;|$)")
_GROUP = re.compile(r"\((?P<round>[^()\n]{1,400})\)|\[(?P<square>[^\[\]\n]{1,400})\]")
_NARRATIVE_WINDOW = 200
_LIST_SEPARATOR = re.compile(r"\s*(?:,|&|\band\b)\s*")
# Capitalised words that stand before a year without being a name ("(March 2023)", "In 2019").
_NOT_NAMES = frozenset(
    "january february march april may june july august september october november december spring summer "
    "autumn fall winter in since from until before after during by of on at to for with between through "
    "the a an and see also eg cf as this these that table tables figure fig appendix section version wave "
    "phase year years however although thus recently".split()
)
_INITIALS = re.compile(r"[A-ZÀ-ÖØ-Þ](?:\.\s*-?\s*[A-ZÀ-ÖØ-Þ])*\.?|[A-ZÀ-ÖØ-Þ]{1,3}")  # "J. A", "J.-P", "JA"
_FOLD = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i",
                       "’": "'", "-": " ", "‐": " ", "‑": " "})
_REFERENCES_HEADING = re.compile(
    r"^[ \t]*(?:references|bibliography|works cited|literature cited|reference list)[ \t]*$", re.M | re.I)
CitationStyle = Literal["numbered", "author-year"]


@dataclass(frozen=True)
class AuthorYearMatch:
    """One author-year citation: its span and text (a name and its years), the refs it names,
    and whether several references fit it equally well (all are then given)."""

    start: int
    end: int
    raw: str
    refs: tuple[int, ...]
    ambiguous: bool
    narrative: bool  # "Smith et al. (2019)" rather than "(Smith et al., 2019)"


Words = tuple[tuple[int, str], ...]  # a name's words with their offsets in the text


@dataclass(frozen=True)
class _Cited:
    """An author-year citation as printed, before it is looked up in the reference list."""

    names: tuple[Words, ...]  # the authors named, first author first
    more_authors: bool  # "et al", "and colleagues"
    years: tuple[tuple[int | None, str], ...]  # (year or None for "n.d.", letter suffix)
    end: int
    narrative: bool

    @property
    def second(self) -> str:
        return " ".join(word for _, word in self.names[1]) if len(self.names) > 1 else ""

    @property
    def likely_name(self) -> bool:
        return any(_fold(word).strip(".") not in _NOT_NAMES for name in self.names for _, word in name)


@dataclass(frozen=True)
class _Entry:
    """What a citation is matched on in one reference: folded surnames, author count, year."""

    ref: int
    surname: str
    second: str
    authors: int
    year: int | None
    suffix: str  # the letter printed after the year in the list ("2020a"), else ""


def _fold(text: str) -> str:
    """Lower case without diacritics, hyphens as spaces: `Jiménez-Gómez` -> `jimenez gomez`."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _years(raw: str) -> tuple[tuple[int | None, str], ...]:
    """`2019, 2021` -> ((2019, ""), (2021, "")); `2020a, b` -> ((2020, "a"), (2020, "b"))."""
    years: list[tuple[int | None, str]] = []
    for token in re.split(r"\s*,\s*", raw.strip()):
        digits = re.fullmatch(r"(\d{4})([a-z]?)", token)
        if digits:
            years.append((int(digits.group(1)), digits.group(2)))
        elif len(token) == 1 and years:
            years.append((years[-1][0], token))
        else:
            years.append((None, ""))  # "n.d.", "in press"
    return tuple(years)


def _cited(head: re.Match[str], years: str, end: int, narrative: bool, offset: int = 0) -> _Cited:
    """The citation whose names `head` matched, with these years; `offset` places a match made
    inside a parenthesis in the whole text."""
    def words(name: str, at: int) -> Words:
        return tuple((offset + at + word.start(), word.group(0)) for word in re.finditer(r"\S+", name))

    rest = head.group("rest") or ""
    names = [words(head.group("first"), head.start("first"))]
    names += [words(name.group(0), head.start("rest") + name.start()) for name in re.finditer(_NAMES, rest)]
    more = bool(re.search(_ET_AL, rest) or re.search(_COLLEAGUES, rest))
    return _Cited(tuple(names), more, _years(years), offset + end, narrative)


def _scan(text: str) -> Iterator[_Cited]:
    """Every author-year citation as printed, in reading order, whether or not a reference fits."""
    for group in _GROUP.finditer(text):
        key = "round" if group.group("round") is not None else "square"
        content, offset = group.group(key), group.start(key)
        cursor = 0
        leading = _LEADING_YEARS.match(content)
        if leading and key == "round":  # "Smith et al. (2019)": the name stands before the parenthesis
            head = _NARRATIVE_HEAD.search(text, max(0, group.start() - _NARRATIVE_WINDOW), group.start())
            if head:
                yield _cited(head, leading.group("years"), group.end(), narrative=True)
            cursor = leading.end()
        for item in _CITED_ITEM.finditer(content, cursor):
            yield _cited(item, item.group("years"), item.end(), narrative=False, offset=offset)


def _surnames(authors: str) -> tuple[list[str], bool]:
    """The authors' surnames in order from `Smith AB, Lee C, et al.` or `Smith, A. B., & Lee, C.`,
    and whether the list ends in "et al"."""
    surnames: list[str] = []
    et_al = False
    for chunk in _LIST_SEPARATOR.split(authors):
        chunk = chunk.strip(" .")
        if not chunk:
            continue
        if re.fullmatch(r"et\.?\s*al", chunk):
            et_al = True
        elif not (surnames and _INITIALS.fullmatch(chunk)):  # "A. B" after a comma: the previous name's initials
            tokens = chunk.split()
            if len(tokens) > 1 and re.fullmatch(r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ.-]{0,5}", tokens[-1]):
                tokens = tokens[:-1]  # Vancouver initials: "Hollins Martin CJ" -> "Hollins Martin"
            surnames.append(" ".join(tokens))
    return surnames, et_al


@lru_cache(maxsize=8)  # a review's list is read once, not once a sentence
def _entries(references: tuple[Reference, ...]) -> tuple[_Entry, ...]:
    entries: list[_Entry] = []
    for reference in references:
        surnames, et_al = _surnames(reference.authors)
        if not surnames:
            continue
        suffix = ""
        if reference.year is not None:
            printed = re.search(rf"(?<!\d){reference.year}([a-z])(?![^\W\d_])", reference.text)
            suffix = printed.group(1) if printed else ""
        entries.append(_Entry(reference.ref, _fold(surnames[0]), _fold(surnames[1]) if len(surnames) > 1 else "",
                              max(len(surnames), 3) if et_al else len(surnames), reference.year, suffix))
    return tuple(entries)


def _first_author_matches(
    words: Sequence[str], year: int | None, entries: Sequence[_Entry]
) -> tuple[list[_Entry], int]:
    """The entries of this year whose first author is the longest tail of `words` that is a
    surname in the list, and where that tail starts. Failing that, the entries of the one
    surname of that year that is one edit away (a misprint such as `Kowalcyzk`)."""
    keys = [_fold(" ".join(words[i:])).strip(".") for i in range(len(words))]
    known = {entry.surname for entry in entries}
    for index, key in enumerate(keys):
        if key in known:
            return [e for e in entries if e.surname == key and e.year == year], index
    for index, key in enumerate(keys):
        if len(key) >= 4:
            close = [e for e in entries if e.year == year and OSA.distance(key, e.surname, score_cutoff=1) <= 1]
            if len({e.surname for e in close}) == 1:
                return close, index
    return [], 0


def _narrowed(found: list[_Entry], cited: _Cited, suffix: str) -> list[_Entry]:
    """The candidates that also fit the co-authors named and the year's letter (a = first in the list)."""
    if cited.second:
        rules = [[e for e in found if e.second == _fold(cited.second)]]
    elif cited.more_authors:
        rules = [[e for e in found if e.authors >= 3], [e for e in found if e.authors >= 2]]
    else:
        rules = [[e for e in found if e.authors == 1]]
    found = next((kept for kept in rules if kept), found)
    if suffix and len(found) > 1:
        printed = [e for e in found if e.suffix == suffix]
        index = ord(suffix) - ord("a")
        if len(printed) == 1:
            found = printed
        elif not any(e.suffix for e in found) and index < len(found):
            found = [found[index]]
    return found


def author_year_citations(text: str, references: Sequence[Reference]) -> list[AuthorYearMatch]:
    """Every author-year citation in reading order, each linked by first-author surname (accents
    and case ignored) and year to the references it names; a citation that fits several
    references equally gives them all with ambiguous=True, one that fits none gives refs ()."""
    entries = _entries(tuple(references))
    matches: list[AuthorYearMatch] = []
    for printed in _scan(text):
        cited = printed
        while True:
            refs, ambiguous, start = _linked(cited, entries)
            if refs or len(cited.names) < 2:
                break
            # "However, Lee and Park (2020)": the first word was no author; the next name is
            cited = _Cited(cited.names[1:], cited.more_authors, cited.years, cited.end, cited.narrative)
        if refs or printed.likely_name:
            start = start if refs else printed.names[0][0][0]
            matches.append(AuthorYearMatch(start, printed.end, text[start:printed.end], refs, ambiguous,
                                           printed.narrative))
    return sorted(matches, key=lambda match: match.start)


def _linked(cited: _Cited, entries: Sequence[_Entry]) -> tuple[tuple[int, ...], bool, int]:
    """The refs a citation names, whether any of its years fits several entries, and where the
    matched first-author name starts."""
    first = cited.names[0]
    refs: list[int] = []
    ambiguous = False
    start = first[0][0]
    for year, suffix in cited.years:
        found, tail = _first_author_matches([word for _, word in first], year, entries)
        found = _narrowed(found, cited, suffix)
        if found and not refs:
            start = first[tail][0]
        refs.extend(e.ref for e in found)
        ambiguous = ambiguous or len(found) > 1
    return tuple(dict.fromkeys(refs)), ambiguous, start


def author_year_refs(text: str, references: Sequence[Reference]) -> tuple[int, ...]:
    """The refs the text's author-year citations name, each once, in order of first appearance."""
    return tuple(dict.fromkeys(ref for match in author_year_citations(text, references) for ref in match.refs))


def review_body(text: str) -> str:
    """The review's text before its last references heading (all of it when there is none)."""
    headings = list(_REFERENCES_HEADING.finditer(text))
    return text[:headings[-1].start()] if headings else text


def detect_citation_style(text: str, *, flattened: bool = False) -> CitationStyle:
    """The review's citation style: "author-year" when its body (the text before a references
    heading) holds more author-year citations than numbered markers, else "numbered"."""
    body = review_body(text)
    numbered = len(find_markers(body, flattened=flattened))
    author_year = sum(1 for cited in _scan(body) if cited.likely_name)
    return "author-year" if author_year > numbered else "numbered"


@dataclass(frozen=True)
class CitationReader:
    """How one review's citations are read: its style (detected once, from its body), its
    reference list, and whether its text is PDF-flattened. `refs` gives a piece of its text the
    refs it cites in either style, so what is built on refs needs no second path."""

    style: CitationStyle
    references: tuple[Reference, ...]
    flattened: bool = False
    max_ref: int = DEFAULT_MAX_REF  # the highest number a numbered marker may name
    parenthesised: bool = False  # numbered markers stand in round brackets: "(18, 19)"

    def refs(self, text: str) -> tuple[int, ...]:
        """The refs the text cites, each once, in order of first appearance."""
        if self.style == "author-year":
            return author_year_refs(text, self.references)
        return cited_refs(text, flattened=self.flattened, max_ref=self.max_ref, parenthesised=self.parenthesised)


# A review cites in round brackets when these bracketed numbers far outnumber its other markers.
_PARENTHESISED_MIN = 10


def citation_reader(review_text: str, references: Sequence[Reference], *, flattened: bool = False) -> CitationReader:
    """The reader of this review's citations, its style detected from its body: superscripts or
    square brackets, round brackets ("(18, 19)"), or author-year."""
    max_ref = len(references) or DEFAULT_MAX_REF
    body = review_body(review_text)
    marked = len(find_markers(body, flattened=flattened, max_ref=max_ref))
    in_parentheses = len(find_markers(body, max_ref=max_ref, parenthesised=True)) - len(find_markers(body, max_ref=max_ref))
    if in_parentheses >= _PARENTHESISED_MIN and in_parentheses > 3 * marked:
        return CitationReader("numbered", tuple(references), flattened, max_ref, parenthesised=True)
    return CitationReader(detect_citation_style(review_text, flattened=flattened), tuple(references), flattened, max_ref)


@dataclass(frozen=True)
class CitationReport:
    """How a review's author-year citations linked to its reference list: how many named exactly
    one entry's refs, how many fitted several entries equally (all are linked), and which fitted
    none, as printed."""

    style: CitationStyle
    matched: int
    ambiguous: tuple[str, ...]
    unmatched: tuple[str, ...]

    def describe(self, shown: int = 20) -> tuple[str, ...]:
        """The report's lines: one with the counts, one listing the unmatched citations."""
        total = self.matched + len(self.ambiguous) + len(self.unmatched)
        lines = [f"Citations ({self.style}): {total} found, {self.matched} matched one reference, "
                 f"{len(self.ambiguous)} ambiguous (linked to every fitting reference), {len(self.unmatched)} unmatched."]
        if self.ambiguous:
            more = f" and {len(self.ambiguous) - shown} more" if len(self.ambiguous) > shown else ""
            lines.append("Ambiguous citations: " + "; ".join(self.ambiguous[:shown]) + more + ".")
        if self.unmatched:
            more = f" and {len(self.unmatched) - shown} more" if len(self.unmatched) > shown else ""
            lines.append("Unmatched citations (no reference of that first author and year): "
                         + "; ".join(self.unmatched[:shown]) + more + ".")
        return tuple(lines)


def author_year_report(review_text: str, references: Sequence[Reference]) -> CitationReport:
    """The author-year citations of the review's body counted against its reference list."""
    found = author_year_citations(review_body(review_text), references)
    return CitationReport(
        style="author-year",
        matched=sum(1 for match in found if match.refs and not match.ambiguous),
        ambiguous=tuple(" ".join(match.raw.split()) for match in found if match.ambiguous),
        unmatched=tuple(" ".join(match.raw.split()) for match in found if not match.refs),
    )
