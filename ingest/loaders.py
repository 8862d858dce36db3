"""Reading corpus files from disk: text, PDF and JSONL digests, each failure a CorpusReadError.

Every message names the file, the problem and what to do. What a loader had to guess (a text
encoding) is kept in `LoadedFile.notes`; what it had to leave out (a broken digest line, a page
pypdf could not read) in `LoadedFile.problems`, which `load_sources` reports with the unreadable
files. PDF page texts, with the paragraph gaps and table columns of pypdf's layout text carried in
(`ingest.pdf_layout.with_layout`), are turned into the plain-text layout by the pure `normalise_pdf_pages`.
"""
from __future__ import annotations

import codecs
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader
from pypdf.errors import DependencyError

from common.errors import CorpusReadError
from ingest.pdf_layout import with_layout
from ingest.records import Digest

TEXT_SUFFIXES = (".txt", ".md")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".jsonl")


@dataclass(frozen=True)
class LoadedFile:
    """One corpus file as read: its text (text and PDF files) or its digests (.jsonl files).

    `notes` say how it was read when that was a guess (e.g. the encoding detected); `problems`
    name the parts that were left out (e.g. a broken digest line), each a one-line message."""

    path: Path
    kind: Literal["text", "pdf", "digests"]
    text: str
    digests: tuple[Digest, ...]
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def _not_a_file(path: Path) -> CorpusReadError:
    if path.is_dir():
        return CorpusReadError(f"{path}: is a folder, not a file. Name the files inside it.")
    return CorpusReadError(f"{path}: no such file. Check the path, or restore it from the corpus.")


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise _not_a_file(path) from None
    except OSError as error:
        raise CorpusReadError(f"{path}: cannot be read ({error.strerror or error}). Check its permissions.") from None
    if not data.strip():
        what = "is empty (0 bytes)" if not data else "is empty (only blank space)"
        raise CorpusReadError(f"{path}: {what}. Put the document's content in it, or leave it out.")
    return data


# --- Text ----------------------------------------------------------------------------------

_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAX_CHAOS = 0.1  # charset-normalizer's "mess" ratio: above it the decoded text looks garbled
_MIN_COHERENCE = 0.2  # its language evidence: below it (e.g. a few words) any 8-bit code page fits
_COHERENCE_TIE = 0.15  # matches this close to the most coherent one count as equally likely
_PREFERRED_8BIT = "cp1252"  # the usual legacy encoding; code pages that decode the bytes alike tie with it


def decode_text(data: bytes, path: Path) -> tuple[str, str | None]:
    """The text of `data` and a note naming the encoding when it was not UTF-8. UTF-8 (with or
    without a byte-order mark) and UTF-16/32 with a mark are read as such; anything else is
    decoded only when charset-normalizer is confident, otherwise it is refused."""
    if data.startswith(b"%PDF-"):
        raise CorpusReadError(f"{path}: is a PDF with a text file's name. Rename it to {path.stem}.pdf.")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), f"{path}: decoded as {encoding.upper()} (byte-order mark)."
            except UnicodeDecodeError:
                raise CorpusReadError(
                    f"{path}: starts with a {encoding.upper()} byte-order mark but is not valid "
                    f"{encoding.upper()}. Re-save it as UTF-8."
                ) from None
    offset = data.find(b"\x00")  # NUL is valid UTF-8 but no text has it: UTF-16 without a mark, or binary
    if offset < 0:
        try:
            return data.decode("utf-8-sig"), None
        except UnicodeDecodeError as error:
            offset = error.start
    import charset_normalizer  # only files that are not UTF-8 pay for the import

    matches = [m for m in charset_normalizer.from_bytes(data) if m.chaos <= _MAX_CHAOS]
    if matches:
        best_coherence = max(m.coherence for m in matches)
        close = [m for m in matches if m.coherence >= best_coherence - _COHERENCE_TIE]
        chosen = next((m for m in close if _PREFERRED_8BIT in m.could_be_from_charset), close[0])
        encoding = _PREFERRED_8BIT if _PREFERRED_8BIT in chosen.could_be_from_charset else chosen.encoding
        text = data.decode(encoding)
        if chosen.coherence >= _MIN_COHERENCE and "\x00" not in text:
            return text, (f"{path}: not UTF-8; decoded as {encoding} (detected by charset-normalizer). "
                          "Re-save it as UTF-8 to be sure every character is right.")
    if b"\x00" in data:
        raise CorpusReadError(
            f"{path}: binary data, not text (NUL byte at offset {offset}). "
            f"Supply the document as UTF-8 text or as one of {', '.join(SUPPORTED_SUFFIXES)}."
        )
    raise CorpusReadError(
        f"{path}: not UTF-8 text (undecodable byte at offset {offset}) and its encoding could not be "
        "detected with confidence. Re-save it as UTF-8."
    )


def _read_text(path: Path) -> tuple[str, tuple[str, ...]]:
    text, note = decode_text(_read_bytes(path), path)
    # Windows and old Mac line endings: every reader after this one splits lines on "\n" alone.
    return text.replace("\r\n", "\n").replace("\r", "\n"), (note,) if note else ()


def read_text_file(path: str | Path) -> str:
    """The file's text: UTF-8 (a leading byte-order mark is dropped), or another encoding
    detected with confidence, which is then named in a warning. An empty file is an error."""
    text, notes = _read_text(Path(path))
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return text


# --- PDF -----------------------------------------------------------------------------------

def _not_a_pdf(path: Path, data: bytes) -> CorpusReadError:
    try:
        data[:2048].decode("utf-8")
        looks = "it holds plain text"
        advice = f"If that is the document's text, rename it to {path.stem}.txt"
    except UnicodeDecodeError:
        looks = "its first bytes are not a PDF header"
        advice = "Export or download the PDF again"
    return CorpusReadError(f"{path}: not a PDF ({looks}, no %PDF- header). {advice}.")


def _read_pdf(path: Path) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The normalised text, the notes and the problems (pages left out) of one PDF."""
    if path.is_dir():
        raise _not_a_file(path)
    data = _read_bytes(path)
    if b"%PDF-" not in data[:1024]:  # readers accept junk before the header, within the first 1 KB
        raise _not_a_pdf(path, data)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusReadError(f"{path}: the PDF is password-protected. Save an unprotected copy and retry.")
        pages = list(reader.pages)
    except CorpusReadError:
        raise
    except DependencyError as error:  # AES-encrypted, and no cryptography package to decrypt it
        raise CorpusReadError(
            f"{path}: the PDF is encrypted and pypdf cannot decrypt it here ({error}). "
            "Save an unprotected copy and retry."
        ) from None
    except Exception as error:  # pypdf raises many types on damaged files; all mean "cannot open"
        truncated = "; it looks truncated, no %%EOF marker at its end" if b"%%EOF" not in data[-2048:] else ""
        raise CorpusReadError(
            f"{path}: pypdf could not open it as a PDF ({type(error).__name__}: {error}{truncated}). "
            "Check that it is a complete, undamaged PDF, or supply the text as .txt instead."
        ) from None
    if not pages:
        raise CorpusReadError(f"{path}: the PDF has no pages (it may be truncated). Export or download it again.")
    texts: list[str] = []
    problems: list[str] = []
    blank: list[int] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as error:  # one bad page should not lose the rest of the document
            problems.append(f"{path}: page {number} skipped, its text could not be extracted ({error}).")
            continue
        try:
            text = with_layout(text, page.extract_text(extraction_mode="layout") or "")
        except Exception as error:  # the plain text still serves, without gaps and table columns
            problems.append(f"{path}: page {number} read without its layout ({error}): tables on it are not read as tables.")
        texts.append(text)
        if not text.strip():
            blank.append(number)
    if len(blank) == len(pages):
        raise CorpusReadError(
            f"{path}: no extractable text on any of its {len(pages)} pages (probably scanned images). "
            "Run OCR on it first (e.g. `ocrmypdf in.pdf out.pdf`), or supply the text as .txt."
        )
    if not any(t.strip() for t in texts):
        raise CorpusReadError(
            f"{path}: the text of none of its {len(pages)} pages could be extracted (the PDF looks damaged). "
            "Export or download it again, or supply the text as .txt."
        )
    notes = (f"{path}: pages {', '.join(map(str, blank))} have no extractable text (images only?); "
             "their content is missing.",) if blank else ()
    return normalise_pdf_pages(texts), notes, tuple(problems)


def read_pdf(path: str | Path) -> str:
    """The document's text in the plain-text layout (see `normalise_pdf_pages`); a page pypdf
    cannot extract is skipped with a warning. Superscript citations come out as plain digits
    (`et al22`)."""
    text, _, problems = _read_pdf(Path(path))
    for problem in problems:
        warnings.warn(problem, stacklevel=2)
    return text


# Running headers and footers: lines at the top or bottom of a page whose shape (digits aside)
# recurs on at least half of the pages.
_EDGE_LINES = 3
_WORD = r"[^\W\d_]+"
_HYPHEN_END = re.compile(rf"({_WORD})-$")
_FIRST_WORD = re.compile(rf"^{_WORD}")
_ENTRY_START = re.compile(r"^\[?(\d{1,4})(?:\]|\.|\))\s+\S")  # "12. ", "[12] " or "12) "
_FULL_LINE = 0.8  # a line at least this share of the usual line length was wrapped, not ended


def _shape(line: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", line)).strip().casefold()


def _without_running_lines(pages: list[list[tuple[str, bool]]]) -> list[list[tuple[str, bool]]]:
    """Each page without the lines at its top or bottom whose shape recurs at the edges of
    at least half of the pages (journal name, "Page 3 of 12", a bare page number). A line is
    given with whether a blank line stood before it on its page."""
    if len(pages) < 2:
        return pages
    seen: Counter[str] = Counter()
    for lines in pages:
        seen.update({_shape(line) for line, _ in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]})
    running = {shape for shape, count in seen.items() if count >= max(2, math.ceil(len(pages) / 2))}
    kept = []
    for lines in pages:
        start, end = 0, len(lines)
        while start < min(end, _EDGE_LINES) and _shape(lines[start][0]) in running:
            start += 1
        while end > max(start, len(lines) - _EDGE_LINES) and _shape(lines[end - 1][0]) in running:
            end -= 1
        kept.append(lines[start:end])
    return kept


def _lines_with_gaps(page: str) -> list[tuple[str, bool]]:
    """A page's non-blank lines, stripped, each with whether a blank line (a vertical gap) stood before it."""
    lines: list[tuple[str, bool]] = []
    gap = False
    for line in page.replace("\x00", "\ufffd").splitlines():  # pypdf writes NUL for an unmapped glyph
        if line.strip():
            lines.append((line.strip(), gap and bool(lines)))
            gap = False
        else:
            gap = True
    return lines


def _lower_word_start(line: str) -> str | None:
    match = _FIRST_WORD.match(line)
    return match.group() if match and match.group()[0].islower() else None


@dataclass(frozen=True)
class _Vocabulary:
    """The words and hyphenated pairs of a text, the pieces of line-end breaks left out."""

    words: frozenset[str]
    compounds: frozenset[str]  # "self-compassion", and each adjacent pair of a longer compound
    prefixes: frozenset[str]  # "self" when the text has "self-..." compounds

    @classmethod
    def of(cls, lines: list[str]) -> _Vocabulary:
        words: set[str] = set()
        compounds: set[str] = set()
        for index, line in enumerate(lines):
            tokens = re.findall(rf"{_WORD}(?:-{_WORD})*", line.casefold())
            if _HYPHEN_END.search(line) and index + 1 < len(lines) and _lower_word_start(lines[index + 1]):
                tokens = tokens[:-1]
            if index and _HYPHEN_END.search(lines[index - 1]) and _lower_word_start(line):
                tokens = tokens[1:]
            for token in tokens:
                parts = token.split("-")
                words.update(parts)
                compounds.update(f"{a}-{b}" for a, b in zip(parts, parts[1:]))
        prefixes = {compound.split("-")[0] for compound in compounds}
        return cls(frozenset(words), frozenset(compounds), frozenset(prefixes))

    def join(self, head: str, tail: str) -> str:
        """`head-` at a line end and `tail` starting the next line as one word: the hyphen
        stays for a compound the text uses elsewhere (self-compassion), or whose first part
        it uses in compounds, or whose both parts are words it uses while the joined word is
        not; otherwise the word was broken to fit and is rejoined (exer-cise)."""
        first, second = head.casefold(), tail.casefold()
        if f"{first}-{second}" in self.compounds:
            return f"{head}-{tail}"
        if first + second in self.words:
            return head + tail
        both_words = len(first) > 2 and len(second) > 2 and first in self.words and second in self.words
        return f"{head}-{tail}" if first in self.prefixes or both_words else head + tail


def _is_heading(line: str, previous: str, usual: int) -> bool:
    """A short capitalised line without a full stop, after a sentence's end: "Results"."""
    return (len(line) < _FULL_LINE * usual / 2 and line[:1].isupper() and not line.endswith((".", ",", ";"))
            and previous.endswith((".", "?", "!")))


def normalise_pdf_pages(pages: list[str]) -> str:
    """pypdf page texts as one text in the plain-text layout: running headers and footers
    dropped, wrapped lines (also across pages) joined into one line a paragraph that a blank line
    on the page (a vertical gap) or the shape of the lines ends, words broken
    by a line-end hyphen rejoined, paragraphs separated by a blank line, and numbered entries
    (a reference list) and tab-separated rows one a line."""
    # a gap at the top of a page is only the space below a running header: the page break decides
    kept = [(line, gap and index > 0) for page in _without_running_lines([_lines_with_gaps(page) for page in pages])
            for index, (line, gap) in enumerate(page)]
    if not kept:
        return ""
    lines = [line for line, _ in kept]
    gaps = [gap for _, gap in kept]
    lengths = sorted(len(line) for line in lines if "\t" not in line) or [0]
    usual = lengths[min(len(lengths) - 1, int(len(lengths) * 0.9))]
    vocabulary = _Vocabulary.of(lines)
    paragraphs: list[list[str]] = [[lines[0]]]  # each paragraph's pieces, joined once at the end
    last_entry = int(m.group(1)) if (m := _ENTRY_START.match(lines[0])) else 0
    in_entry = last_entry > 0  # the paragraph being built is an entry of a numbered list
    for previous, line, gap in zip(lines, lines[1:], gaps[1:]):
        entry = _ENTRY_START.match(line)
        next_entry = bool(entry) and last_entry > 0 and int(entry.group(1)) == last_entry + 1
        broken = _HYPHEN_END.search(previous)
        tail = _lower_word_start(line)
        pieces = paragraphs[-1]
        if "\t" in previous or "\t" in line or next_entry:
            pieces = []
        elif broken and tail:
            # each piece ends as its line does, so the broken word is the end of the last piece
            pieces[-1] = pieces[-1][: len(pieces[-1]) - len(broken.group())]
            line = vocabulary.join(broken.group(1), tail) + line[len(tail):]
        elif broken and line[:1].isalnum():  # Okonkwo-\nHale, PHQ-\n9: a compound cut at its hyphen
            pass
        elif gap:  # a blank line on the page: the space printed between paragraphs
            pieces = []
        elif in_entry and not entry and not line[:1].isupper():
            pieces.append(" ")  # "doi:10…" or "2020;17(2)…" wrapped after a short line: still the entry
        elif _is_heading(line, previous, usual):
            pieces = []
        elif len(previous) >= _FULL_LINE * usual:
            pieces.append(" ")
        else:
            pieces = []
        if not pieces:
            paragraphs.append(pieces)
            last_entry = int(entry.group(1)) if entry else last_entry
            in_entry = bool(entry) and last_entry > 0
        pieces.append(line)
    texts = ["".join(pieces) for pieces in paragraphs]
    out = [texts[0]]
    for previous, paragraph in zip(texts, texts[1:]):
        listed = all(_ENTRY_START.match(p) or "\t" in p for p in (previous, paragraph))
        out += ["\n" if listed else "\n\n", paragraph]
    return "".join(out)


# --- Digests -------------------------------------------------------------------------------

def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _digest_from(record: Any, path: Path, line_number: int) -> Digest:
    """One digest record; a record that is not an object with an integer `ref` is an error."""
    where = f"{path}, line {line_number}"
    if not isinstance(record, dict):
        raise CorpusReadError(f"{where}: expected a JSON object, found {type(record).__name__}. Fix that line.")
    ref = record.get("ref")
    if isinstance(ref, bool) or not isinstance(ref, int):
        raise CorpusReadError(f"{where}: `ref` must be the reference number (an integer), found {ref!r}.")
    findings = record.get("key_findings") or ()
    if isinstance(findings, str) or not isinstance(findings, (list, tuple)):
        raise CorpusReadError(f"{where}: `key_findings` must be a list of sentences.")
    digest = record.get("digest") or ""
    return Digest(
        ref=ref,
        found=bool(record.get("found", bool(digest))),
        source_url=_optional_text(record.get("source_url")),
        study_type=_optional_text(record.get("study_type")),
        participants=_optional_text(record.get("participants")),
        n=_optional_text(record.get("n")),
        digest=str(digest),
        key_findings=tuple(str(finding) for finding in findings),
    )


def parse_digest_lines(text: str, path: Path) -> tuple[tuple[Digest, ...], tuple[str, ...]]:
    """The digests of a JSONL text (one JSON object a line, blank lines ignored), in file order,
    and one message per broken line, naming its line number."""
    digests: list[Digest] = []
    problems: list[str] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            problems.append(f"{path}, line {line_number}: not valid JSON ({error.msg}, column {error.colno}). "
                            "Fix or remove that line.")
            continue
        except RecursionError:
            problems.append(f"{path}, line {line_number}: JSON nested too deeply. Fix or remove that line.")
            continue
        try:
            digests.append(_digest_from(record, path, line_number))
        except CorpusReadError as error:
            problems.append(str(error))
    return tuple(digests), tuple(problems)


def _read_digest_file(path: Path) -> tuple[tuple[Digest, ...], tuple[str, ...], tuple[str, ...]]:
    text, notes = _read_text(path)
    digests, problems = parse_digest_lines(text, path)
    if problems and not digests:
        raise CorpusReadError(
            f"{path}: none of its lines is a digest (first: {problems[0].removeprefix(f'{path}, ')}) "
            "Check that it is a digests file: one JSON object a line, each with a `ref` number."
        )
    return digests, notes, problems


def read_digests(path: str | Path) -> tuple[Digest, ...]:
    """Every digest of a JSONL file, in file order; the first broken line is an error (`load_file`
    instead skips broken lines and reports them)."""
    digests, _, problems = _read_digest_file(Path(path))
    if problems:
        raise CorpusReadError(problems[0])
    return digests


# --- Files and folders ---------------------------------------------------------------------

def load_file(path: str | Path) -> LoadedFile:
    """One corpus file, read according to its suffix (.txt, .md, .pdf or .jsonl). In a .jsonl
    file the good lines are kept and each broken line is one of `problems`; a file with no good
    line is an error."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text, notes = _read_text(path)
        return LoadedFile(path, "text", text, (), notes)
    if suffix == ".pdf":
        text, notes, problems = _read_pdf(path)
        return LoadedFile(path, "pdf", text, (), notes, problems)
    if suffix == ".jsonl":
        digests, notes, problems = _read_digest_file(path)
        return LoadedFile(path, "digests", "", digests, notes, problems)
    if path.is_dir():
        raise _not_a_file(path)
    raise CorpusReadError(
        f"{path}: unsupported file type '{path.suffix or '(none)'}'. Use one of {', '.join(SUPPORTED_SUFFIXES)}."
    )


def _expand(path: Path) -> tuple[list[Path], list[str]]:
    """A folder's supported files (not its sub-folders or hidden files), sorted by name, and a
    message for each other file in it; any other path as it is."""
    if not path.is_dir():
        return [path], []
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    supported = [p for p in files if p.suffix.lower() in SUPPORTED_SUFFIXES]
    skipped = [f"{p}: unsupported file type '{p.suffix or '(none)'}' in the folder, left out. "
               f"Use one of {', '.join(SUPPORTED_SUFFIXES)}." for p in files if p not in supported]
    if not supported:
        skipped.append(f"{path}: the folder holds no {', '.join(SUPPORTED_SUFFIXES)} files. Name the files to read.")
    return supported, skipped


def load_sources(paths: Iterable[str | Path]) -> tuple[list[LoadedFile], list[str]]:
    """Every readable file (a folder stands for its supported files), plus one line per file
    that could not be read and per part of a file that was left out, so one bad file or line
    does not stop the others from loading."""
    loaded: list[LoadedFile] = []
    problems: list[str] = []
    for given in paths:
        files, skipped = _expand(Path(given))
        problems += skipped
        for path in files:
            try:
                loaded.append(file := load_file(path))
            except CorpusReadError as error:
                problems.append(str(error))
                continue
            problems += file.problems
    return loaded, problems
