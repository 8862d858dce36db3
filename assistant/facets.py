"""List questions answered from the evidence model: every study is a small document of its
facets (design, population, country, intervention, duration, follow-up, instruments by
abbreviation and full name, outcomes, findings, its abstract's key findings), ranked against
the question's words, then narrowed by what the question constrains (a design, a sample size,
follow-up or not). Pure functions: records in, refs out."""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assistant.retrieve import tokenize
from ingest.evidence_model import Study
from ingest.records import Digest
from ingest.tables import normalise_design

INTERVENTION_DESIGNS = ("RCT", "non-randomized trial", "pre-post")
# Words that frame a list question rather than name what the studies share.
_FRAME = set(tokenize("which what list name any every all give show include included review paper papers trial trials "
                      "survey surveys work works table tables main additional ones kind kinds"))


@dataclass(frozen=True)
class FacetMatch:
    refs: tuple[int, ...]
    constrained: bool  # the question set a design, size or follow-up condition
    matched_terms: bool  # the question's own words picked the studies


def study_document(study: Study, digest: Digest | None) -> str:
    """Everything the evidence model knows about a study, as one text."""
    parts = [study.design, study.population, study.country, study.intervention, study.duration, study.follow_up,
             " ".join(f"{i.abbreviation} {i.name}" for i in study.instruments),
             " ".join(o.text for o in study.outcomes), study.findings]
    if digest is not None and digest.found:
        parts += [digest.study_type or "", digest.participants or "", *digest.key_findings]
    return " ".join(p for p in parts if p)


def _constraints(question: str) -> list:
    """Conditions on design, sample size and follow-up that the question states."""
    tests = []
    question = _numbers_as_digits(question)
    # "the review" names the source, not a design; only "which reviews/meta-analyses" asks for one.
    design = normalise_design(re.sub(r"\b(the|this|additional|main|systematic) review\b", " ", question, flags=re.I))
    if design and not re.search(r"\b(randomi[sz]ed|rcts?)\b.*\b(or|and)\b.*\b(non-?randomi|quasi)", question, re.I):
        tests.append(lambda s, d=design: s.design == d)
    elif re.search(r"\b(intervention|training|experimental|trials?)\b.{0,12}\b(stud(y|ies)|trials?)\b|\btrials\b", question, re.I):
        tests.append(lambda s: s.design in INTERVENTION_DESIGNS)
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
    if re.search(r"\b(no|without|lacked|lacking|never had a)\s+(a\s+)?follow-?up\b", question, re.I):
        tests.append(lambda s: not s.follow_up or s.follow_up.lower().startswith("no"))
    elif re.search(r"\bfollow(ed)?[- ]?(up|them up|people up)\b", question, re.I):
        tests.append(lambda s: bool(s.follow_up) and not s.follow_up.lower().startswith("no"))
    return tests


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


def _numbers_as_digits(text: str) -> str:
    return re.sub(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", lambda m: _NUMBER_WORDS[m.group(1).lower()], text, flags=re.I)


def _terms(question: str, expansions: Sequence[str]) -> list[str]:
    words = [t for t in tokenize(question) if t not in _FRAME and not t.isdigit()]
    words += [t for t in tokenize(" ".join(expansions)) if t not in _FRAME and not t.isdigit()]
    return list(dict.fromkeys(words))


def match_studies(
    question: str, expansions: Sequence[str], studies: Sequence[Study], digests: Mapping[int, Digest],
    *, ratio: float = 0.5,
) -> FacetMatch:
    """The studies a list question asks for: those satisfying its conditions whose facets share
    the question's words, down to `ratio` of the best match (all of them when it names only conditions)."""
    tests = _constraints(question)
    pool = [s for s in studies if all(test(s) for test in tests)]
    documents = {s.ref: Counter(tokenize(study_document(s, digests.get(s.ref)))) for s in studies}
    terms = _terms(question, expansions)
    # A term that most studies share names the review's topic, not what sets the listed ones apart.
    frequency = Counter(t for doc in documents.values() for t in doc)
    total = len(studies) or 1
    weights = {t: math.log(1 + total / frequency[t]) for t in terms if frequency.get(t) and frequency[t] < 0.6 * total}
    scores = {s.ref: sum(w for t, w in weights.items() if documents[s.ref].get(t)) for s in pool}
    best = max(scores.values(), default=0.0)
    if best > 0:
        chosen = [ref for ref, score in scores.items() if score >= ratio * best]
        return FacetMatch(tuple(sorted(chosen, key=lambda r: -scores[r])), bool(tests), True)
    if tests and len(pool) < total:
        return FacetMatch(tuple(s.ref for s in pool), True, False)
    return FacetMatch((), bool(tests), False)
