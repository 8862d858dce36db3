"""Questions about studies as structured data: named studies ("Eriksson et al. 2018") and
list questions answered from the review's tables (instrument, design, programme, sample,
outcome). Pure functions."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from types import MappingProxyType

from assistant.facets import countries_named, selecting_clause, tables_named, without_set_aside
from assistant.query import ReadQuestion
from ingest.records import Reference, StudyRecord
from ingest.tables import INTERVENTION_DESIGNS
from ingest.references import DOI

if TYPE_CHECKING:
    from ingest.evidence_model import Study

_NAMED = re.compile(
    r"\b(?P<name>[A-ZÀ-Ý][\wÀ-ÿ'’-]+)(?:\s+(?:and|&)\s+(?P<second>[A-ZÀ-Ý][\wÀ-ÿ'’-]+))?"
    r"(?P<etal>\s+et al\b\.?|\s+and colleagues\b)?(?:['’]s)?"
    r"(?:,?\s*(?P<open>\()?(?P<year>(?:19|20)\d{2})\)?)?"
)
# Years that follow an author's year in the same breath: ", 2017", " and 2017", " (survey) and (2017)".
_MORE_YEARS = re.compile(r"(?:(?:\s*\([^()]{0,30}\))?\s*(?:,|;|and|&)\s*\(?(?:19|20)\d{2}[a-z]?\)?)*")
_POSSESSIVE = re.compile(r"['’]s$")
# "the Kirby one", "the Rimes study": a surname standing before what it names, as people name papers.
_ATTRIBUTIVE = re.compile(r"\s+(?:one|study|trial|paper|article|review|meta-analysis|survey|cohort|pilot|programme|program|"
                          r"intervention|course|rct|project|work)\b", re.IGNORECASE)
_THE_BEFORE = re.compile(r"\bthe\s+$", re.IGNORECASE)
_NOT_NAMES = {"table", "figure", "the", "in", "since", "from", "by", "until", "and", "what", "which", "study", "a",
              "did", "does", "do", "how", "was", "were", "is", "are", "review", "trial", "msc", "mbsr", "rct"}


def fold(text: str) -> str:
    """Lower case without accents, so 'Jimenez-Gomez' finds 'Jiménez-Gómez'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


@dataclass(frozen=True)
class AuthorNames:
    """A review's references by the surnames people name them with, built once when an index opens."""

    references: tuple[Reference, ...]
    first: Mapping[str, tuple[Reference, ...]]  # "X et al" names the first author
    any: Mapping[str, tuple[Reference, ...]]
    own: frozenset[str] = frozenset()  # the review's own authors ("what Smith et al. see as the gaps")

    @property
    def surnames(self) -> frozenset[str]:
        """Every surname known, folded: the cited works' authors and the review's own."""
        return frozenset(self.any) | self.own

    @classmethod
    def of(cls, references: Sequence[Reference], own_authors: Sequence[str] = ()) -> "AuthorNames":
        """`own_authors` in the reference list's form ("Smith AB"): names of the review itself."""
        first: dict[str, list[Reference]] = {}
        anyone: dict[str, list[Reference]] = {}
        for reference in references:
            surnames = re.split(r"\s*&\s*", reference.label.split(" (")[0].replace(" et al.", ""))
            for key in _surname_keys(surnames[0]):
                first.setdefault(key, []).append(reference)
            # Every author, not only those the label shows: "Tellegen and Steindl" are co-authors of "Kirby et al.".
            for surname in dict.fromkeys([*surnames, *author_surnames(reference.authors)]):
                for key in _surname_keys(surname):
                    if reference not in anyone.get(key, []):
                        anyone.setdefault(key, []).append(reference)
        frozen = lambda d: MappingProxyType({k: tuple(v) for k, v in d.items()})  # noqa: E731
        own = {key for surname in author_surnames(", ".join(own_authors)) for key in _surname_keys(surname)}
        return cls(tuple(references), frozen(first), frozen(anyone), frozenset(own))


def named_studies(question: str, names: AuthorNames) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Refs of the studies the question names, and names that match no reference of the review."""
    mentions, unknown = named_mentions(question, names)
    return tuple(dict.fromkeys(r for m in mentions for r in m.refs)), unknown


@dataclass(frozen=True)
class Mention:
    """Where the question names studies by author or DOI, and the refs that name stands for."""

    refs: tuple[int, ...]
    start: int
    end: int
    possessive: bool = False  # named only by a possessive ("Whitford's trial"; "Stamm's ProQOL" names a work, not a study)


def named_mentions(question: str, names: AuthorNames) -> tuple[tuple[Mention, ...], tuple[str, ...]]:
    """Each mention of a study in the question, in order ("Beaumont et al.'s 2016 survey" may be
    two papers of that name and year; "Fulton's 2018 study" one), and names that match no
    reference of the review."""
    found: list[Mention] = []
    unknown: list[str] = []
    # A DOI names its reference exactly ("Which study has the DOI 10.5555/mbpr.2021.1002?").
    for match in DOI.finditer(question):
        doi = match.group("doi").rstrip(".,;?!)").lower()
        refs = [r.ref for r in names.references if r.doi and r.doi.lower() == doi]
        found += [Mention(tuple(refs), match.start(), match.end())] if refs else []
        if not refs:
            unknown.append(f"DOI {doi}")
    for match in _NAMED.finditer(question):
        name, year = match.group("name"), match.group("year")
        possessive = fold(name) not in names.any and bool(_POSSESSIVE.search(name))
        if possessive:
            name = _POSSESSIVE.sub("", name)  # "Fulton's 2018 study": the name is Fulton
        # Only author-like mentions count: "X et al", "X and Y", "X (2019)", or a first author's
        # possessive ("Whitford's hatha yoga trial").
        attributive = (not possessive and not year and _THE_BEFORE.search(question, 0, match.start()) is not None
                       and _ATTRIBUTIVE.match(question, match.end()) is not None)
        authorish = (match.group("etal") or match.group("second") or (year and match.group("open"))
                     or ((possessive or attributive) and fold(name) in names.first))
        # "Finlay-Jones 2015 vs Finlay-Jones 2017": a surname of the list with one of its years, unbracketed.
        listed_year = year and any(r.year == int(year) for r in names.any.get(fold(name), ()))
        if not (authorish or listed_year) or fold(name) in _NOT_NAMES:
            continue
        by_name = names.first if match.group("etal") else names.any
        candidates = list(by_name.get(fold(name), ()))
        if not candidates and len(name) >= 5:
            # A misprint or typo one edit from exactly one surname ("Kowalcyzk" for "Kowalczyk").
            from rapidfuzz.distance import OSA

            close = [key for key in by_name if OSA.distance(fold(name), key) <= 1]
            candidates = list(by_name[close[0]]) if len(close) == 1 else []
        if year:
            # "Finlay-Jones et al. 2015 (survey) and 2017 (online programme)": the later years are the same author's.
            more = _MORE_YEARS.match(question, match.end()).group(0)
            years = {int(year), *(int(y) for y in re.findall(r"(?:19|20)\d{2}", more))}
            candidates = [r for r in candidates if r.year in years]
        if match.group("second") and (led := [r for r in candidates if r in names.first.get(fold(name), ())]):
            candidates = led  # "Neff & Germer 2013" is Neff's paper of that year, not Germer & Neff's
        if candidates:
            found.append(Mention(tuple(r.ref for r in candidates), match.start(), match.end(),
                                 possessive=bool(possessive and not (match.group("etal") or match.group("second") or year))))
        elif fold(name) in names.own:
            continue  # the review's authors: a question about the review, answered from all of it
        elif match.group("etal") or year:
            shown = name + (f" and {match.group('second')}" if match.group("second") else "")
            unknown.append(f"{shown}{f' ({year})' if year else ''}")
    return tuple(found), tuple(dict.fromkeys(unknown))


def first_author_surname(label: str) -> str:
    """The first author's surname as a study's label writes it ("Van Hoorn" of "Van Hoorn et al. (2022)")."""
    return re.split(r"\s+et al\b|\s*&\s*|\s*\(", label)[0].strip()


def author_surnames(authors: str) -> list[str]:
    """The surnames of a reference-list author string ("Kirby JN, Tellegen CL, Steindl SR")."""
    names = [re.sub(r"(\s+[A-ZÀ-Þ][A-ZÀ-Þ.-]{0,4})+$", "", a.strip()) for a in re.split(r",\s*|\s*&\s*|\band\b", authors or "")]
    return [n for n in names if len(n) >= 2 and not n.isupper()]


def _surname_keys(surname: str) -> list[str]:
    """A surname as people write it: whole ("Van Hoorn"), and by its last word when it has a
    particle ("Hoorn et al." once the capitalised "Van" is read as a word of its own)."""
    whole = fold(surname.strip())
    last = whole.split()[-1] if whole else whole
    return [whole] if last == whole else [whole, last]


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


_FILLER = {"of", "the", "for", "and", "to", "in", "a", "version", "s"}


def mentioned_instruments(question: str, glossary: dict[str, str], records: Sequence[StudyRecord]) -> set[str]:
    """Instrument abbreviations the question names, directly or by their full name."""
    names = {i.upper() for r in records for i in r.instruments}
    q = f" {_norm(question)} "
    found = {n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", question, re.IGNORECASE)}
    if not found:
        # By full name, in any word order ("short form of the Self-Compassion Scale"); the
        # fullest name wins, so the short form is not read as the long scale.
        words = set(q.split())
        best: tuple[int, str] | None = None
        for abbreviation, expansion in glossary.items():
            core = {w for w in _norm(re.sub(r"\([^)]*\)", "", expansion.split(",")[0])).split() if w not in _FILLER}
            if abbreviation.upper() in names and len(core) >= 2 and core <= words:
                if best is None or len(core) > best[0]:
                    best = (len(core), abbreviation.upper())
        if best:
            found.add(best[1])
    return found


DESIGN_FILTERS: list[tuple[str, Callable[[StudyRecord], bool]]] = [
    # "Non-randomised" and "quasi-experimental" name the other trials, not randomized ones.
    (r"(?<!non-)(?<!non )(?<!not )\b(?:randomi[sz]ed|rcts?)\b|(?<!non-randomised )(?<!non-randomized )(?<!non randomised )"
     r"(?<!non randomized )(?<!quasi-experimental )\btrials?\b", lambda r: r.design == "RCT"),
    # Every trial without randomization, a single group measured before and after included.
    (r"\b(non[- ]?randomi[sz]ed|not randomi[sz]ed|quasi-?experiment\w*)", lambda r: r.design in ("non-randomized trial", "pre-post")),
    (r"\b(qualitative|interviews?|phenomenolog\w*|thematic)\b(?!.*\b(trainings?|courses?|interventions?|programmes?|programs?|meditation|workshops?)\b)",
     lambda r: r.design == "qualitative"),
    (r"\b(qualitative|interviews?|phenomenolog\w*|thematic)\b.*\b(trainings?|courses?|interventions?|programmes?|programs?|meditation|workshops?)\b",
     lambda r: r.design == "qualitative" and bool(r.program)),
    (r"\b(mediat\w*|moderat\w*|mechanisms?)\b", lambda r: bool(r.cell("mediation").strip())),
    (r"\b(cross-sectional|surveys?|correlational|questionnaire studies)\b", lambda r: r.design == "cross-sectional"),
    (r"\b(cohort|longitudinal|prospective)\b", lambda r: r.design == "longitudinal"),
    (r"\b(observational|non-?experimental)\b", lambda r: r.design in ("cross-sectional", "longitudinal")),
    (r"(?<!quasi-)\b(experimental|intervention studies|training studies|pre-post)\b", lambda r: r.design in INTERVENTION_DESIGNS),
]
_PROGRAM_FILTERS: list[tuple[str, Callable[[StudyRecord], bool]]] = [
    (r"\b(msc|mindful self-compassion)\b", lambda r: "MSC" in r.program),
    (r"\b(online|internet|web-based)\b", lambda r: bool(re.search(r"Internet|Online", r.program))),
    (r"\b(cft|compassion[- ]focused)\b", lambda r: "CFT" in r.program or "Compassion Focused" in r.program),
    (r"\b(lkm|loving[- ]kindness)\b", lambda r: "LKM" in r.program or "Loving-kindness" in r.program),
    (r"\b(mbsr|mindfulness-based stress reduction)\b", lambda r: "MBSR" in r.program or "MBSR" in " ".join(r.cells)),
    (r"\bmindfulness (course|class|program|programme|training)s?\b",
     lambda r: bool(re.search(r"[Mm]indfulness|MBSR", r.program))),
]
# Sample words the tables print literally narrow as firmly as a design does.
_SPECIFIC_SAMPLES: list[tuple[str, Callable[[StudyRecord], bool]]] = [
    (r"\bdoctoral\b", lambda r: "doctoral" in r.sample.lower()),
    (r"\bmaster'?s?\b", lambda r: "master" in r.sample.lower()),
    (r"\bfemale\b", lambda r: "female" in r.sample.lower()),
]
_SAMPLE_FILTERS: list[tuple[str, Callable[[StudyRecord], bool]]] = [
    (r"\b(counsell?ors?|counsell?ing)\b", lambda r: "counsel" in r.sample.lower()),
    # "For my students" names the asker's audience, not the sample.
    (r"(?<!my )(?<!our )\b(trainees?|students?|in training|interns?|doctoral)\b",
     lambda r: bool(re.search(r"trainee|student|intern|training", r.sample, re.IGNORECASE))),
    (r"\b(practi[sc]ing|working|licensed|qualified) (psychologists|therapists|professionals)\b",
     lambda r: "practicing" in r.sample.lower() or r.sample.lower().startswith("psychologists")),
]
# How the tables print an outcome: burnout also as its components.
_OUTCOME_FORMS = {"burnout": r"burnout|emotional exhaustion|depersonali[sz]ation|compassion fatigue",
                  "well-being": r"well-being|wellbeing|happiness", "depression": r"depress"}
_OUTCOMES = ["burnout", "compassion fatigue", "secondary traumatic stress", "depression", "anxiety", "well-being",
             "stress", "mindfulness", "self-efficacy", "emotion regulation", "compassion for others", "help-seeking",
             "perfectionis", "impostor", "therapeutic presence", "work-life balance", "forgiveness"]


@dataclass(frozen=True)
class TableMatch:
    """Table rows a question asks for: `strength` says how far the filters pin the answer down
    ("exact" for a named instrument, "group" for a design or programme, "loose" for sample or
    outcome words), `focus` what to quote from each row (instruments, n or findings)."""

    records: tuple[StudyRecord, ...]
    strength: str
    focus: str
    programme: str = ""  # the programme pattern the question named, if any


def structured_matches(
    read: ReadQuestion, records: Sequence[StudyRecord], glossary: dict[str, str]
) -> TableMatch:
    """The table rows that match what a question names; no rows when it names nothing the tables record."""
    question = read.clean.text.lower()
    selected = list(records)
    strength = ""
    focus = "n" if re.search(r"\b(how many|sample size|participants|n\b)", question) else "findings"
    instruments = mentioned_instruments(read.clean.text, glossary, records)
    if instruments:
        selected = [r for r in selected if instruments & {i.upper() for i in r.instruments}]
        strength, focus = "exact", "instruments"
    elif re.search(r"\b(questionnaires?|scales?|instruments?|measures?|inventor(y|ies))\b", question):
        focus = "instruments"
    if (tables := tables_named(read.clean.text)) and any(r.table in tables for r in records):
        # "the studies in Table 3": a table the review prints is a group, as a design is.
        selected, strength = [r for r in selected if r.table in tables], strength or "group"
    specific = [test for pattern, test in _SPECIFIC_SAMPLES if re.search(pattern, question)]
    for filters, level in ((DESIGN_FILTERS, "group"), (_PROGRAM_FILTERS, "group"), (_SPECIFIC_SAMPLES, "group"),
                           (_SAMPLE_FILTERS, "loose")):
        if filters is _SAMPLE_FILTERS and (specific or (strength == "group" and len(selected) <= 6)):
            continue  # a small named group ("the four intervention studies") is not cut by looser words
        # A design set aside ("any trial, not just surveys?") is not one asked for.
        read_in = without_set_aside(question) if filters is DESIGN_FILTERS else question
        matched = [test for pattern, test in filters if re.search(pattern, read_in)]
        if matched:
            selected = [r for r in selected if any(test(r) for test in matched)]
            strength = strength or level
    # An outcome named only in what is asked of the studies ("…: what did they find about
    # depression?") does not pick them.
    selecting = selecting_clause(question)
    outcomes = [o for o in _OUTCOMES if o in selecting and not (o == "stress" and "traumatic stress" in selecting)]
    if outcomes:
        narrowed = [r for r in selected if any(re.search(_OUTCOME_FORMS.get(o, re.escape(o)), r.findings.lower()) for o in outcomes)]
        if narrowed and (strength or re.search(r"\b(associat|relat|link|correlat|measured|assessed)", question)):
            selected, strength = narrowed, strength or "loose"
    if not strength:
        return TableMatch((), "", focus)
    unique = {r.ref: r for r in selected}
    programme = next((pattern for pattern, _ in _PROGRAM_FILTERS if re.search(pattern, question)), "")
    return TableMatch(tuple(unique.values()), strength, focus, programme)


# --- Studies described rather than named ------------------------------------------------------

_ONE_STUDY = re.compile(r"\b(study|trial|rct|paper|article|survey|cohort|programme|program|project|intervention|one|experiment|pilot)\b(?!s)", re.IGNORECASE)
_A_TRIAL = re.compile(r"\b(trial|rct|experiment|intervention study)\b(?!s)", re.IGNORECASE)
_MANY_STUDIES = re.compile(r"\b(studies|trials|papers|surveys|cohorts|programmes|programs|interventions|which (ones|of them))\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b([A-ZÀ-Ý][\wÀ-ÿ'’-]{3,})")


def _words(text: str) -> set[str]:
    # A plural names the same thing ("stretchy bands", "elastic-band training").
    return {re.sub(r"(?<=[^s])s$", "", w)[:6] for w in re.findall(r"[a-z]{4,}", fold(text))}


def by_first_author(question: str, studies: Sequence["Study"]) -> list["Study"]:
    """The studies whose first author the question names, by surname, possessive or misspelt
    ("Kowalcyzk's trial"), narrowed by a year it gives when one fits."""
    from rapidfuzz import fuzz

    years = {int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", question)}
    capitalised = [fold(m.group(1)).removesuffix("'s").removesuffix("’s") for m in _CAPITALISED.finditer(question)]
    by_name = []
    for study in studies:
        surname = fold(re.split(r"\s+(?:et al|&|and)\b|\s*\(", study.label)[0].strip())
        # "Van Hoorn": the particle is not capitalised by everyone; the last word is the name.
        keys = {surname, surname.split()[-1]} if surname else set()
        if any(fuzz.ratio(word, key) >= 88 for word in capitalised for key in keys if len(key) >= 4):
            by_name.append(study)
    in_year = [s for s in by_name if s.year in years]
    return in_year or by_name


def _names_instrument(question: str, instrument) -> bool:
    """The question names the instrument: its full name (two words or more), or its abbreviation
    written as printed ("TS", "SCS-SF")."""
    # A plain substring test first: the patterns are built only for the few names the question may hold.
    name = instrument.name if len(instrument.name.split()) >= 2 else ""
    abbreviation = instrument.abbreviation if len(instrument.abbreviation) >= 2 else ""
    return bool((name and name.lower() in question.lower() and re.search(rf"\b{re.escape(name)}\b", question, re.IGNORECASE))
                or (abbreviation and abbreviation in question
                    and re.search(rf"(?<![\w-]){re.escape(abbreviation)}(?![\w-])", question)))


def described_study(question: str, studies: Sequence["Study"], *, side: bool = False,
                    samples: Mapping[int, str] = MappingProxyType({})) -> tuple[int, ...]:
    """The one study a question points at without the "X et al" form: by its first author's
    surname, possessive or misspelt ("Kowalcyzk's trial"), or by a description (country, design,
    year, sample size, distinctive words of its intervention or sample) that fits it best by a
    clear margin. () when the question is about several studies or none fits. `side`: the text is
    one side of a comparison, where one distinctive word of a study's facets is enough. By
    meaning instead of words: `closest_study`. `samples`: each study's sample as its abstract
    describes it ("clinical psychologists and trainees in Hong Kong"), for the country the
    tables may leave out."""
    from ingest.tables import normalise_design

    if not studies or _MANY_STUDIES.search(question):
        return ()
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", question)}
    capitalised = [fold(m.group(1)).removesuffix("'s").removesuffix("’s") for m in _CAPITALISED.finditer(question)]
    by_name = by_first_author(question, studies)
    if len(by_name) == 1:
        return (by_name[0].ref,)
    if not _ONE_STUDY.search(question) and not side and len(by_name) < 2:
        # One side of a comparison ("the nursing home residents got worse") needs no "study"; nor
        # does one of an author's studies ("Beaumont 2016 CFT workshop"), which the rest tells apart.
        return ()
    # "The Beaumont 2016 survey" among two Beaumont 2016 papers: the rest of the description
    # chooses between the author's own studies, and one facet that sets them apart is enough.
    candidates, enough = (by_name, 0.75) if len(by_name) > 1 else (list(studies), 1.5)
    # Words that set one study apart: those few studies share.
    profiles = {s.ref: _words(" ".join((s.intervention, s.population, s.country))) for s in studies}
    asked_countries = countries_named(question)
    frequency: dict[str, int] = {}
    for words in profiles.values():
        for word in words:
            frequency[word] = frequency.get(word, 0) + 1
    asked_words = _words(question)
    asked_design = normalise_design(question)
    numbers = {int(n) for n in re.findall(r"\b\d{2,5}\b", question)}
    # "The study that used the Telepressure Scale": an instrument named by its full name or its
    # abbreviation as printed sets apart the one or two studies that used it.
    measured = {s.ref: any(_names_instrument(question, i) for i in s.instruments) for s in studies}
    rare_measure = sum(measured.values()) <= 2
    scores: list[tuple[float, float, int]] = []
    for study in candidates:
        score = 1.5 if rare_measure and measured[study.ref] else 0.0
        places = {fold(w)[:4] for w in re.findall(r"[A-Z][a-z]{3,}", f"{study.country} {study.population}")}
        if places & {w[:4] for w in capitalised} or (
                asked_countries & countries_named(f"{study.country} {study.population} {samples.get(study.ref, '')}")):
            score += 1.5
        if asked_design and asked_design == study.design:
            score += 0.75
        # "The Danish trial": the kind of study tells apart two that share a facet; it names none alone.
        tie_break = 0.75 if not asked_design and _A_TRIAL.search(question) and study.design in INTERVENTION_DESIGNS else 0.0
        if study.year in years:
            score += 1.5
        if study.n in numbers:
            score += 1.5
        score += sum(1.0 for w in asked_words & profiles[study.ref] if frequency[w] <= 2)
        # "Does yoga help depressed seniors?" describes the yoga studies, not the one whose sample
        # came from senior centres: a word of other studies' facets that this one lacks speaks
        # against it, the more the fewer studies share it.
        score -= sum(1.0 / frequency[w] for w in asked_words - profiles[study.ref] if frequency.get(w, 0) and frequency[w] <= 3)
        scores.append((score + (tie_break if score > 0 else 0.0), score, study.ref))
    scores.sort(reverse=True)
    (best, own, ref), second = scores[0], (scores[1][0] if len(scores) > 1 else 0.0)
    # Two facets that agree (a place and a design: "the Danish trial") set a study apart from
    # one that shares only one of them.
    margin = min(enough, 1.0 if best < 2.25 else 0.75)
    return (ref,) if own >= (1.0 if side else enough) and best - second >= margin else ()


def closest_study(closeness: Mapping[int, float], margin: float) -> tuple[int, ...]:
    """The study closest in meaning to a question when it leads the next by `margin`: the asker's
    own words for a study ("working psychologists" for practising ones, "online" for web-based)
    miss its facets' words but not their meaning."""
    ranked = sorted(closeness.items(), key=lambda item: (-item[1], item[0]))
    return (ranked[0][0],) if len(ranked) >= 2 and ranked[0][1] - ranked[1][1] >= margin else ()


def points_at_several_studies(question: str) -> bool:
    """The question is about several studies ("the Beaumont studies", "which of them")."""
    return bool(_MANY_STUDIES.search(question))


def points_at_one_study(question: str) -> bool:
    """The question points at one study ("that trial", "the survey"), not at several."""
    return bool(_ONE_STUDY.search(question)) and not _MANY_STUDIES.search(question)
