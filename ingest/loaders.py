"""Reading corpus files from disk: text, PDF and JSONL digests, each failure a CorpusReadError."""
from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader

from ingest.errors import CorpusReadError
from ingest.records import Digest

TEXT_SUFFIXES = (".txt", ".md")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".pdf", ".jsonl")


@dataclass(frozen=True)
class LoadedFile:
    """One corpus file as read: its text (text and PDF files) or its digests (.jsonl files)."""

    path: Path
    kind: Literal["text", "pdf", "digests"]
    text: str
    digests: tuple[Digest, ...]


def _not_a_file(path: Path) -> CorpusReadError:
    if path.is_dir():
        return CorpusReadError(f"{path}: is a folder, not a file. Name the files inside it.")
    return CorpusReadError(f"{path}: no such file. Check the path, or restore it from the corpus.")


def read_text_file(path: str | Path) -> str:
    """The file's text, decoded as UTF-8 (a leading byte-order mark is dropped)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, IsADirectoryError):
        raise _not_a_file(path) from None
    except UnicodeDecodeError as error:
        raise CorpusReadError(
            f"{path}: not UTF-8 text (undecodable byte at offset {error.start}). Re-save it as UTF-8."
        ) from None
    except OSError as error:
        raise CorpusReadError(f"{path}: cannot be read ({error.strerror or error}). Check its permissions.") from None


def read_pdf(path: str | Path) -> str:
    """The text of every page, pages joined by a newline; a page pypdf cannot extract is
    skipped with a warning. Superscript citations come out as plain digits (`et al22`)."""
    path = Path(path)
    if not path.is_file():
        raise _not_a_file(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusReadError(f"{path}: the PDF is password-protected. Save an unprotected copy and retry.")
        pages = list(reader.pages)
    except CorpusReadError:
        raise
    except Exception as error:  # pypdf raises many types on damaged files; all mean "cannot open"
        raise CorpusReadError(
            f"{path}: pypdf could not open it as a PDF ({type(error).__name__}: {error}). "
            "Check that it is a complete, undamaged PDF, or supply the text as .txt instead."
        ) from None
    texts: list[str] = []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as error:  # one bad page should not lose the rest of the document
            warnings.warn(f"{path}: page {number} skipped, its text could not be extracted ({error}).",
                          stacklevel=2)
    return "\n".join(texts)


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


def read_digests(path: str | Path) -> tuple[Digest, ...]:
    """Every digest of a JSONL file, one JSON object a line (blank lines ignored), in file order."""
    path = Path(path)
    digests: list[Digest] = []
    for line_number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusReadError(
                f"{path}, line {line_number}: not valid JSON ({error.msg}, column {error.colno}). "
                "Fix or remove that line."
            ) from None
        digests.append(_digest_from(record, path, line_number))
    return tuple(digests)


def load_file(path: str | Path) -> LoadedFile:
    """One corpus file, read according to its suffix (.txt, .md, .pdf or .jsonl)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return LoadedFile(path, "text", read_text_file(path), ())
    if suffix == ".pdf":
        return LoadedFile(path, "pdf", read_pdf(path), ())
    if suffix == ".jsonl":
        return LoadedFile(path, "digests", "", read_digests(path))
    raise CorpusReadError(
        f"{path}: unsupported file type '{path.suffix or '(none)'}'. Use one of {', '.join(SUPPORTED_SUFFIXES)}."
    )


def load_sources(paths: Iterable[str | Path]) -> tuple[list[LoadedFile], list[str]]:
    """Every readable file, plus one line per file that could not be read, so one bad file
    does not stop the others from loading."""
    loaded: list[LoadedFile] = []
    problems: list[str] = []
    for path in paths:
        try:
            loaded.append(load_file(path))
        except CorpusReadError as error:
            problems.append(str(error))
    return loaded, problems
