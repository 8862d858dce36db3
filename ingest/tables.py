"""A review's tables of included studies, read by their column headings: each row becomes a
`StudyRecord` whose cells are tagged with what they hold (sample, N, design, measures,
findings …), and whose design is normalised to a small fixed vocabulary. Pure functions.

Hand-written because reviews print their study tables as free-form rows; the headings say what
each column is, so nothing here depends on one review's table numbers or layout."""
from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.citations import CitationReader, strip_markers
from ingest.records import StudyRecord

TABLE_CAPTION = re.compile(r"^Table\s+(\d+|[IVX]{1,4})\b\.?\s*(?P<title>.*)$")
_ROMAN = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5", "VI": "6", "VII": "7", "VIII": "8", "IX": "9", "X": "10"}
_PROSE_MENTION = re.compile(r"^Table\s+\S+\s+(summari[sz]es|provides|shows|presents|lists|gives)\b")
_HTML_TAG = re.compile(r"<[^>]+>")

DESIGNS = ("RCT", "non-randomized trial", "pre-post", "cross-sectional", "longitudinal", "qualitative", "mixed", "review")
# The designs that deliver an intervention to the people studied.
INTERVENTION_DESIGNS = ("RCT", "non-randomized trial", "pre-post")

# What a column holds, from words of its heading; the first matching role wins.
_ROLES: list[tuple[str, re.Pattern[str]]] = [
    (role, re.compile(pattern, re.IGNORECASE))
    for role, pattern in [
        ("mediation", r"mediat|moderat|complex relation"),
        ("findings", r"result|finding|association|main ideas|conclusion|effects?\b"),
        ("randomization", r"\brcts?\b|randomi"),
        # How long the programme ran is not when it was measured ("Pre/post/ follow-up 12 weeks").
        ("duration", r"duration|length"),
        ("timing", r"time of measure|follow-?up|timing"),
        ("measures", r"measure|instrument|variables|scales?\b|outcomes?\b|tools?\b|questionnaires?\b|assessments?\b"),
        ("groups", r"groups?\b.*design|arms?\b|conditions?\b"),
        ("design", r"design|study type|type of study|method"),
        ("n", r"^\s*n\s*$|\(n\)|sample size|participants \(n\)"),
        ("sample", r"sample|participants|population"),
        ("country", r"country|countries|setting|location"),
        ("intervention", r"program|intervention|training|treatment|exercise|exposure"),
    ]
]


def column_roles(headings: Sequence[str]) -> tuple[str, ...]:
    """One role per column: the first is the study; a heading such as "Sample (N)" holds both
    the sample and its size, shown as "sample+n"."""
    roles: list[str] = []
    for position, heading in enumerate(headings):
        if position == 0:
            roles.append("study")
            continue
        role = next((name for name, pattern in _ROLES if pattern.search(heading)), "other")
        if role == "n" and re.search(r"sample|type", heading, re.IGNORECASE):
            role = "sample+n"
        elif role == "sample" and re.search(r"\(n\)|\bsize\b", heading, re.IGNORECASE):
            role = "sample+n"
        roles.append(role)
    return tuple(roles)


def normalise_design(text: str | None) -> str | None:
    """A design label of DESIGNS read from a cell, caption or digest; None when it names none.
    "No RCT" and "non-randomized" are read before "RCT", so neither becomes a randomized trial."""
    if not text:
        return None
    t = re.sub(r"\s+", " ", text.lower())
    if re.search(r"systematic review|meta-analy|literature review|scoping review|\breviews?\b", t):
        return "review"
    if re.search(r"mixed[- ]method", t):
        return "mixed"
    if re.search(r"qualitativ|interview|phenomenolog|thematic|grounded theory|focus group|content analysis|ethnograph", t):
        return "qualitative"
    if re.search(r"cohort|longitudinal|prospective", t):
        return "longitudinal"
    if re.search(r"cross-?sectional|survey|correlational", t):
        return "cross-sectional"
    not_randomized = re.search(r"\bno\s*rct\b|non-?randomi[sz]ed|not randomi[sz]ed|quasi-?experiment|controlled trial \(non", t)
    uncontrolled = re.search(r"^\s*no\b|uncontrolled|single[- ]group|one[- ]group|pre-?post|pilot intervention|no control", t)
    if not_randomized:
        return "pre-post" if uncontrolled else "non-randomized trial"
    if re.search(r"\brcts?\b|randomi[sz]ed", t):
        return "RCT"
    if uncontrolled:
        return "pre-post"
    return None


def caption_design(caption: str) -> str | None:
    """The design a caption names when it names exactly one ("Cross-Sectional Research …")."""
    found = {label for part in re.split(r"\band\b|,|/", caption) if (label := normalise_design(part))}
    if re.search(r"experimental", caption, re.IGNORECASE) and not found:
        return None
    return found.pop() if len(found) == 1 else None


def _table_name(token: str) -> str:
    return f"Table {_ROMAN.get(token, token)}"


def _clean(cell: str) -> str:
    return re.sub(r"\s+", " ", _HTML_TAG.sub(" ", cell)).strip()


def bullets(cell: str) -> list[str]:
    """A cell's bullet points (or the cell itself)."""
    parts = [p.strip() for p in _HTML_TAG.sub(" ", cell).split("•")]
    return [re.sub(r"\s+", " ", p).strip() for p in parts if p.strip()]


def table_blocks(review_text: str, reader: CitationReader | None = None) -> list[tuple[str, str, tuple[str, ...], list[str]]]:
    """(table name, caption, column headings, row lines) for each table of studies; a table
    continued after a page break ("Table 1 (Continued)" and a repeated heading row) is one table.
    A row whose first cell cites (as `reader` reads citations) is never taken for a heading row."""
    reader = reader or CitationReader("numbered", ())
    blocks: dict[str, list[str]] = {}
    captions: dict[str, str] = {}
    headers: dict[str, tuple[str, ...]] = {}
    current: str | None = None
    expecting_header = False
    for line in review_text.splitlines():
        stripped = line.strip()
        caption = TABLE_CAPTION.match(stripped)
        if caption and "\t" not in stripped and not _PROSE_MENTION.match(stripped):
            current = _table_name(caption.group(1))
            blocks.setdefault(current, [])
            title = caption.group("title").strip()
            if title and not title.lower().startswith("(continued"):
                captions.setdefault(current, title)
            expecting_header = True
            continue
        if current is None:
            continue
        if "\t" in line:
            cells = tuple(_clean(c) for c in stripped.split("\t"))
            if expecting_header or (current in headers and cells == headers[current]):
                if not reader.refs(cells[0]):
                    headers.setdefault(current, cells)
                    expecting_header = False
                    continue
            expecting_header = False
            blocks[current].append(line.rstrip("\n"))
        elif stripped and blocks[current] and not stripped.startswith(("(Continued)", "Abbreviations:", "Notes:", "Note:")):
            if len(stripped) > 60 or stripped[0].islower():
                current = None  # prose again: the table has ended
    return [(name, captions.get(name, ""), headers.get(name, ()), rows) for name, rows in blocks.items() if rows]


_N_VALUE = re.compile(r"\b[Nn]\s*=\s*(\d[\d,]*)")
_GROUP_VALUE = re.compile(r"(?:\b[Nn]\s*=|=)\s*(\d[\d,]*)")


def sample_size(cell: str, *, groups: bool = False) -> str:
    """The N a cell gives: its leading number, its "N=" figure, or (for a cell listing
    groups, "-EG N=40 -CG waiting list=41") the sum of the groups."""
    text = _clean(cell)
    if groups:
        values = [int(v.replace(",", "")) for v in _GROUP_VALUE.findall(text)]
        if values:
            return str(sum(values))
    value = _N_VALUE.search(text)
    if value:
        return value.group(1).replace(",", "")
    plain = re.match(r"^\s*(\d[\d,]*)\b", text)
    return plain.group(1).replace(",", "") if plain else ""


def split_instruments(cell: str) -> tuple[str, ...]:
    """Instrument names of a measures cell: `;`-separated names, or a run of abbreviations."""
    text = _clean(cell)
    if ";" in text or "," in text and not re.fullmatch(r"[A-Z0-9 ,-]+", text):
        parts = [re.sub(r"\s*\([^)]*\)\s*", " ", p).strip(" .;,") for p in re.split(r";|,(?![^(]*\))", text)]
        return tuple(dict.fromkeys(p for p in parts if p))
    tokens = re.findall(r"\b[A-Z][A-Za-z]*[A-Z0-9](?:-[A-Za-z0-9]+)*\b", text)
    return tuple(dict.fromkeys(tokens))


def _role_cells(cells: Sequence[str], roles: Sequence[str], *wanted: str) -> list[str]:
    return [c for c, r in zip(cells, roles) if any(w in r.split("+") for w in wanted) and c.strip()]


def parse_study_records(review_text: str, max_ref: int = 999, *, reader: CitationReader | None = None
                        ) -> tuple[StudyRecord, ...]:
    """Every row of the review's study tables as a study record, in table order; a row's study is
    the ref its first cell cites: a numbered marker, or with an author-year `reader` the study it
    names by author and year ("Smith et al (2018)")."""
    reader = reader or CitationReader("numbered", (), max_ref=max_ref)
    records: list[StudyRecord] = []
    for table, caption, headings, rows in table_blocks(review_text, reader):
        roles = column_roles(headings) if headings else ()
        for row in rows:
            cells = tuple(c.strip() for c in row.split("\t"))
            refs = reader.refs(cells[0])
            if not refs:
                continue
            row_roles = roles[: len(cells)] if roles else ("study",) + ("other",) * (len(cells) - 1)
            get = lambda *wanted: " ".join(_role_cells(cells, row_roles, *wanted))  # noqa: E731
            design, design_source = _row_design(cells, row_roles, headings, caption)
            n_cell = _role_cells(cells, row_roles, "n")
            groups_cell = _role_cells(cells, row_roles, "groups")
            if n_cell:
                n = sample_size(n_cell[0])
            elif groups_cell:
                n = sample_size(groups_cell[0], groups=True)
            else:
                n = sample_size(get("sample"))
            sample = get("sample")
            if "sample+n" in row_roles:
                sample = re.sub(r"^\s*N\s*=\s*[\d,]+\.?\s*", "", sample)
            findings = " ".join(bullets(get("findings")))
            mediation = get("mediation")
            records.append(
                StudyRecord(
                    ref=refs[0], label=strip_markers(cells[0]).rstrip(". ").strip(), table=table,
                    design=design or "", sample=_clean(sample), n=n,
                    instruments=split_instruments(get("measures")),
                    program=_clean(get("intervention")),
                    findings=_clean("; ".join(x for x in (findings, _clean(mediation)) if x)),
                    cells=cells, columns=headings, roles=row_roles, caption=caption,
                    design_source=design_source, country=_clean(get("country")),
                    duration=_clean(get("duration")),
                )
            )
    return tuple(records)


def _row_design(cells: Sequence[str], roles: Sequence[str], headings: Sequence[str], caption: str) -> tuple[str | None, str]:
    """The row's design and where it was read: a design or randomisation column, then the
    sample or groups cells, then the caption."""
    for cell, role, heading in zip(cells, roles, headings or ("",) * len(cells)):
        if role in ("randomization", "design") and (label := normalise_design(cell)):
            return label, f"table column '{heading}'"
    for cell, role, heading in zip(cells, roles, headings or ("",) * len(cells)):
        if role.split("+")[0] in ("sample", "groups", "n"):
            for part in re.split(r"[;.]", cell):
                label = normalise_design(part) if re.search(r"rct|randomi|quasi|cohort|cross-?sectional|longitudinal|pre-?post", part, re.I) else None
                if label:
                    return label, f"table column '{heading}'"
    if label := caption_design(caption):
        return label, "table caption"
    return None, ""
