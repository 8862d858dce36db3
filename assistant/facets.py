"""List questions answered from the evidence model: every study is a small document of its
facets (design, population, country, intervention, duration, follow-up, instruments by
abbreviation and full name, outcomes, findings, its abstract's key findings), ranked against
the question's words, then narrowed by what the question constrains (a design, a sample size,
follow-up or not). Pure functions: records in, refs out."""
from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.retrieve import tokenize
from ingest.evidence_model import Study
from ingest.records import Digest
from ingest.tables import normalise_design

INTERVENTION_DESIGNS = ("RCT", "non-randomized trial", "pre-post")
# Words that frame a list question rather than name what the studies share.
_FRAME = set(tokenize("which what list name any every all give show include included review paper papers trial trials "
                      "survey surveys work works table tables main additional ones kind kinds even ever still just "
                      # verbs of doing research: "which studies measured burnout" asks for burnout
                      "measure measured measuring assess assessed examine examined investigate investigated "
                      "evaluate evaluated explore explored look looked use used using conduct conducted perform performed "
                      # what to show of each study ("with country and N"), not which to list
                      "country countries n year years doi dois"))


@dataclass(frozen=True)
class FacetMatch:
    refs: tuple[int, ...]
    constrained: bool  # the question set a design, size or follow-up condition
    matched_terms: bool  # the question's own words picked the studies
    satisfying: tuple[int, ...] = ()  # every study meeting its conditions other than design, whatever its words


def study_document(study: Study, digest: Digest | None) -> str:
    """Everything the evidence model knows about a study, as one text."""
    parts = [study.design, study.method, study.population, study.country, study.intervention, study.duration, study.follow_up,
             " ".join(f"{i.abbreviation} {i.name} {i.measures}" for i in study.instruments),
             " ".join(o.text for o in study.outcomes), study.findings]
    if digest is not None and digest.found:
        parts += [digest.study_type or "", digest.participants or "", *digest.key_findings]
    return " ".join(p for p in parts if p)


def study_tokens(studies: Sequence[Study], digests: Mapping[int, Digest]) -> dict[int, set[str]]:
    """Each study's document as tokens, to compute once per evidence model (match_studies' `documents`)."""
    return {s.ref: set(tokenize(study_document(s, digests.get(s.ref)))) for s in studies}


def _design_condition(question: str):
    """The condition on design the question states, or None. The tables' own filters read designs
    too; the other conditions (_constraints) only the evidence model reads."""
    # "the review" names the source, not a design; only "which reviews/meta-analyses" asks for one.
    question = re.sub(r"\b(the|this|additional|main|systematic) review\b", " ", question, flags=re.I)
    # "Any actual trial, not just surveys?": a design set aside is no design asked for.
    set_aside = [normalise_design(m.group(0)) for m in _SET_ASIDE.finditer(question)]
    question = without_set_aside(question)
    design = normalise_design(question)
    if design is None and not _ASKS_TRIALS.search(question) and (aside := next((d for d in set_aside if d), None)):
        return lambda s, d=aside: s.design is not None and s.design != d
    if design and not re.search(r"\b(randomi[sz]ed|rcts?)\b.*\b(or|and)\b.*\b(non-?randomi|quasi)", question, re.I):
        return lambda s, d=design: s.design == d
    if _ASKS_TRIALS.search(question):
        return lambda s: s.design in INTERVENTION_DESIGNS
    return None


_ASKS_TRIALS = re.compile(r"\b(intervention|training|experimental|trials?)\b.{0,12}\b(stud(y|ies)|trials?)\b|\btrials\b", re.I)
# A design named to be set aside: "not just surveys", "rather than interviews", "other than RCTs".
_SET_ASIDE = re.compile(r"\b(?:not (?:just|only|merely|simply)|rather than|instead of|other than|as opposed to|apart from|excluding)\s+"
                        r"[^,.;:?!]{0,40}", re.I)


def without_set_aside(question: str) -> str:
    """The question without what it sets aside ("…, not just surveys?"): the rest says what it asks for."""
    return _SET_ASIDE.sub(" ", question)


@lru_cache(maxsize=1)
def _region_data() -> dict[str, list[str]]:
    """assistant/data/regions.json without its note: each region's countries, "Name|Adjective"."""
    data = json.loads((Path(__file__).with_name("data") / "regions.json").read_text(encoding="utf-8"))
    return {name: countries for name, countries in data.items() if not name.startswith("_")}


@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[re.Pattern[str], re.Pattern[str]]]:
    """Each world region of assistant/data/regions.json: a pattern for its name in a question
    ("Asia", "Asian") and one for its countries and their adjectives in a study's facets."""
    regions = {}
    for name, countries in _region_data().items():
        names = sorted({alias for country in countries for alias in country.split("|")}, key=len, reverse=True)
        stem = re.escape(name.removeprefix("the ").rstrip("s"))
        regions[name] = (re.compile(rf"\b{stem}\w*", re.I),
                         re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in names) + r")(?![\w])"))
    return regions


def places_named(text: str) -> int:
    """How many countries and world regions the text names."""
    return len(countries_named(text)) + sum(1 for asked, _ in _regions().values() if asked.search(text))


def names_a_place(text: str) -> bool:
    """The text names a country or a world region ("twelve were carried out in Europe")."""
    return places_named(text) > 0


def countries_named(text: str) -> frozenset[str]:
    """The countries a text names, by name or adjective ("hong kong", "Australian"), each by its
    first name in assistant/data/regions.json. Upper-case short forms ("US", "UK") only as written."""
    return frozenset(name for name, pattern in _country_patterns() if pattern.search(text))


@lru_cache(maxsize=1)
def _country_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    countries = dict.fromkeys(c for listed in _region_data().values() for c in listed)
    patterns = []
    for country in countries:
        aliases = country.split("|")
        spelled = [re.escape(a) for a in aliases if not a.replace(".", "").isupper()]
        capitals = [re.escape(a) for a in aliases if a.replace(".", "").isupper()]
        alternatives = ([rf"(?i:{'|'.join(spelled)})"] if spelled else []) + capitals
        patterns.append((aliases[0], re.compile(r"(?<![\w.])(?:" + "|".join(alternatives) + r")(?![\w])")))
    return tuple(patterns)


def _regions_asked(question: str) -> list[tuple[re.Match[str], re.Pattern[str]]]:
    """Each world region the question names ("done in Asia", "Asian samples") with the pattern of
    its countries. A country that contains the region's name ("South Africa") is a country, not the region."""
    countries = [m.span() for _, places in _regions().values() for m in places.finditer(question)]
    return [(match, places) for asked, places in _regions().values() for match in asked.finditer(question)
            if not any(start <= match.start() and match.end() <= end for start, end in countries)]


def _done_in(places: re.Pattern[str], study: Study, digests: Mapping[int, Digest]) -> bool:
    """The study's country (or, without one, its sample's description, in the table or its
    abstract) names one of these countries."""
    return bool(places.search(study.country or _sample_text(study, digests)))


def _without_regions(text: str) -> str:
    """The text with the world regions it names cut out (each leaves a comma, which ends a phrase)."""
    for match, _ in sorted(_regions_asked(text), key=lambda item: -item[0].start()):
        text = f"{text[:match.start()]} , {text[match.end():]}"
    return text


def _region_condition(question: str, digests: Mapping[int, Digest]):
    """The regions the question names: the studies done in any of them ("from Oceania and from
    Africa", "in North or South America")."""
    places = list(dict.fromkeys(p for _, p in _regions_asked(question)))
    return (lambda s: any(_done_in(p, s, digests) for p in places)) if places else None


def direction_words(question: str) -> set[str]:
    """The lower-cased words asking for findings that went nowhere or the wrong way ("null",
    "negative", "did not help"): a condition on the studies' outcomes the evidence model reads,
    not a topic the corpus could lack."""
    return {w for m in _ASKS_NULL.finditer(question) for w in re.findall(r"[a-z0-9'-]+", m.group(0).lower())}


def region_words(question: str, studies: Sequence[Study], digests: Mapping[int, Digest]) -> set[str]:
    """The lower-cased words of the question naming a world region ("Asian samples") where at least
    one of the studies was done: a facet the evidence model answers, though the corpus may never
    print the region's name. A region with no study stays a topic the corpus lacks."""
    return {match.group(0).lower() for match, places in _regions_asked(question)
            if any(_done_in(places, s, digests) for s in studies)}


# Nouns for a piece of research: a place next to one says where the research was done.
_RESEARCH_NOUN = r"(?:stud(?:y|ies)|trials?|rcts?|papers?|articles?|samples?|evidence|research|data|cohorts?|surveys?|experiments?|pilots?)"


def places_asked_of_studies(question: str) -> list[tuple[str, re.Pattern[str]]]:
    """The countries and world regions a question names as where research was done ("the Nigerian
    exercise trial", "studies from Africa", "a trial in Chile"), each with the pattern of its
    countries; not a place that only describes the asker ("I work in Spain")."""
    asked: list[tuple[str, re.Pattern[str]]] = []
    spans = [(match, places) for match, places in _regions_asked(question)]
    spans += [(match, pattern) for _, pattern in _country_patterns() for match in pattern.finditer(question)]
    for match, places in spans:
        before, after = question[:match.start()], question[match.end():]
        if (re.match(rf"[\s-]+(?:[\w-]+\s+){{0,2}}{_RESEARCH_NOUN}\b", after, re.I)
                or re.search(rf"\b{_RESEARCH_NOUN}\b(?:\s+[\w-]+){{0,3}}\s+(?:in|from)\s+(?:the\s+)?$", before, re.I)):
            asked.append((match.group(0), places))
    return asked


def _duration_condition(question: str):
    """A programme length the question names ("the 24 week ones", "12-week programmes"): the
    study's duration or intervention states it. Not a follow-up's length ("a 6-month follow-up")."""
    match = re.search(r"\b(\d{1,3})[- ]?(weeks?|months?|wk)\b(?![- ]?(?:long )?follow)", question, re.I)
    if match is None or re.search(r"follow", question[max(0, match.start() - 15):match.start()], re.I):
        return None
    number, unit = match.group(1), match.group(2)[0].lower()
    stated = re.compile(rf"(?<![\d.]){number}[- ]?(?:{'weeks?|wk' if unit == 'w' else 'months?'})\b", re.I)
    return lambda s: bool(stated.search(s.duration) or stated.search(s.intervention))


def _sample_text(study: Study, digests: Mapping[int, Digest]) -> str:
    digest = digests.get(study.ref)
    abstract = (digest.participants or "") if digest is not None and digest.found else ""
    return f"{study.population} {abstract}"


def tables_named(question: str) -> frozenset[str]:
    """The review's tables a question names ("in Table 3", "Tables 1 and 2", "tables 1-3"), as
    the tables' own labels ("Table 3")."""
    named: set[int] = set()
    for match in re.finditer(r"\btables?\s+(\d+(?:\s*(?:,|and|&|or|-|–|to)\s*\d+)*)", question, re.IGNORECASE):
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        if len(numbers) == 2 and re.search(r"-|–|to", match.group(1)) and numbers[0] < numbers[1] <= numbers[0] + 10:
            numbers = list(range(numbers[0], numbers[1] + 1))
        named.update(numbers)
    return frozenset(f"Table {n}" for n in named)


def _constraints(question: str, digests: Mapping[int, Digest]) -> list:
    """Conditions on the table, sample size, follow-up and the findings' direction that the question states."""
    tests = []
    if tables := tables_named(question):
        tests.append(lambda s: bool(tables & set(s.tables)))
    question = numbers_as_digits(question)
    if _ASKS_NULL.search(question):
        tests.append(_null_or_harm)
    at_most = re.search(r"\b(?:fewer|less) than (\d+)|\b(\d+) or fewer\b|\bat most (\d+)|\bunder (\d+)", question, re.I)
    if at_most:
        limit = int(next(g for g in at_most.groups() if g))
        strict = bool(re.search(r"than|under", at_most.group(0), re.I))
        tests.append(lambda s, n=limit, lt=strict: s.n is not None and (s.n < n if lt else s.n <= n))
    at_least = re.search(r"\b(?:more|over) than (\d+)|\b(\d+) or more\b|\bat least (\d+)", question, re.I)
    if at_least:
        limit = int(next(g for g in at_least.groups() if g))
        strict = "than" in at_least.group(0).lower()
        tests.append(lambda s, n=limit, gt=strict: s.n is not None and (s.n > n if gt else s.n >= n))
    if (region := _region_condition(question, digests)) is not None:
        tests.append(region)
    if (lasting := _duration_condition(question)) is not None:
        tests.append(lasting)
    if re.search(r"\b(no|without|lacked|lacking|never had a)\s+(a\s+)?follow-?up\b", question, re.I):
        tests.append(lambda s: not s.follow_up or s.follow_up.lower().startswith("no"))
    elif re.search(r"\bfollow(ed)?[- ]?(up|them up|people up)\b", question, re.I) and not re.search(
            r"\bhow long\b[^?.;]{0,40}\bfollow|\b(?:length|duration)s? of (?:the |their )?follow", question, re.I):
        # "Which had a follow-up?" is a condition; "how long did each follow people up?" asks each one's.
        tests.append(lambda s: bool(s.follow_up) and not s.follow_up.lower().startswith("no"))
    return tests


# "Which studies found no benefit, or even harm?": a question about findings that went nowhere or the wrong way.
_ASKS_NULL = re.compile(r"\b(no (?:benefit|effect|improvement|difference|change|link|association)s?|(?:not|n[o']t) (?:help|work|improve|reduce)|"
                        r"did ?n[o']t (?:help|work|improve|reduce)|harm(?:ful|ed)?|worse(?:ned)?|wrong (?:way|direction)|backfired?|"
                        r"null|non-?significant|not significant)\b", re.IGNORECASE)


_WORSE = re.compile(r"\bfavou?r(?:ing|ed|s) (?:the )?(?:control|comparison)|\bworse(?:ned)?\b|\bdeteriorat", re.IGNORECASE)


def primary_direction(study: Study) -> str:
    """The direction of a study's first outcome that states one (its tables print the primary outcome first)."""
    primary = _primary(study)
    return primary.direction if primary is not None else "unclear"


# Narrower than _ASKS_NULL: things got worse, not merely no better.
_ASKS_WORSE = re.compile(r"\b(?:(?:made|make|makes|got|get|gets|getting|became|become) (?:\w+ ){0,2}worse|worse(?:ned)?|"
                         r"backfired?|harm(?:ed|ful)?|deteriorat\w*)\b", re.IGNORECASE)


def worsened_studies(question: str, studies: Sequence[Study]) -> tuple[int, ...]:
    """The trials whose primary outcome got worse with the intervention, when the question asks
    about one that made things worse ("a study found it made people worse?"); () otherwise."""
    if not _ASKS_WORSE.search(question):
        return ()
    return tuple(s.ref for s in studies if s.design in INTERVENTION_DESIGNS and (primary := _primary(s)) is not None
                 and _WORSE.search(primary.text))


def _primary(study: Study):
    """The first outcome that states a direction (the tables print the primary outcome first)."""
    return next((o for o in study.outcomes if o.direction != "unclear"), None)


def _null_or_harm(study: Study) -> bool:
    """A trial whose primary outcome did not improve (no difference, or worse), or an observational
    study that found no association. An observational "negative" is a lower risk, not a harm."""
    direction = primary_direction(study)
    if study.design in INTERVENTION_DESIGNS:
        # "negative" alone may be a fall in a symptom (a benefit); a harm is said in words.
        primary = _primary(study)
        return direction == "none" or bool(primary and _WORSE.search(primary.text))
    return direction == "none" and study.design in ("longitudinal", "cross-sectional")


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


def numbers_as_digits(text: str) -> str:
    return re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", lambda m: _NUMBER_WORDS[m.group(1).lower()], text, flags=re.I)


# A span of time as studies print it ("12-month", "six months", "a year", "24 weeks").
_SPAN = re.compile(r"\b(\d+(?:\.\d+)?|an?)[\s-]*(weeks?|months?|years?)\b", re.IGNORECASE)
_WEEKS_PER = {"week": 1.0, "month": 52 / 12, "year": 52.0}
# What asks how long after the programme something was measured or lasted.
_FOLLOW_UP_CUE = re.compile(r"\bfollow(ed)?[\s-]?ups?\b|\blater\b|\bafter(wards?)?\b|\blast(ed|ing)?\b|\bhold\b|"
                            r"\b(maintain|persist|sustain|stick|kept)\w*", re.IGNORECASE)


def spans_in_weeks(text: str) -> set[int]:
    """Every span of time the text states, in whole weeks (twelve months and a year are 52)."""
    return {round((1.0 if m.group(1).lower() in ("a", "an") else float(m.group(1))) * _WEEKS_PER[m.group(2).lower().rstrip("s")])
            for m in _SPAN.finditer(numbers_as_digits(text))}


def follow_up_spans(question: str) -> dict[int, str]:
    """The spans a question asks a follow-up at ("the 12-month follow-up", "a year later",
    "did it last six months after?"), in weeks, each with its words: a span beside a follow-up word."""
    text = numbers_as_digits(question)
    found: dict[int, str] = {}
    for m in _SPAN.finditer(text):
        if _FOLLOW_UP_CUE.search(text[max(0, m.start() - 25):m.end() + 25]):
            count, unit = m.group(1), m.group(2).lower().rstrip("s")
            found.update({weeks: f"{count} {unit}{'' if count.lower() in ('1', 'a', 'an') else 's'}" for weeks in spans_in_weeks(m.group(0))})
    return found


def _phrases(text: str) -> list[tuple[str, ...]]:
    """The question's content phrases: runs of words between punctuation, function words and
    framing words ("nursing homes", "long-term care", "assisted living"), each as its tokens.
    A hyphenated word counts by its parts, as the studies' texts are tokenized."""
    phrases: list[tuple[str, ...]] = []
    run: list[str] = []
    for piece in re.findall(r"[\w'’-]+|[^\w\s]", text.lower()):
        tokens = [t for t in tokenize(piece) if "-" not in t] or tokenize(piece)
        tokens = [t for t in tokens if t not in _FRAME and not t.isdigit()]
        if tokens:
            run.extend(tokens)
            continue
        if run:
            phrases.append(tuple(dict.fromkeys(run)))
        run = []
    if run:
        phrases.append(tuple(dict.fromkeys(run)))
    return phrases


_UNWANTED = re.compile(r"\b(?:rather than|instead of|other than|except|excluding|apart from)\b([^,;.?!]*)", re.I)


def _split_unwanted(question: str) -> tuple[str, str]:
    """The question without its "rather than ..." clauses, and those clauses."""
    unwanted = " , ".join(m.group(1) for m in _UNWANTED.finditer(question))
    return _UNWANTED.sub(" , ", question), unwanted


# An everyday synonym widens the search; it names what the question means less surely than its own words.
_EXPANSION_WEIGHT = 0.4


def _asked_and_preamble(question: str) -> tuple[str, str]:
    """The sentences that ask (ending in "?") and the statements before them ("I'm a mental
    health nurse, not a psychologist."): a statement about the asker sets the scene, and the
    question says what the listed studies share. A question without "?" is all asking."""
    sentences = re.findall(r"[^.?!]+(?:[.?!]+|$)", question)
    if not any(s.rstrip().endswith("?") for s in sentences):
        return question, ""
    last = max(i for i, s in enumerate(sentences) if s.rstrip().endswith("?"))
    asking = [s for i, s in enumerate(sentences) if s.rstrip().endswith("?") or i > last]
    return " ".join(asking), " ".join(s for s in sentences if s not in asking)


# A clause that asks something of the studies just picked ("- what did they find about activity?"):
# a pronoun pointing back at them within its first words.
_ASKED_OF_THEM = re.compile(r"(?:[,;:?–—]|\s-\s)\s*(?:and\s+|but\s+|so\s+)?(?:\w+\s+){0,3}?(?:they|them|their|each|these|those)\b.*$",
                            re.IGNORECASE)


def selecting_clause(asking: str) -> str:
    """The part of a list question that picks the studies, without a later clause asking what
    they found: its words are what to say about them, not which to list."""
    found = _ASKED_OF_THEM.search(asking)
    if found is None or not _phrases(asking[:found.start()]):
        return asking
    return asking[:found.start()]


def _satisfying(studies: Sequence[Study], others: Sequence) -> tuple[int, ...]:
    return tuple(s.ref for s in studies if others and all(t(s) for t in others))


def match_studies(
    question: str, expansions: Sequence[str], studies: Sequence[Study], digests: Mapping[int, Digest],
    *, ratio: float = 0.5, topic: str = "", documents: Mapping[int, set[str]] | None = None,
) -> FacetMatch:
    """The studies a list question asks for: those satisfying its conditions whose facets share
    the question's words, down to `ratio` of the best match (all of them when it names only conditions)."""
    others = _constraints(question, digests)
    design = _design_condition(numbers_as_digits(question))
    tests = [design, *others] if design else others
    pool = [s for s in studies if all(test(s) for test in tests)]
    if not pool and _null_or_harm in tests:
        # No study's record states a null or adverse primary outcome (directions read from words
        # can miss them): the question's words decide alone.
        tests = [test for test in tests if test is not _null_or_harm]
        others = [test for test in others if test is not _null_or_harm]
        pool = [s for s in studies if all(test(s) for test in tests)]
    documents = documents if documents is not None else study_tokens(studies, digests)
    # A term that most studies share weighs little: it names the review's topic, not what sets
    # the listed ones apart (but a list of everything that measured the topic is all of them).
    frequency = Counter(t for doc in documents.values() for t in doc)
    total = len(studies) or 1
    weight = {t: math.log(1 + total / n) for t, n in frequency.items()}
    # "at home rather than in a group": what follows such a cue (to the end of its clause) is what
    # the listed studies should not share.
    asking, preamble = _asked_and_preamble(question)
    # A region named is a condition above ("from Oceania": done in Australia or New Zealand), not a
    # word the listed studies' facets must share.
    asked, unwanted = _split_unwanted(_ASKS_NULL.sub(" , ", _without_regions(selecting_clause(asking))))
    phrases = [(p, 1.0) for p in _phrases(asked)] + [(p, -1.0) for p in _phrases(unwanted)]
    phrases += [(p, _EXPANSION_WEIGHT) for e in expansions for p in _phrases(e)]
    scene = [(p, 1.0) for p in _phrases(_split_unwanted(preamble)[0])]
    topical = set(tokenize(topic))

    def score(phrases) -> dict[int, float]:
        # Each phrase counts once, by the share of its words a study has (rare words weighing more):
        # a list of alternatives ("nursing homes, long-term care or assisted living") takes a study
        # matching any one, and a rare side word ("one of its components") cannot outweigh the topic.
        scored = [(tuple(t for t in p if t in weight), factor) for p, factor in phrases]
        scored = [(p, factor) for p, factor in scored if p]
        if tests:
            # The conditions pick the set; the review's topic (its title and keywords, `topic`, or
            # words most studies share) cannot narrow it.
            scored = [(p, factor) for p, factor in scored if not all(t in topical or frequency[t] >= 0.6 * total for t in p)]
        return {study.ref: sum(factor * sum(weight[t] for t in p if t in documents[study.ref]) / sum(weight[t] for t in p)
                               for p, factor in scored) for study in pool}

    scores, around = score(phrases), score(scene)
    if max(scores.values(), default=0.0) <= 0:
        # "I teach a module on burnout. Which studies?": the scene is all the question names.
        scores, around = around, {}
    best = max(scores.values(), default=0.0)
    if best > 0:
        # The asker's scene ("I'm a nurse, not a psychologist.") orders the studies the question
        # picks; it picks none itself.
        chosen = [ref for ref, value in scores.items() if value >= ratio * best]
        order = sorted(chosen, key=lambda r: -(scores[r] + _EXPANSION_WEIGHT * around.get(r, 0.0)))
        return FacetMatch(tuple(order), bool(tests), True, _satisfying(studies, others))
    if tests and len(pool) < total:
        return FacetMatch(tuple(s.ref for s in pool), True, False, _satisfying(studies, others))
    return FacetMatch((), bool(tests), False)
