"""The review's reference list, parsed into `Reference` records: numbered (Vancouver-like) entries,
or an unnumbered author-year (APA-like) list numbered by its order.

Hand-written because the entries follow the journals' own layouts.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from ingest.records import Reference

_HEADING = re.compile(r"^[ \t]*References[ \t]*$", re.M | re.I)
_ENTRY_START = re.compile(r"^\[?(\d{1,3})(?:\]|\.|\))\s+(\S.*)$")  # "12. ", "[12] " or "12) "
_AUTHORS = re.compile(r"^(?P<authors>.+?)\.\s+(?P<rest>.*)$")
_EMPHASIS = re.compile(r"\*(?P<inner>[^*]+)\*")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# A DOI as reference lists print it: "doi:10.1/x", "DOI 10.1/x", "https://doi.org/10.1/x", "dx.doi.org/10.1/x".
DOI = re.compile(r"(?:\bdoi:?\s*|\bdoi\.org/)(?P<doi>10\.\d{3,9}/\S+)", re.I)
_PLAIN_JOURNAL = re.compile(r"^(?P<title>.+[.?!])\s+(?P<journal>[^.?!]+?)\.\s+(?:19|20)\d{2}\b")
_INITIALS = re.compile(r"^[A-ZÀ-Þ]{1,4}$")
# An Elsevier-style DOI cut right after its "(yy)" group, or a DOI ending on a separator.
_TRUNCATED_DOI = re.compile(r"(?:\(\d{2}\)|[-/.(])$")


def _entry_texts(text: str) -> list[tuple[int, str]]:
    """The numbered entries (number, text without "N. ") after the last `References` heading, joined
    across wrapped lines until a DOI; a non-numbered line after a blank line (back-matter) ends the list."""
    entries: list[tuple[int, str]] = []
    for line, after_blank in _list_lines(text):
        start = _ENTRY_START.match(line)
        expected = entries[-1][0] + 1 if entries else 1
        if start and int(start.group(1)) == expected:
            entries.append((expected, start.group(2)))
        elif entries and after_blank:
            break
        elif entries and not DOI.search(entries[-1][1]):
            joiner = "" if entries[-1][1].endswith("-") else " "  # "Self-\nCompassion" stays one word
            entries[-1] = (entries[-1][0], f"{entries[-1][1]}{joiner}{line}")
        # any other line (a PDF page header between entries) is skipped
    return entries


def _list_lines(text: str):
    """The non-blank lines after the last `References` heading, each with whether a blank line preceded it."""
    headings = list(_HEADING.finditer(text))
    after_blank = False
    for line in (text[headings[-1].end():].splitlines() if headings else ()):
        if line.strip():
            yield line.strip(), after_blank
        after_blank = not line.strip()


# An unnumbered (APA-style) entry opens with its first author, "Smith, A. B.," or "Smith AB,", and
# gives its year in brackets after the authors: "(2019)", "(2020a)", "(n.d.)".
_PARTICLES = r"(?:(?:van|von|de|der|den|da|di|du|le|la|del|dos|das|ten|ter)\s+)*"
_APA_START = re.compile(rf"^{_PARTICLES}(?:[A-ZÀ-Þ][\w'’-]+(?:\s+[A-Za-zÀ-ÿ][\w'’-]+){{0,2}},\s+(?:[A-ZÀ-Þ]\.[\s-]?)+|"
                        r"[A-ZÀ-Þ][\w'’-]+(?:\s+[A-Za-zÀ-ÿ][\w'’-]+){0,2}\s+[A-Z]{1,4}[,.]|"
                        r"[A-ZÀ-Þ][\w'’-]+(?:\s+[A-Za-zÀ-ÿ][\w'’-]+){0,6}\.?\s+\((?:19|20)\d{2}[a-z]?\)|"  # a group author
                        r"[A-ZÀ-Þ][\w'’-]+(?:\s+[A-Za-zÀ-ÿ][\w'’-]+){0,6}\.?\s+\((?:n\.\s?d\.|in press)\))")
_APA_YEAR = re.compile(r"\((?P<year>(?:19|20)\d{2})[a-z]?(?:,[^)]{0,30})?\)\.?|\((?:n\.\s?d\.|in press)\)\.?", re.I)
_APA_PERSON = re.compile(r"(?:&\s*)?(?P<surname>[^,&]+?),\s*(?P<initials>(?:[A-ZÀ-Þ]\.[\s-]?)+)")


def _unnumbered_entry_texts(text: str) -> list[str]:
    """The entries of an unnumbered (author-year) list after the last `References` heading: an entry
    starts a line with an author and has its year in brackets; other lines continue it. A line
    after a blank line that starts no entry (back-matter) ends the list."""
    entries: list[str] = []
    for line, after_blank in _list_lines(text):
        # A wrapped author list also starts with "Name, I.": a new entry only once the last has its year.
        if _APA_START.match(line) and (not entries or _APA_YEAR.search(entries[-1])):
            entries.append(line)
        elif entries and after_blank:
            break
        elif entries:
            joiner = "" if entries[-1].endswith("-") and not entries[-1].endswith(" -") else " "
            entries[-1] = f"{entries[-1]}{joiner}{line}"
    return entries


def _vancouver_authors(authors: str) -> str:
    """APA authors ("Smith, A. B., Lee, C., & Park, J.") in the list's other form ("Smith AB, Lee C, Park J")."""
    people = [f"{m.group('surname').strip()} {re.sub(r'[^A-ZÀ-Þ]', '', m.group('initials'))}" for m in _APA_PERSON.finditer(authors)]
    return ", ".join(people) if people else authors.strip().rstrip(".,")


def parse_apa_entry(number: int, text: str) -> Reference:
    """One unnumbered author-year entry as a `Reference`, numbered by its place in the list."""
    year_match = _APA_YEAR.search(text)
    if year_match is None:
        return parse_entry(number, text)
    authors = _vancouver_authors(text[:year_match.start()])
    year = int(year_match.group("year")) if year_match.group("year") else None
    rest = text[year_match.end():].strip()
    title, journal, _ = _split_title_journal(rest)
    if not journal and not _EMPHASIS.search(rest):  # PDF text: "Title. Journal, 12(3), 45–67."
        parts = re.split(r"(?<=[.?!])\s+", rest, maxsplit=1)
        title, journal = parts[0].rstrip("."), (parts[1].split(",")[0].strip().rstrip(".") if len(parts) > 1 else "")
    doi_match = DOI.search(text)
    doi = doi_match.group("doi").rstrip(".,;") if doi_match else None
    return Reference(ref=number, authors=authors, label=_label(authors, year), year=year, title=title, journal=journal,
                     doi=doi, doi_truncated=bool(doi and _TRUNCATED_DOI.search(doi)), text=text)


def _surname(author: str) -> str:
    """`Finlay-Jones AL` -> `Finlay-Jones`; `Hollins Martin CJ` -> `Hollins Martin`."""
    parts = author.split()
    if len(parts) > 1 and _INITIALS.match(parts[-1]):
        parts = parts[:-1]
    return " ".join(parts)


def _label(authors: str, year: int | None) -> str:
    """The first-author label: `Smith (2003)`, `Smith & Lee (2018)`, `Smith et al. (2018)`."""
    names = [a.strip() for a in authors.split(",") if a.strip()]
    has_et_al = any(n.rstrip(".") == "et al" for n in names)
    names = [n for n in names if n.rstrip(".") != "et al"]
    if not names:
        return ""
    if len(names) == 1 and not has_et_al:
        head = _surname(names[0])
    elif len(names) == 2 and not has_et_al:
        head = f"{_surname(names[0])} & {_surname(names[1])}"
    else:
        head = f"{_surname(names[0])} et al."
    return f"{head} ({year})" if year else head


def _split_title_journal(rest: str) -> tuple[str, str, str]:
    """Title, journal and the text after them; a book's italic title leaves the journal ""."""
    emphasis = _EMPHASIS.search(rest)
    if emphasis and emphasis.start() == 0:
        return emphasis.group("inner").strip().rstrip("."), "", rest[emphasis.end():]
    if emphasis:
        title = rest[:emphasis.start()].strip().rstrip(".").strip()
        return title, emphasis.group("inner").strip().rstrip("."), rest[emphasis.end():]
    plain = _PLAIN_JOURNAL.match(rest)  # PDF text carries no emphasis marks
    if plain:
        return plain.group("title").rstrip("."), plain.group("journal").strip(), rest[plain.end("journal"):]
    return re.split(r"[;.]\s", rest, maxsplit=1)[0], "", rest


def parse_entry(number: int, text: str) -> Reference:
    """One entry (as printed, without its number) as a `Reference`; a book has journal "" and no DOI."""
    match = _AUTHORS.match(text)
    authors, rest = (match.group("authors"), match.group("rest")) if match else ("", text)
    title, journal, tail = _split_title_journal(rest)
    doi_match = DOI.search(tail) or DOI.search(text)
    doi = doi_match.group("doi").rstrip(".,;") if doi_match else None
    year_match = _YEAR.search(tail) or _YEAR.search(rest)
    year = int(year_match.group(0)) if year_match else None
    return Reference(
        ref=number,
        authors=authors,
        label=_label(authors, year),
        year=year,
        title=title,
        journal=journal,
        doi=doi,
        doi_truncated=bool(doi and _TRUNCATED_DOI.search(doi)),
        text=text,
    )


def parse_references(review_text: str) -> tuple[Reference, ...]:
    """The review's references in order, as many as its list holds: numbered entries, or else an
    unnumbered author-year list numbered by its order; () for a text without a `References` list.
    How complete the list is, is judged by `reference_list_problems`."""
    numbered = _entry_texts(review_text)
    if numbered:
        return tuple(parse_entry(number, text) for number, text in numbered)
    return tuple(parse_apa_entry(number, text) for number, text in enumerate(_unnumbered_entry_texts(review_text), 1))


def reference_list_problems(references: Sequence[Reference], highest_cited: int) -> list[str]:
    """What is wrong with a reference list, given the highest number the text cites: a list
    cut short, or no list at all. Ingestion reports these instead of stopping."""
    if not references:
        return ["No reference list found after a 'References' heading: citations cannot be linked to "
                "references. Check that each entry starts a line as '12. Author …' or 'Author, A. B. (2019). …'."]
    if highest_cited > len(references):
        return [f"The reference list has only {len(references)} numbered entries, but the text cites "
                f"up to [{highest_cited}]: citations above {len(references)} are left unlinked. "
                "Use the full review text or check the list's numbering."]
    return []


def _folded(text: str) -> str:
    """Lower case without diacritics, so `jimenez-gomez` finds `Jiménez-Gómez`."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def references_by_surname(refs: Iterable[Reference]) -> dict[str, tuple[int, ...]]:
    """Lower-cased first-author surnames (with and without diacritics), and `a & b` / `a and b`
    for two-author entries, mapped to the refs each can name, e.g. `smith-jones` -> (16, 39)."""
    found: dict[str, list[int]] = {}
    for reference in refs:
        names = [n.strip() for n in reference.authors.split(",") if n.strip()]
        if not names:
            continue
        first = _surname(names[0]).lower()
        keys = [first]
        if len(names) == 2 and "et al" not in names[1]:
            second = _surname(names[1]).lower()
            keys += [f"{first} & {second}", f"{first} and {second}"]
        for key in keys + [_folded(k) for k in keys]:
            bucket = found.setdefault(key, [])
            if reference.ref not in bucket:
                bucket.append(reference.ref)
    return {key: tuple(sorted(values)) for key, values in found.items()}
