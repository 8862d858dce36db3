"""The evidence model of a review, built at ingest from its parsed parts: one `Study` per study
the review tabulates or whose abstract describes a study, the review's own facts by section,
and a glossary with definitions taken from where the corpus gives them. Pure functions; the
model is stored with the index and written beside it as readable JSON (one file a record kind)."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.chunking import glossary_name
from ingest.citations import strip_markers
from ingest.records import Digest, Passage, Reference, ReviewInfo, StudyRecord
from ingest.tables import INTERVENTION_DESIGNS, normalise_design

Direction = str  # "positive" | "negative" | "none" | "mixed" | "unclear"


@dataclass(frozen=True)
class SampleSize:
    value: int
    source: str  # "Table 2", "abstract digest", ...
    text: str  # as printed


@dataclass(frozen=True)
class Instrument:
    abbreviation: str
    name: str  # the full name where the glossary gives it, else the abbreviation
    measures: str = ""  # what the review says it measured ("health-related quality of life"), where it says so


@dataclass(frozen=True)
class Outcome:
    name: str
    direction: Direction
    text: str  # the finding as printed


@dataclass(frozen=True)
class Study:
    """One study as the review and its abstract describe it."""

    ref: int
    label: str
    authors: str
    year: int | None
    doi: str | None
    in_tables: bool
    tables: tuple[str, ...]
    design: str  # one of ingest.tables.DESIGNS, or "" when no source names one
    design_source: str
    population: str
    country: str
    n: int | None
    n_sources: tuple[SampleSize, ...]
    n_conflict: bool
    instruments: tuple[Instrument, ...]
    outcomes: tuple[Outcome, ...]
    intervention: str
    duration: str
    follow_up: str
    findings: str
    # The table's own words for how the study was done, where it has a column for them
    # ("Thematic analysis (Braun & Clarke, 2006)"): a list of the studies using a method finds them.
    method: str = ""

    def n_statement(self) -> str:
        """"N = 126 (Table 2); the abstract reports 110" when the sources disagree."""
        if not self.n_sources:
            return ""
        first = self.n_sources[0]
        text = f"N = {first.value} ({first.source})"
        others = [s for s in self.n_sources[1:] if s.value != first.value]
        if others:
            text += "; " + "; ".join(f"the {s.source} reports {s.value}" for s in others)
        return text


@dataclass(frozen=True)
class ReviewFact:
    section: str
    kind: str  # aims, methods, search, definition, results, limitations, future research, conclusions, background
    text: str
    refs: tuple[int, ...]


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    abbreviation: str
    definition: str  # a corpus sentence that defines the term, or ""
    source: str  # where the definition stands


@dataclass(frozen=True)
class EvidenceModel:
    review: ReviewInfo
    studies: tuple[Study, ...]
    facts: tuple[ReviewFact, ...]
    glossary: tuple[GlossaryEntry, ...]
    report: tuple[str, ...] = field(default=())

    def study(self, ref: int) -> Study | None:
        return next((s for s in self.studies if s.ref == ref), None)


# --- Studies ---------------------------------------------------------------------------------

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40,
                 "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "one hundred": 100}


def _first_number(text: str | None) -> int | None:
    if not text:
        return None
    digits = re.search(r"\d[\d,]*", text)
    if digits and not re.match(r"^\s*(study|several)", text, re.IGNORECASE):
        return int(digits.group(0).replace(",", ""))
    word = re.match(r"^\s*(one hundred|[a-z]+)\b", text.lower())
    return _NUMBER_WORDS.get(word.group(1)) if word else None


_SIGN = re.compile(r"\((?P<sign>\+|−|-|ns|n\.s\.)\)", re.IGNORECASE)
_UP = re.compile(r"\b(increas\w*|improv\w*|higher|greater|more|gains?|enhanc\w*|positive(ly)? (associated|related|correlated))\b", re.I)
_DOWN = re.compile(r"\b(decreas\w*|reduc\w*|lower|less|fewer|declin\w*|negative(ly)? (associated|related|correlated))\b", re.I)
_NONE = re.compile(r"\b(no (significant )?(difference|change|effect|association|relationship)s?|not (significant|different)|did not|\(ns\))", re.I)


def outcome_direction(text: str) -> Direction:
    """The direction a finding reports: a printed sign "(+)", "(−)", "(ns)" first, else its words."""
    signs = {m.group("sign").lower() for m in _SIGN.finditer(text)}
    if signs:
        if signs <= {"+"}:
            return "positive"
        if signs <= {"−", "-"}:
            return "negative"
        if signs <= {"ns", "n.s."}:
            return "none"
        return "mixed"
    up, down, none = bool(_UP.search(text)), bool(_DOWN.search(text)), bool(_NONE.search(text))
    if none and not (up or down):
        return "none"
    if up and down:
        return "mixed"
    return "positive" if up else "negative" if down else "unclear"


def parse_outcomes(findings: str) -> tuple[Outcome, ...]:
    """The findings cell cut into outcomes: "X (+); Y (ns)" or one outcome per sentence or bullet."""
    outcomes: list[Outcome] = []
    for part in re.split(r";|•|(?<=[.])\s+(?=[A-Z])", findings):
        part = part.strip(" .")
        if len(part) < 3:
            continue
        name = re.split(r"\s*\(|\s*[,:]\s*|\s+(?:MD|d|r|OR|β|HR)\s*=", part)[0].strip()
        outcomes.append(Outcome(name=name[:80], direction=outcome_direction(part), text=part))
    return tuple(outcomes)


_COUNT = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|sixteen|eighteen|twenty-four|twenty)"
_SPAN = rf"{_COUNT}[- ]?(?:weeks?|months?|years?)"
# A follow-up the text states with its length ("a 6-month follow-up", "follow-up 12 weeks",
# "one month after it ended (follow-up)") or states is absent; a sentence that only uses the
# word ("events in the first year of follow-up were excluded") states none.
_FOLLOW_UP = re.compile(
    rf"\bno follow-?ups?\b|\b{_SPAN}[- ]follow-?ups?\b|\bfollow-?ups?\b[^.;()]{{0,25}}?\b{_SPAN}(?:\s+(?:later|after[^.;,()]{{0,30}}))?"
    rf"|\bfollowed(?: up)? (?:for|over) {_SPAN}|\b{_SPAN} after[^.;()]{{0,30}}\(follow-?up\)", re.I)


# How long a programme ran, as an abstract or a programme's name states it ("took an 8-week MSC
# programme", "6 weeks of training"): not a time of measurement ("at 3-month follow-up").
_LENGTH = re.compile(rf"\b{_COUNT}[- ](?:weeks?|months?|days?)\b(?![- ]?(?:follow|post|later|after))", re.IGNORECASE)
_MEASURED_AT = re.compile(r"\b(?:at|after|over|within|by)\s*$", re.IGNORECASE)


def _stated_length(*texts: str) -> str:
    """The first programme length the texts state, "" when none does."""
    for text in texts:
        for match in _LENGTH.finditer(text or ""):
            if not _MEASURED_AT.search(text[max(0, match.start() - 8):match.start()]):
                return match.group(0)
    return ""


def _follow_up(*texts: str) -> str:
    for text in texts:
        match = _FOLLOW_UP.search(text or "")
        if match:
            return match.group(0).strip()
    return ""


# "Health-related quality of life, where reported, was usually measured with the SF-36": what
# stands before the verb is measured by the instruments named after it.
_MEASURED_WITH = re.compile(
    r"(?P<what>[A-Za-z][\w' -]{2,80}?)(?:,[^,]{1,40},)?\s+(?:was|were|is|are)\s+(?:\w+ly\s+)?(?:measured|assessed|rated|evaluated)"
    r"\s+(?:with|using|by|on)\s+(?P<what_with>[^.;]{2,240})")
# "depression symptoms (using BDI)": the words before the bracket name what it measured.
_USING = re.compile(r"(?P<what>(?:[A-Za-z][\w'-]*\s+){0,2}[A-Za-z][\w'-]*)\s*\((?:using|measured with|assessed with|with)\s+"
                    r"(?:the\s+)?(?P<what_with>[^()]{2,80})\)")
# "the trainings where this variable": words that point elsewhere name no variable.
_POINTS_ELSEWHERE = re.compile(r"\b(this|these|those|that|where|which|who|whom|it|they|them|such)\b", re.IGNORECASE)
_LEADING_WORDS = re.compile(r"^(?:(?:in|of|on|for|and|or|the|a|an|their|its|both|also|with|to|at|as|that|which)\s+)+", re.IGNORECASE)


def instrument_constructs(passages: Iterable[Passage], glossary: dict[str, str]) -> dict[str, str]:
    """What each instrument measured, in the review's own words, for those it says so of: a
    sentence saying a variable "was measured with" instruments, or a finding on a variable
    "(using X)". The first such statement of an instrument wins."""
    found: dict[str, str] = {}
    names = {abbreviation: re.compile(rf"(?<![\w-])(?:{re.escape(abbreviation)}"
                                      + (rf"|{re.escape(expansion)}" if len(expansion) > 6 else "") + r")(?![\w-])", re.IGNORECASE)
             for abbreviation, expansion in glossary.items()}
    for passage in sorted(passages, key=lambda p: p.order):
        if passage.kind not in ("prose", "digest"):
            continue
        for sentence in passage.sentences:
            text = strip_markers(sentence.text)
            for pattern in (_MEASURED_WITH, _USING):
                for match in pattern.finditer(text):
                    what = _LEADING_WORDS.sub("", match.group("what").strip()).strip(" ,")
                    if (not what or len(what.split()) > 8 or _POINTS_ELSEWHERE.search(what)
                            or any(n.search(what) for n in names.values())):
                        continue
                    for abbreviation, name in names.items():
                        if abbreviation not in found and name.search(match.group("what_with")):
                            found[abbreviation] = what[:1].lower() + what[1:] if not what[:2].isupper() else what
    return found


def build_studies(
    references: Sequence[Reference], records: Sequence[StudyRecord], digests: Iterable[Digest],
    glossary: dict[str, str], constructs: dict[str, str] | None = None,
) -> tuple[Study, ...]:
    """One Study per tabulated study (its rows merged) and per other reference whose abstract
    describes a study of people; N is taken from every source that gives one."""
    by_ref = {r.ref: r for r in references}
    digest_of = {d.ref: d for d in digests if d.found}
    rows: dict[int, list[StudyRecord]] = {}
    for record in records:
        rows.setdefault(record.ref, []).append(record)
    refs = list(rows) + [ref for ref in sorted(digest_of) if ref not in rows and _digest_is_study(digest_of[ref])]
    studies: list[Study] = []
    for ref in refs:
        own = rows.get(ref, [])
        reference = by_ref.get(ref)
        digest = digest_of.get(ref)
        design, design_source = "", ""
        for record in own:
            if record.design:
                design, design_source = record.design, f"{record.table}, {record.design_source}"
                break
        if not design and digest and (label := normalise_design(digest.study_type)):
            design, design_source = label, "abstract digest (study type)"
        sizes = [SampleSize(int(r.n), r.table, r.n) for r in own if r.n.isdigit()]
        digest_n = _first_number(digest.n) if digest else None
        if digest_n is not None:
            sizes.append(SampleSize(digest_n, "abstract digest", digest.n or ""))
        distinct = {s.value for s in sizes}
        instruments: list[Instrument] = []
        for record in own:
            for name in record.instruments:
                name = re.sub(r"[\s.,;:]+$", "", name).strip()
                if name and all(i.abbreviation != name for i in instruments):
                    instruments.append(Instrument(abbreviation=name, name=glossary_name(name, glossary) or name,
                                                  measures=(constructs or {}).get(name, "")))
        findings = " ".join(dict.fromkeys(r.findings for r in own if r.findings))
        population = next((r.sample for r in own if r.sample), (digest.participants or "") if digest else "")
        studies.append(Study(
            ref=ref,
            label=reference.label if reference else (own[0].label if own else f"Reference {ref}"),
            authors=reference.authors if reference else "",
            year=reference.year if reference else None,
            doi=reference.doi if reference and not reference.doi_truncated else None,
            in_tables=bool(own), tables=tuple(dict.fromkeys(r.table for r in own)),
            design=design, design_source=design_source,
            population=population, country=next((r.country for r in own if r.country), ""),
            n=sizes[0].value if sizes else None, n_sources=tuple(sizes), n_conflict=len(distinct) > 1,
            instruments=tuple(instruments),
            outcomes=parse_outcomes(findings) if findings else tuple(
                Outcome(name=f[:80], direction=outcome_direction(f), text=f) for f in (digest.key_findings if digest else ())),
            intervention=next((r.program for r in own if r.program), ""),
            # Where no table gives it, an intervention's length as its programme's name or its abstract states it.
            duration=next((r.duration for r in own if r.duration), "") or (
                _stated_length(next((r.program for r in own if r.program), ""), digest.digest if digest else "")
                if design in INTERVENTION_DESIGNS else ""),
            follow_up=_follow_up(*(r.duration for r in own), *(r.cell("timing") for r in own), *(r.findings for r in own),
                                 digest.digest if digest else ""),
            findings=findings,
            method=next((m for r in own if (m := r.phrase("design"))), ""),
        ))
    return tuple(studies)


def _digest_is_study(digest: Digest) -> bool:
    label = normalise_design(digest.study_type)
    return label is not None and label != "review"


# --- The review's own facts ------------------------------------------------------------------

_SECTION_KINDS = [
    ("limitations", r"limitation"), ("future research", r"future"), ("conclusions", r"conclusion"),
    # Whole words: "Research" holds "search", and a results section called "Cross-Sectional
    # Research" is no methods section.
    ("methods", r"\bmethods?\b|\bsearch(es|ing)?\b|\bselection\b|\beligib"), ("discussion", r"discussion"), ("summary", r"abstract"),
    ("background", r"introduction|background"), ("results", r"result|research|studies|review"),
]
_SENTENCE_KINDS = [
    ("aims", r"\b(aims?|objectives?|purpose|twofold aim|set out to)\b"),
    ("search", r"\b(database|searched|search|records|screened|duplicates|full[- ]texts?|were (included|selected|excluded)|inclusion criteria|exclusion criteria)\b"),
    ("definition", r"\b(is defined as|defined as|refers to|entails|is understood as|consists of|can be described as)\b"),
    ("limitations", r"\blimitations?\b|\bcaution\b"),
    ("future research", r"\bfuture (research|studies|work)\b|\bshould (be|explore|examine|investigate)\b"),
]


def _kind(section: str, sentence: str) -> str:
    for kind, pattern in _SENTENCE_KINDS:
        if re.search(pattern, sentence, re.IGNORECASE):
            return kind
    return next((kind for kind, pattern in _SECTION_KINDS if re.search(pattern, section, re.IGNORECASE)), "results")


def build_facts(passages: Iterable[Passage]) -> tuple[ReviewFact, ...]:
    """Every sentence of the review's prose as a fact of a kind, in reading order; the review's
    own sentences (no refs) and definitions are what review-method and definition answers use."""
    facts: list[ReviewFact] = []
    for passage in sorted((p for p in passages if p.kind == "prose"), key=lambda p: p.order):
        for sentence in passage.sentences:
            text = strip_markers(sentence.text).strip()
            if len(text) < 20:
                continue
            facts.append(ReviewFact(section=passage.section, kind=_kind(passage.section, text), text=sentence.text,
                                    refs=tuple(sentence.refs)))
    return tuple(facts)


# --- Glossary --------------------------------------------------------------------------------

_DEFINES = r"(?:is defined as|defined as|refers to|entails|is understood as|consists of|involves|is an?|measures|assesses)"


def build_glossary(abbreviations: dict[str, str], passages: Iterable[Passage]) -> tuple[GlossaryEntry, ...]:
    """Each abbreviation with its expansion, and a defining sentence of the corpus where one
    stands (the first sentence that names the term and defines it)."""
    sentences = [(p.section, s.text) for p in sorted(passages, key=lambda p: p.order) for s in p.sentences
                 if p.kind in ("prose", "digest")]
    entries: list[GlossaryEntry] = []
    for abbreviation, expansion in sorted(abbreviations.items()):
        definition, source = "", ""
        names = [re.escape(expansion)] if len(expansion) > 3 else []
        names.append(rf"\b{re.escape(abbreviation)}\b")
        pattern = re.compile(rf"(?:{'|'.join(names)})[^.;]{{0,60}}?\b{_DEFINES}\b", re.IGNORECASE)
        for section, text in sentences:
            if pattern.search(strip_markers(text)):
                definition, source = text, section
                break
        entries.append(GlossaryEntry(term=expansion, abbreviation=abbreviation, definition=definition, source=source))
    # Terms the corpus defines in so many words ("Compassion fatigue refers to ...").
    known = {e.term.lower() for e in entries}
    for section, text in sentences:
        match = _DEFINED_TERM.search(strip_markers(text))
        if match and match.group("term").lower() not in known:
            known.add(match.group("term").lower())
            entries.append(GlossaryEntry(term=match.group("term"), abbreviation="", definition=text, source=section))
    return tuple(entries)


_DEFINED_TERM = re.compile(
    r"(?:^|[.;:]\s+)(?:The (?:term|concept of) )?(?P<term>[A-Z]?[a-z][\w-]*(?: [a-z][\w-]*){0,3})"
    r"(?: \([A-Z][\w-]+\))? (?:is defined as|has been defined as|can be defined as|refers to|entails|is understood as)\b")


# --- Building and storing --------------------------------------------------------------------

def build_evidence_model(
    review: ReviewInfo, references: Sequence[Reference], records: Sequence[StudyRecord],
    digests: Sequence[Digest], glossary: dict[str, str], passages: Sequence[Passage],
    report: Sequence[str] = (),
) -> EvidenceModel:
    return EvidenceModel(
        review=review,
        studies=build_studies(references, records, digests, glossary, instrument_constructs(passages, glossary)),
        facts=build_facts(passages),
        glossary=build_glossary(glossary, passages),
        report=tuple(report),
    )


def model_to_dict(model: EvidenceModel) -> dict:
    return asdict(model)


def model_from_dict(data: dict) -> EvidenceModel:
    def study(s: dict) -> Study:
        return Study(**{**s,
                        "tables": tuple(s["tables"]),
                        "n_sources": tuple(SampleSize(**x) for x in s["n_sources"]),
                        "instruments": tuple(Instrument(**x) for x in s["instruments"]),
                        "outcomes": tuple(Outcome(**x) for x in s["outcomes"])})

    review = data["review"]
    return EvidenceModel(
        review=ReviewInfo(**{**review, "authors": tuple(review["authors"]), "keywords": tuple(review["keywords"])}),
        studies=tuple(study(s) for s in data["studies"]),
        facts=tuple(ReviewFact(**{**f, "refs": tuple(f["refs"])}) for f in data["facts"]),
        glossary=tuple(GlossaryEntry(**g) for g in data["glossary"]),
        report=tuple(data.get("report", ())),
    )


def write_model_files(model: EvidenceModel, folder: Path) -> list[Path]:
    """The model as readable JSON, one file a record kind, so a researcher can check what the
    assistant believes."""
    folder.mkdir(parents=True, exist_ok=True)
    data = model_to_dict(model)
    written = []
    for name, key in (("review.json", "review"), ("studies.json", "studies"), ("facts.json", "facts"),
                      ("glossary.json", "glossary"), ("report.json", "report")):
        path = folder / name
        path.write_text(json.dumps(data[key], indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
