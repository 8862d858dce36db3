"""Citation markers of the review: find them, read their refs, strip or normalise them.

Hand-written because the marker forms (glued superscripts, `^{…}` groups, table-row
markers after a space, PDF-flattened digits) are particular to this corpus.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_REF = 68
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
_ITEM = re.compile(f"^\\s*(\\d{{1,3}})\\s*(?:[{_DASHES}]\\s*(\\d{{1,3}})\\s*)?$")
_AFFILIATION_AFTER = re.compile(r",\s*(?:\*|[A-ZÀ-Þ])")  # "Crego¹,*, José", "Matías1, María"
# Glued digits before ",*" or before ", Name" twice in a line mark the author line: none of it cites.
_AUTHOR_MARK = re.compile(r"[^\W\d_]\d[\d,]*,\s*(?:(?P<star>\*)|[A-ZÀ-Þ])")
_AFTER_TABLE_LABEL = re.compile(r"\(\d{4}[a-z]?\)\.\s*$")  # "Eriksson et al (2018). 22"
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
        return False  # "¹Department …", "Crego¹,*, José"
    before = text[max(0, start - _WINDOW):start]
    stripped = before.rstrip(" \t\u00a0")
    if not stripped or stripped.endswith("\n"):
        return False  # a marker opening a line is a footnote mark
    if len(stripped) < len(before):
        return stripped[-1] in ".)"  # table rows: "Eriksson et al (2018). ²²"
    return not stripped[-1].isdigit()


def _flat_context_ok(text: str, start: int, end: int) -> bool:
    """Plain digits cite only where a flattened superscript would stand (see module tests)."""
    if _AFFILIATION_AFTER.match(text, end):
        return False
    before = text[max(0, start - _WINDOW):start]
    previous = before[-1:] if before else ""
    if not previous or previous == "\n":
        return False
    if previous.isalpha():
        return previous.islower()  # "al22", "Neff's1"; never "PHQ9" or a line-start number
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
    """Spans of the lines that carry flattened affiliation marks (`Crego1,*, José …`)."""
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


def find_markers(text: str, *, flattened: bool = False, max_ref: int = MAX_REF) -> list[Marker]:
    """Every citation marker in reading order; flattened=True also reads PDF-flattened plain digits."""
    markers: list[Marker] = []
    taken: list[tuple[int, int]] = []
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
        markers.sort(key=lambda marker: marker.start)
    return markers


def cited_refs(text: str, *, flattened: bool = False, max_ref: int = MAX_REF) -> tuple[int, ...]:
    """The refs the text cites, each once, in order of first appearance."""
    seen = dict.fromkeys(ref for marker in find_markers(text, flattened=flattened, max_ref=max_ref)
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


def normalise_markers(text: str, *, flattened: bool = False) -> str:
    """Replaces each marker, where it stands, by ` [refs]`: `al²² used` -> `al [22] used`,
    `burnout.²⁷⁻³² McCade` -> `burnout. [27–32] McCade`; other text is left as it is."""
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(text, flattened=flattened):
        pieces.append(text[cursor:_marker_with_leading_space(text, marker)])
        pieces.append(" " + format_refs(marker.refs))
        cursor = marker.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def strip_markers(text: str, *, flattened: bool = False) -> str:
    """The text without citation markers (bracket ones too), affiliation marks or stray
    superscript digits, whitespace collapsed: the form quotes are compared in."""
    pieces: list[str] = []
    cursor = 0
    for marker in find_markers(text, flattened=flattened):
        pieces.append(text[cursor:_marker_with_leading_space(text, marker)])
        cursor = marker.end
    pieces.append(text[cursor:])
    return " ".join(_RESIDUE.sub("", "".join(pieces)).split())
