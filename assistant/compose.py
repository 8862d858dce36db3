"""The default, extractive composer: every claim is a corpus sentence (or table cell) and
carries the review's reference numbers; nothing is written that the corpus does not say."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from assistant.facets import names_a_place, places_asked_of_studies
from assistant.query import ReadQuestion, defined_term
from assistant.records import Citation
from assistant.spelling import fold
from assistant.retrieve import Hit, tokenize
from ingest.chunking import display_text, quotable_text
from ingest.citations import find_markers, format_refs, normalise_markers, strip_markers
from ingest.records import Digest, Passage, Reference, ReviewInfo, Sentence, StudyRecord

CONTRAST_CUE = re.compile(
    r"\b(however|contrary|controversial|not entirely conclusive|did not|no longer|not significant|"
    r"do not imply|cannot be claimed|although|but not|limitation|caution)\b",
    re.IGNORECASE,
)
_DEFINITION_CUE = re.compile(r"\b(entails|refers to|involves|is defined|defined as|definition|is referred)\b", re.IGNORECASE)
# A sentence saying what a named thing is: "Therapeutic presence is the therapist's capacity to…",
# "…higher therapeutic presence, ie the capacity to…": the words before the link name it.
_DEFINING = re.compile(r"((?:[\w'’-]+\s+){0,3}[\w'’-]+)\s*,?\s*(?:is|are|means|i\.?\s?e\.?,?|that is,)\s+(?:the|a|an)\s", re.IGNORECASE)
# "Over what time period?", "which years?": a span of years answers it.
_ASKS_SPAN = re.compile(r"\b((what|which) (time )?(period|years?|dates?)|time ?(period|frame|span)|date range|how recent)\b", re.I)
_YEAR_SPAN = re.compile(r"\b(?:19|20)\d{2}\b[^.;]{0,40}?\b(?:to|until|through|and)\b[^.;]{0,25}?\b(?:19|20)\d{2}\b|"
                        r"\b(?:19|20)\d{2}\s*[–-]\s*(?:19|20)?\d{2}\b")
class _Searcher:
    """A test of a text with the `search` of a pattern, for answers no pattern can spell."""

    def __init__(self, test) -> None:
        self._test = test

    def search(self, text: str) -> bool:
        return self._test(text)


_ASKS_PLACE = re.compile(r"\b(countr(y|ies)|where\b.{0,30}\b(done|carried out|conducted|run|based|from)|nationalit\w*)", re.IGNORECASE)
_NAMES_PLACE = _Searcher(names_a_place)
_ANSWER_TYPES = [
    (re.compile(r"\b(effect sizes?|cohen)", re.I), re.compile(r"\bd\s*[=>]\s*[-−]?\d|\bd\s*\$?\s*[>=]")),
    (re.compile(r"\bcorrelat", re.I), re.compile(r"\br\s*=\s*[-−]?\.?\d")),
    # Attrition is reported as a share ("dropout 26%"), however the question asks for it ("how many dropped out?").
    (re.compile(r"\b(variance|percent\w*|share|proportion|how much of|drop(ped)?[- ]?outs?|attrition|withdr[ae]w\w*)\b|%", re.I),
     re.compile(r"\d\s?%")),
    (re.compile(r"\b(how many|number of|sample size|how big|how large)\b", re.I),
     # A count of people or papers: "N = 54", "54 student counsellors", "243 Dutch adults", "1,912 titles".
     re.compile(r"\b[nN]\s*=\s*\d+|\b\d[\d,]*\s+([\w-]+\s+){0,2}[a-z-]+(s|ren|ople)\b|"
                r"\b(twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)[\w-]*\b", re.I)),
    (re.compile(r"\b(how long|duration|how often|how much time)\b", re.I),
     re.compile(r"\b\d+(\.\d+)?[- ]?(weeks?|months?|hours?|minutes?|min|days?)\b", re.I)),
    (_ASKS_SPAN, _YEAR_SPAN),
    # "Which countries were the studies done in?": a sentence naming places ("twelve in Europe, eight in Asia").
    (_ASKS_PLACE, _NAMES_PLACE),
    # "When did they run the search?": a date ("in May 2022").
    (re.compile(r"\bwhen (?:did|was|were|is|are)\b|\b(?:what|which) (?:year|month|date)\b", re.I),
     re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|in)\s+(?:19|20)\d{2}\b")),
]
ENTITY_BONUS = 0.1
SECTION_BONUS = 0.1
SECTION_IDF = 2.0
FINDING_BONUS = 0.06
# A word that says colloquially what a lexicon expansion says counts as the expansion does.
FORM_WEIGHT = 0.5
METHOD_PENALTY = 0.15
_NUMBER = re.compile(r"\d")
_FINDING_CUE = re.compile(r"\b(found|find|findings|showed|shown|reported|associated|linked|benefit\w*|improv\w*|reduc\w*|increas\w*|decreas\w*|predict\w*|mediat\w*|protect\w*|suggest\w*|conclude\w*)\b", re.IGNORECASE)
_METHOD_CUE = re.compile(r"\b(this (pilot |qualitative |quantitative |cross-sectional |three-arm |randomi[sz]ed )?(study|survey|trial|review article|paper) (offered|examined|investigated|evaluated|tested|explored|compared|asked)|"
                         r"^(qualitative|quantitative|cross-sectional|pilot|controlled)? ?(study|survey|evaluation) of|aim(ed)? (was|to)|sought to|is rising|"
                         r"few studies|little (is known|research)|remains? (unclear|unknown)|are both (stressed|important)|were recruited|(were|was) eligible|completed (the|a|an)|design with|participants were|was measured|were measured|questionnaires? (were|was)|research design)\b", re.IGNORECASE)
_NUMBER_WORD = re.compile(r"\b(two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b", re.IGNORECASE)
# A digest's note on its source ("The available abstract is truncated and gives no sample size.")
# says what the abstract lacks, not what a study found.
_ABOUT_THE_ABSTRACT = re.compile(r"\s*\(?(the|this) (available |full |stored |published )?(copy of the )?(abstract|digest)\b|"
                                 r"\s*this [\w -]{0,40} has no abstract\b", re.IGNORECASE)
# Sentences about the review's own layout ("Table 4 summarizes ...") make poor claims.
_META = re.compile(r"\b(Table \d (summarizes|provides)|this section|[Ww]e review|[Bb]elow,|as presented in|is presented below)\b")
# Instruments cited as references (scales, manuals), not studies of professionals.
_NON_STUDY_KINDS = ("scale development", "psychometric", "book", "manual", "instrument", "theoretical", "method")


@dataclass(frozen=True)
class Claim:
    """One point of an answer: text for people, and the exact corpus text it rests on."""

    text: str
    refs: tuple[int, ...]  # () means the review itself
    quote: str
    source: str  # review | abstract
    score: float
    passage_id: str


@dataclass(frozen=True)
class Library:
    """What the composer knows about each reference."""

    references: dict[int, Reference]
    digests: dict[int, Digest]
    records: dict[int, StudyRecord]
    glossary: dict[str, str]
    review: ReviewInfo = ReviewInfo(title="", authors=(), year=None, journal="", doi=None)
    designs: dict[int, str] = field(default_factory=dict)  # the evidence model's design label of each study

    def label(self, ref: int) -> str:
        if ref == 0:
            return f"{self.review.label}, the review itself"
        reference = self.references.get(ref)
        return reference.label if reference else f"Reference {ref}"

    def design(self, ref: int) -> str | None:
        """The evidence model's design label where it has one, else the digest's study type."""
        if self.designs.get(ref):
            return self.designs[ref]
        if ref in self.records and self.records[ref].design:
            return self.records[ref].design
        digest = self.digests.get(ref)
        return digest.study_type if digest and digest.study_type else None

    def sample_size(self, ref: int) -> str | None:
        if ref in self.records and self.records[ref].n:
            return self.records[ref].n
        digest = self.digests.get(ref)
        return digest.n if digest and digest.n else None

    def citation(self, ref: int, quote: str, source: str) -> Citation:
        if ref == 0:
            return Citation(ref=0, label=self.label(0), doi=self.review.doi, url=f"https://doi.org/{self.review.doi}" if self.review.doi else None,
                            study_type="systematic review", source="review", quote=quote)
        reference = self.references.get(ref)
        return Citation(
            ref=ref, label=self.label(ref), doi=reference.doi if reference else None,
            url=reference.url if reference else None, study_type=self.design(ref), source=source, quote=quote,
        )


# --- Scoring sentences ---------------------------------------------------------------------

def query_weights(read: ReadQuestion, idf: dict[str, float]) -> dict[str, float]:
    """Token weights: the user's own words count fully, expansions half."""
    weights: dict[str, float] = {}
    for token in tokenize(read.context):
        weights[token] = 0.5 * idf.get(token, 1.0)  # a follow-up's earlier question counts half
    for token in tokenize(read.clean.text):
        if token in read.request_tokens:
            continue
        share = FORM_WEIGHT if token in read.form_tokens else 1.0
        weights[token] = max(weights.get(token, 0.0), share * idf.get(token, 1.0))
    for token in tokenize(" ".join(read.expansions)):
        weights[token] = max(weights.get(token, 0.0), 0.5 * idf.get(token, 1.0))
    return weights


def sentence_score(sentence: Sentence, weights: dict[str, float], read: ReadQuestion) -> float:
    tokens = set(tokenize(strip_markers(sentence.text)))
    total = sum(weights.values()) or 1.0
    overlap = sum(w for t, w in weights.items() if t in tokens) / total
    bonus = 0.0
    if read.route == "numeric" and (_NUMBER.search(strip_markers(sentence.text)) or _NUMBER_WORD.search(sentence.text)):
        bonus += 0.25
    # The kind of number asked for (an effect size, a correlation, a share, a count, a duration, a
    # span of years) answers it whatever the question's route: "in the trial pitted against MBSR,
    # what was the involvement percentage?" reads as a comparison but asks for a share.
    # (A list's answer is its studies, not a number; a place says where they were done.)
    if any((read.route != "list" or answer is _NAMES_PLACE) and asked.search(read.clean.text) and answer.search(sentence.text)
           for asked, answer in _ANSWER_TYPES):
        bonus += 0.3
    if read.route == "definition":
        # The thing asked to be defined ("a definition of 'therapeutic presence'"): a sentence
        # defining something else the question also names ("self-compassion entails…") is no answer.
        term = {t for t in tokenize(defined_term(read.clean.text) or "") if t not in read.request_tokens}
        if _DEFINITION_CUE.search(sentence.text) or _defines_asked(sentence.text, read):
            bonus += 0.2 if not term else 0.4 if term <= tokens else 0.2 if term & tokens else 0.0
    if read.route == "contrast" and CONTRAST_CUE.search(sentence.text):
        bonus += 0.2
    if len(sentence.text) < 40:
        bonus -= 0.1  # fragments and bare cells make poor claims
    if read.entities and any(re.search(rf"(?<![\w-]){re.escape(e)}(?![\w-])", sentence.text) for e in read.entities):
        bonus += ENTITY_BONUS  # the programme or scale the question names
    if _META.search(sentence.text) or _ABOUT_THE_ABSTRACT.match(sentence.text):
        bonus -= 0.3
    if read.route != "numeric":
        # What a study found answers more questions than how it was run.
        if _FINDING_CUE.search(sentence.text):
            bonus += FINDING_BONUS
        if _METHOD_CUE.search(sentence.text):
            bonus -= METHOD_PENALTY
    if not sentence.refs:
        bonus -= 0.05  # a cited claim is worth more to the reader than the review's own framing
    return overlap + bonus


def _defines_asked(text: str, read: ReadQuestion) -> bool:
    """The sentence says what a thing the question names is: the words before its "is the" or
    "ie the" all stand in the question."""
    asked = set(tokenize(read.clean.text)) - read.request_tokens
    for match in _DEFINING.finditer(re.sub(r"[\u00b2\u00b3\u00b9\u2070-\u209f]+", "", strip_markers(text))):
        words = match.group(1).split()
        # The name is the last words before the link ("higher levels of therapeutic presence, ie the…").
        if any((named := set(tokenize(" ".join(words[-k:])))) and named <= asked for k in range(1, len(words) + 1)):
            return True
    return False


def cited_groups(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """A displayed sentence cut at its reference markers: each clause with the refs that close it
    ("five were judged at low risk, [18, 19] ... three at high risk. [20, 28, 30]")."""
    groups, start = [], 0
    for marker in find_markers(text):
        groups.append((text[start:marker.start], tuple(dict.fromkeys(marker.refs))))
        start = marker.end
    return groups


def claim_from_sentence(sentence: Sentence, passage: Passage, score: float) -> Claim:
    text = normalise_markers(display_text(sentence.text)) if passage.source == "review" else sentence.text
    quote = normalise_markers(quotable_text(sentence.text)) if passage.source == "review" else sentence.text
    return Claim(text=text, refs=sentence.refs, quote=quote, source=passage.source, score=score,
                 passage_id=passage.passage_id)


_SHORT_CELL = 220
_FINDINGS_COLUMN = re.compile(r"result|association|relationship|finding|ideas", re.IGNORECASE)
_LETTERED = re.compile(r"(?=\([a-h]\)\s)")


def table_claims(record: StudyRecord, label: str) -> list[Claim]:
    """A table row as claims: its short descriptive cells together (sample, N, design, measures),
    and each finding (bullet, lettered point or cell) on its own. Quotes are the cells as printed."""
    cells, columns = record.cells, record.columns or ("Study",) + ("",) * (len(record.cells) - 1)
    head = f"**{label}** [{record.ref}] ({record.table})"
    short_end = 1
    while short_end < len(cells) and len(cells[short_end]) <= _SHORT_CELL and "•" not in cells[short_end]:
        short_end += 1
    claims: list[Claim] = []
    if short_end > 1:
        described = "; ".join(
            f"{columns[i].lower()}: {cells[i]}" if i < len(columns) and columns[i] else cells[i]
            for i in range(1, short_end) if cells[i]
        )
        claims.append(Claim(text=f"{head}: {described}.", refs=(record.ref,), quote=" ".join(cells[1:short_end]),
                            source="review", score=0.0, passage_id=f"table:{record.table}:{record.ref}"))
    for i in range(short_end, len(cells)):
        pieces = [p for p in (b.strip() for b in re.sub(r"<[^>]+>", " ", cells[i]).split("•"))] if "•" in cells[i] \
            else [p.strip() for p in _LETTERED.split(cells[i])]
        column = columns[i].lower() if i < len(columns) else ""
        for piece in (re.sub(r"\s+", " ", p) for p in pieces):
            if len(piece) > 3:
                claims.append(Claim(text=f"{head}, {column}: {piece}", refs=(record.ref,), quote=piece,
                                    source="review", score=0.0, passage_id=f"table:{record.table}:{record.ref}"))
    return claims


def rank_claims(
    read: ReadQuestion, hits: Sequence[Hit], idf: dict[str, float], library: "Library | None" = None,
    known_texts: Sequence[str] = (),
) -> list[Claim]:
    """Every sentence (and table cell) of the retrieved passages as a candidate claim, best first.
    `known_texts` are passages about the study already identified: words common to them name the
    study rather than what is asked about it, so they count less."""
    weights = query_weights(read, idf)
    if known_texts:
        token_sets = [set(tokenize(strip_markers(t))) for t in known_texts]
        for token in weights:
            share = sum(token in tokens for tokens in token_sets) / len(token_sets)
            weights[token] *= 1.0 - 0.8 * share
    claims: list[Claim] = []
    top = max((h.score for h in hits), default=1.0) or 1.0
    # The question's own rarer words: one naming the review's section ("adherence" of "Adherence
    # and Dropout", "bias" of "Risk of Bias") says where its answer stands.
    asked = {t for t in tokenize(read.clean.text) if t not in read.request_tokens and idf.get(t, 0.0) >= SECTION_IDF}
    for hit in hits:
        passage = hit.passage
        if passage.kind == "reference":
            continue
        passage_weight = 0.4 * (hit.score / top) + 0.9 * max(hit.dense, 0.0)
        if asked and passage.source == "review" and asked & set(tokenize(passage.section)):
            passage_weight += SECTION_BONUS
        if passage.kind == "table_row":
            record = library.records.get(passage.study_ref) if library else None
            if record is None:
                continue
            for claim in table_claims(record, library.label(record.ref)):
                # Scored on the cells, not the study's label: a digest sentence does not repeat the authors' names either.
                score = passage_weight * 0.5 + sentence_score(Sentence(claim.quote, claim.refs), weights, read)
                claims.append(Claim(**{**claim.__dict__, "score": score}))
            continue
        for sentence in passage.sentences:
            score = passage_weight * 0.5 + sentence_score(sentence, weights, read)
            claims.append(claim_from_sentence(sentence, passage, score))
    # Rounded with a content tie-break, so equal claims come in the same order in every process.
    claims.sort(key=lambda c: (-round(c.score, 9), c.passage_id, c.quote))
    return claims


def _similar(a: str, b: str) -> bool:
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.6


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _restates(claim: Claim, chosen: Sequence[Claim]) -> bool:
    """A sentence whose figures are all shown already and whose words mostly are ("after adjustment…
    HR 0.68, 95% CI 0.55 to 0.84" under a lead giving that HR): the abstract, its key findings and
    the review each restate a study's main result, and the reader needs it once."""
    figures = set(_FIGURE.findall(claim.text))
    if len(figures) < 2 or not chosen or claim.passage_id.startswith("table:"):
        return False
    if not figures <= {f for c in chosen for f in _FIGURE.findall(c.text)}:
        return False
    tokens = set(tokenize(claim.text))
    shown = {t for c in chosen for t in tokenize(c.text)}
    return len(tokens - shown) <= 0.5 * len(tokens)


def pick_claims(claims: Sequence[Claim], limit: int, *, per_passage: int = 2, per_study: int = 99) -> list[Claim]:
    """The best claims, without near-duplicates or restatements of figures already shown, at most
    `per_passage` from one passage and `per_study` resting on the same refs, so broad questions
    reach several studies."""
    chosen: list[Claim] = []
    per: dict[str, int] = {}
    per_refs: dict[tuple[int, ...], int] = {}
    for claim in claims:
        if per.get(claim.passage_id, 0) >= per_passage or (claim.refs and per_refs.get(claim.refs, 0) >= per_study):
            continue
        if any(_similar(claim.text, c.text) for c in chosen) or _restates(claim, chosen):
            continue
        chosen.append(claim)
        per[claim.passage_id] = per.get(claim.passage_id, 0) + 1
        per_refs[claim.refs] = per_refs.get(claim.refs, 0) + 1
        if len(chosen) >= limit:
            break
    return chosen


# --- Study lines for list questions --------------------------------------------------------

def _role_index(record: StudyRecord, *roles: str) -> int | None:
    return next((i for i, r in enumerate(record.roles) if i < len(record.cells) and any(x in r.split("+") for x in roles)), None)


def table_quote(record: StudyRecord, focus: str) -> str:
    """Contiguous cells of the study's table row that carry what the question asks about."""
    cells = record.cells
    if focus == "instruments":
        index = _role_index(record, "measures")
        if index is not None:
            return cells[index]
    if focus == "n":
        index = _role_index(record, "n")
        if index is not None and record.roles[index] == "n" and index > 1 and record.roles[index - 1] == "sample":
            return f"{cells[index - 1]}\t{cells[index]}"
        index = index if index is not None else _role_index(record, "groups")
        if index is not None:
            return cells[index]
    findings = _role_index(record, "findings")
    cell = cells[findings] if findings is not None else cells[-1]
    if "•" in cell:
        bullets = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", b)).strip() for b in cell.split("•")]
        return next(b for b in bullets if b)
    return cell


# What a question may ask of each study beside its findings, in words no column heading uses,
# and the table columns that hold it.
_ASKS_LENGTH = (re.compile(r"\bhow long\b|\bduration\b|\blength of\b|\bhow many (weeks|months|sessions)\b", re.I),
                re.compile(r"duration|length|weeks|sessions", re.I))
_ASKED_COLUMNS = (
    _ASKS_LENGTH,
    (re.compile(r"\bwhere\b|\bcountr(y|ies)\b|\bsettings?\b", re.I), re.compile(r"country|setting|location", re.I)),
    (re.compile(r"\bfollow[- ]?up\b", re.I), re.compile(r"follow", re.I)),
    (re.compile(r"\b(what|which) (kind|type|sort)s? of (program|programme|intervention|training|course)|\b(delivery|format|delivered)\b", re.I),
     re.compile(r"program|intervention|training type", re.I)),
)
_PLACE_COLUMN = re.compile(r"country|setting|location", re.I)


def asks_for_places(question: str) -> bool:
    """The question asks where, naming no place ("which countries were the studies done in?")."""
    return bool(_ASKS_PLACE.search(question)) and not places_asked_of_studies(question)


def asks_where(question: str) -> bool:
    """The question asks where studies were done: by naming a place ("which studies were done in
    Asia?") or by asking for it ("with country and N")."""
    return bool(places_asked_of_studies(question) or _ASKS_PLACE.search(question))
# Columns every study line shows in its own way (label, design, N, sample, instruments, finding).
_SHOWN_ROLES = {"study", "sample", "n", "sample+n", "design", "randomization", "measures", "findings", "mediation"}


def asked_cells(record: StudyRecord, question: str) -> list[tuple[str, str]]:
    """The cells of a study's row under the columns the question asks for beside the ones every
    line shows: by the heading's head word ("the programs and groups?" → "Program Type", "Groups
    Design"; not "measures" → "Time of Measure") or an everyday way of asking for them ("how long"
    → duration, "delivery format" → the programme)."""
    wanted = {t for t in tokenize(question) if len(t) >= 4}
    places = asks_where(question)
    cells = []
    for index, cell in enumerate(record.cells):
        column = record.columns[index] if index < len(record.columns) else ""
        role = record.roles[index] if index < len(record.roles) else ""
        if not index or not cell.strip() or not column or role in _SHOWN_ROLES:
            continue
        head = next(iter(tokenize(column)), "")
        by_heading = any(w == head or (min(len(w), len(head)) >= 5 and (w.startswith(head) or head.startswith(w))) for w in wanted)
        if by_heading or any(asked.search(question) and columns.search(column) for asked, columns in _ASKED_COLUMNS) \
                or (places and _PLACE_COLUMN.search(column)):
            cells.append((column, re.sub(r"\s+", " ", cell).strip()))
    return cells


def _finding_pieces(record: StudyRecord) -> list[tuple[str, str]]:
    """Each finding of a table row (bullet, lettered point or cell) with its column heading."""
    pieces: list[tuple[str, str]] = []  # (column heading, finding as printed)
    for index, cell in enumerate(record.cells):
        column = record.columns[index] if index < len(record.columns) else ""
        if index == 0 or not _FINDINGS_COLUMN.search(column) or not cell.strip():
            continue
        parts = re.sub(r"<[^>]+>", " ", cell).split("•") if "•" in cell else _LETTERED.split(cell)
        pieces += [(column, re.sub(r"\s+", " ", p).strip()) for p in parts if len(p.strip()) > 3]
    return pieces


def best_finding(record: StudyRecord, question: str) -> tuple[str, str]:
    """The finding of a table row that speaks most to the question (the first one if none does)."""
    pieces = _finding_pieces(record)
    if not pieces:
        return "Finding", table_quote(record, "findings")
    wanted = set(tokenize(question))
    # The column heading counts too: "mediation" names the column of mediation findings.
    column, piece = max(pieces, key=lambda cp: (len(wanted & set(tokenize(" ".join(cp)))), -pieces.index(cp)))
    inner = re.search(r"\(([^)]+)\)", column)
    return (inner.group(1) if inner else column).capitalize(), piece


# A table's method cell longer than this is a description, not a name for the method.
_METHOD_MAX = 90


def design_as_printed(design: str, record: StudyRecord) -> str:
    """A design label with the table's own words for how the study was done where they say more
    ("qualitative (Interpretative Phenomenological Analysis)", "longitudinal (Prospective cohort,
    4 years)"): a researcher's "method of analysis?" or "how long did each follow people up?" gets
    nothing from the label alone. The label is said once."""
    method = record.phrase("design")
    if not method:
        # A randomisation column's words beyond yes/no ("Yes/partial RCT"): how the review itself
        # classes the study, which the label alone ("RCT") does not say.
        said = record.phrase("randomization")
        said = re.sub(r"^(?:yes|no)\s*/\s*", "", said, flags=re.IGNORECASE)
        if {fold(w) for w in re.findall(r"[^\W\d_]+", said)} - {"yes", "no", "rct", "rcts"} - set(fold(design).split()):
            method = said
    if design and fold(method).startswith(fold(design)):
        method = method[len(design):].strip(" :;,-")  # "Qualitative (focus groups; …)"
        method = method[1:-1] if method.startswith("(") and method.endswith(")") else method
    return f"{design} ({method})" if design and method and len(method) <= _METHOD_MAX and fold(method) != fold(design) else design


def study_line(record: StudyRecord, library: Library, focus: str, question: str = "", *, every: bool = False,
               place: str = "", length: str = "") -> Claim:
    """A study's line: design, N, sample, instruments, the cells asked for and its finding that
    speaks most to the question, or with `every` (a list asked of one study: "what did the
    trainees start doing?") each of its findings in the table's order. `place`: where the evidence
    model reads the study was done, shown when the question asks and the table has no column for it;
    `length`, how long its programme ran, likewise ("how long did each one run?")."""
    n = f"N = {record.n}" if record.n else ""
    parts = [design_as_printed(record.design, record), n, record.sample]
    if focus == "instruments" or record.instruments:
        parts.append("instruments: " + ", ".join(record.instruments) if record.instruments else "")
    heading, finding = best_finding(record, question) if question else ("Finding", table_quote(record, "findings"))
    if every and len(pieces := _finding_pieces(record)) > 1 and focus == "findings":
        inner = re.search(r"\(([^)]+)\)", pieces[0][0])
        heading = (inner.group(1) if inner else pieces[0][0]).capitalize()
        finding = " ".join(piece if piece.endswith((".", ";")) else f"{piece};" for _, piece in pieces).rstrip(";")
    parts += [f"{column.capitalize()}: {cell.rstrip('.')}" for column, cell in asked_cells(record, question)]
    if place and asks_where(question) and not any(_PLACE_COLUMN.search(column) for column in record.columns):
        parts.append(f"country (from its sample's description): {place}")
    asks_length, length_columns = _ASKS_LENGTH
    if length and asks_length.search(question) and not any(length_columns.search(column) for column in record.columns):
        parts.append(f"programme length (from its description): {length}")
    head = "; ".join(p for p in parts if p)
    text = f"**{library.label(record.ref)}** [{record.ref}] — {head}. {heading}: {finding.rstrip('.')}."
    # Each finding together is the cell as printed (a bulleted cell: its first bullet).
    return Claim(text=text, refs=(record.ref,), quote=table_quote(record, focus) if focus != "findings" or every else finding,
                 source="review", score=1.0, passage_id=f"table:{record.ref}")


# --- Evidence strength ---------------------------------------------------------------------

def _design_group(design: str | None) -> str | None:
    """The evidence-strength group of a design label (ingest.tables.DESIGNS) or a digest's study type."""
    if not design:
        return None
    d = design.lower()
    if any(k in d for k in _NON_STUDY_KINDS):
        return None
    if "systematic" in d or "meta" in d or "review" in d:
        return "reviews or meta-analyses"
    if "qualitative" in d or "case" in d or "mixed" in d:
        return "qualitative or case studies"
    if "cross-sectional" in d or "correlational" in d or "survey" in d:
        return "cross-sectional surveys"
    if "longitudinal" in d or "cohort" in d:
        return "longitudinal studies"
    if "non-randomi" in d or "pre-post" in d or "pilot" in d or "quasi" in d or "experimental" in d:
        return "non-randomized intervention studies"
    if "randomi" in d or "rct" in d:
        return "randomized trials"
    if "controlled" in d:
        return "non-randomized intervention studies"
    return None


# Each evidence group's name (singular, plural), then in everyday words for therapists.
_GROUP_NAMES = {
    "reviews or meta-analyses": (("review or meta-analysis", "reviews or meta-analyses"),
                                 ("review of other studies", "reviews of other studies")),
    "qualitative or case studies": (("qualitative or case study", "qualitative or case studies"),
                                    ("interview study", "interview studies")),
    "cross-sectional surveys": (("cross-sectional survey", "cross-sectional surveys"), ("one-time survey", "one-time surveys")),
    "longitudinal studies": (("longitudinal study", "longitudinal studies"),
                             ("study that followed people over time", "studies that followed people over time")),
    "non-randomized intervention studies": (("non-randomized intervention study", "non-randomized intervention studies"),
                                            ("course tried without a random control group",
                                             "courses tried without a random control group")),
    "randomized trials": (("randomized trial", "randomized trials"), ("trial with random groups", "trials with random groups")),
}


def evidence_line(refs: Iterable[int], library: Library, persona: str) -> str | None:
    groups: dict[str, list[int]] = {}
    for ref in refs:
        group = _design_group(library.design(ref)) if ref else None
        if group:
            groups.setdefault(group, []).append(ref)
    if not groups:
        return None
    plain = persona == "therapist"
    parts = [f"{len(v)} {_GROUP_NAMES[k][plain][0 if len(v) == 1 else 1]} {format_refs(v)}"
             for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))]
    caution = ""
    if "cross-sectional surveys" in groups:
        caution = (" Surveys show that things go together, not that one causes the other."
                   if persona == "therapist" else " Cross-sectional findings show association, not causation.")
    if "qualitative or case studies" in groups and len(groups) == 1:
        caution += " Interview studies used small samples." if persona == "therapist" else " Qualitative studies used small samples."
    return "This rests on " + ", ".join(parts) + "." + caution


# --- Putting an answer together ------------------------------------------------------------

def _marker(claim: Claim) -> str:
    return format_refs(claim.refs) if claim.refs else "[review]"


def _claim_text(claim: Claim, library: "Library | None" = None) -> str:
    text = claim.text.strip()
    if library is not None and claim.refs and len(claim.refs) <= 3:
        # Name the studies a sentence cites without naming them, so the reader sees who found it.
        unnamed = [r for r in claim.refs if r in library.references
                   and library.label(r).split(" ")[0].split("-")[0].lower() not in text.lower()]
        if unnamed:
            names = "; ".join(library.label(r) for r in unnamed)
            if not re.search(r"\[\d", text):
                text = f"{text.rstrip().rstrip('.')} {_marker(claim)}"
            text = f"{text.rstrip().rstrip('.')} — {names}."
    if claim.refs and not re.search(r"\[\d", text):
        text = f"{text.rstrip('.')} {_marker(claim)}."
    if not claim.refs:
        text = f"The review itself states: “{text}”"
    return text


_STATS = re.compile(
    r"[\s,;]*\b(?:r|d|g|β|b|OR|HR|RR|MD|SMD|F|t|p|R2|R²|η2|CI|SD|M)\s*[=<>≤≥]\s*[-−–]?\s*\.?\d[\d.,%]*"
    r"(?:\s*(?:to|–|-)\s*[-−–]?\.?\d[\d.,]*)?")


# A standardized effect size (Cohen's d, Hedges' g), alone or as a range.
_EFFECT_SIZE = re.compile(r"(?:\b(?:Cohen|Hedges)['’]s?\s+)?\b[dg]\s*([=<>≤≥])\s*([-−–]?\s*\d*\.\d+)(?:\s*(?:to|–|-)\s*([-−–]?\s*\d*\.\d+))?")
_SIZE_WORD = re.compile(r"\b(small|moderate|medium|large|modest|strong|substantial|trivial|negligible)\b[^.;()]*\(?\s*$", re.IGNORECASE)
_BOUND_WORDS = {">": "above ", "≥": "at least ", "<": "below ", "≤": "at most ", "=": ""}


def _effect_label(value: str) -> str:
    """Cohen's conventional reading of a standardized difference."""
    size = abs(float(re.sub(r"[−–\s]", "", value).replace("-", "") or 0))
    return "very small" if size < 0.2 else "small" if size < 0.5 else "medium" if size < 0.8 else "large"


def _effect_in_words(match: re.Match) -> str:
    """"d = 0.40" as "a small effect (size 0.40)": plain words, the number kept for those who want it."""
    bound, low, high = _BOUND_WORDS[match.group(1)], match.group(2).replace(" ", ""), (match.group(3) or "").replace(" ", "")
    before = match.string[:match.start()]
    bracketed = before.rstrip().endswith("(")  # no brackets inside brackets
    # The text already says how large ("a moderate reduction (d = 0.45)") or qualifies the figure
    # ("within-group d = 0.68"): the number is named, never relabelled against the authors' word.
    qualified = (re.search(r"[^\W\d_][\w-]*\s+$", before)
                 and not re.search(r"\b(?:and|or|of|with|was|were|is|are|a|an|the|to|at|by|for|in|from)\s+$", before, re.I))
    if qualified or _SIZE_WORD.search(before[-90:]):
        return f"effect size {bound}{low}" if not high else f"effect sizes {low} to {high}"
    if not high:
        words, size = f"a {_effect_label(low)} effect", f"size {bound}{low}"
    else:
        words, size = " to ".join(dict.fromkeys((_effect_label(low), _effect_label(high)))) + " effects", f"sizes {low} to {high}"
    return f"{words}, {size}" if bracketed else f"{words} ({size})"


# Discourse connectives tie a sentence to the one before it in the review; an answer's first
# sentence has no "before", so they are dropped there.
_OPENING_CONNECTIVE = re.compile(
    r"^(?:in (?:this regard|addition|fact|particular|turn|short|sum|summary|this sense|this context|this line)|moreover|"
    r"furthermore|additionally|also|thus|therefore|hence|accordingly|similarly|likewise|finally|lastly|firstly|secondly|"
    r"on the other hand|along these lines|consistent with this|for (?:example|instance)|specifically|indeed|again|here|"
    r"however|interestingly|notably|importantly|nevertheless|nonetheless|conversely|(?:in|by) contrast|overall|in general|"
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?:ly)?),\s+",
    re.IGNORECASE)


def without_connective(text: str) -> str:
    """The sentence without a leading connective ("In addition, ..."), its first letter raised."""
    stripped = _OPENING_CONNECTIVE.sub("", text.strip(), count=1)
    return stripped[:1].upper() + stripped[1:] if stripped != text.strip() else text.strip()


def plain_text(text: str) -> str:
    """A sentence for a reader without the jargon of statistics: no test statistics, no
    bracketed markers, no leading connective. Only the wording shown changes; the
    quote behind it stays the corpus text."""
    plain = without_connective(strip_markers(display_text(text)))
    plain = re.sub(r"\s*\[[^\]]*\]", "", plain)
    plain = re.sub(r"\$([^$]{1,60})\$", r"\1", plain)  # inline TeX the review typeset ("$d > 0.8$")
    plain = _EFFECT_SIZE.sub(_effect_in_words, plain)
    plain = _STATS.sub("", plain)
    plain = re.sub(r"\s*\(\s*[,;]?\s*\)", "", plain)  # brackets the statistics left empty
    # Asides in brackets without a number (an abbreviation, a scale's subscale) are the jargon a
    # plain reader skips; bracketed numbers, effect sizes and signs ("(+)", "(ns)") stay.
    plain = re.sub(r"\s*\((?![^()]*(?:\d|effect))(?=[^()]*[^\W\d_]{3})[^()]{1,60}\)", "", plain)
    plain = re.sub(r"\s+([,;.:])", r"\1", re.sub(r"\s+", " ", plain)).strip(" ,;:")
    plain = plain[:1].upper() + plain[1:]
    return plain if plain.endswith((".", "?", "!")) else plain + "."


# A comma before a word that opens a clause of its own: the two halves read as two sentences.
# ", which may indicate …" goes on about all that came before it: "This may indicate …".
_CLAUSE_JOIN = re.compile(r",\s+(?:(but|whereas|although|though|while|which)\s+(?=\w+\s+\w+)|and\s+(?=(?:the|this|these|those|it|they|we|participants?|scores?)\b))")
_JOIN_AS = {"but": "But ", "whereas": "By contrast, ", "although": "Even so, ", "though": "Even so, ", "while": "Meanwhile, ",
            "which": "This ", None: ""}


def _short_sentences(clause: str, longest: int = 18) -> list[str]:
    """A long clause cut where a comma opens another clause ("…, but it …" → "… . But it …"), when both halves stay sentences."""
    if len(clause.split()) <= longest:
        return [clause]
    match = next((m for m in _CLAUSE_JOIN.finditer(clause)
                  if len(clause[:m.start()].split()) >= 6 and len(clause[m.end():].split()) >= 5), None)
    if match is None:
        return [clause]
    rest = clause[match.end():]
    joint = _JOIN_AS[match.group(1) and match.group(1).lower()]
    if joint == "This " and re.match(r"(were|are|have|show|suggest|indicate)\b", rest):
        joint = "These "  # ", which were …" goes on about several things
    rest = joint + (rest if match.group(1) else rest[:1].upper() + rest[1:])
    return [clause[:match.start()], *_short_sentences(rest, longest)]


def _plain_claim(claim: Claim) -> str:
    """The claim in plain wording: its clauses joined by semicolons, or by a comma and a
    conjunction in a long sentence, made sentences of their own."""
    clauses = [s for c in plain_text(claim.text).rstrip(".").split("; ") if c.strip() for s in _short_sentences(c.strip())]
    text = ". ".join(c[:1].upper() + c[1:] for c in clauses)
    return f"{text} {_marker(claim)}." if claim.refs else f"{text}."


def _without_instruments(text: str) -> str:
    """A study line without its "instruments: ..." part."""
    return re.sub(r";\s*instruments:[^.]*", "", text)


@lru_cache(maxsize=8)
def _abbreviation_pattern(abbreviations: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every abbreviation of a glossary (one search per answer, not one per term)."""
    longest_first = sorted(abbreviations, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in longest_first) + r")(?![\w-])")


def glossary_notes(text: str, glossary: dict[str, str]) -> list[str]:
    """The glossary's abbreviations the text uses, in the glossary's order, as "ABBR = expansion"."""
    usable = tuple(a for a in glossary if len(a) >= 2)
    if not usable:
        return []
    # "older adult* OR elderly": a search string's Boolean operator, not an odds ratio.
    found = {m.group(1) for m in _abbreviation_pattern(usable).finditer(text)
             if not (m.group(1) in _BOOLEAN and _BETWEEN_TERMS.match(text, m.end()))}
    return [f"{a} = {glossary[a]}" for a in glossary if a in found][:4]


_BOOLEAN = frozenset({"OR", "AND", "NOT"})
_BETWEEN_TERMS = re.compile(r"\s+[\"“(]?[A-Za-z]")


def compose(
    read: ReadQuestion,
    lead: Claim | None,
    points: Sequence[Claim],
    caveats: Sequence[Claim],
    library: Library,
    *,
    study_lines: Sequence[Claim] = (),
    intro: str | None = None,
    opening: str | None = None,
) -> tuple[str, list[Citation], str | None]:
    """Markdown for the persona, the citations in order of first use, and the evidence line.
    `opening` is a line of the answer's own that comes first (a list's studies by name)."""
    if lead is None and points:
        lead, points = points[0], list(points[1:])  # the strongest sentence leads
    # The same sentence reaches a plan by two roads (a continued passage, its own passage): said once.
    said = {lead.quote} if lead else set()
    unique: list[Claim] = []
    for claim in points:
        if claim.quote not in said:
            said.add(claim.quote)
            unique.append(claim)
    points = unique
    if read.persona == "therapist":
        # Plain: one line per study with the design and size people need to weigh it and what it
        # found, without the instrument list.
        study_lines = [replace(c, text=_without_instruments(c.text)) for c in study_lines]
    ordered = ([lead] if lead else []) + list(study_lines) + list(points) + list(caveats)
    citations: list[Citation] = []
    seen: set[int] = set()
    for claim in ordered:
        for ref in claim.refs or (0,):
            if ref not in seen:
                seen.add(ref)
                citations.append(library.citation(ref, claim.quote, claim.source))
    evidence = evidence_line([c.ref for c in citations], library, read.persona)
    lines: list[str] = [opening, ""] if opening else []
    if read.persona == "therapist":
        # Plain words first; the exact sentences stay available as the citations' quotes.
        # The short answer, then how much to trust it: what a practitioner weighs before acting.
        if lead:
            lines.append(f"**In short:** {_plain_claim(lead)}")
        if evidence:
            lines += ["", "**How strong is this evidence?**", evidence]
        if points:
            lines += ["", "**What else the research says:**"] + [f"- {_plain_claim(c)}" for c in points]
    elif read.persona == "educator":
        if lead:
            lines.append(f"**Overview:** {_claim_text(replace(lead, text=without_connective(lead.text)), library)}")
        if points:
            lines += ["", "**Key points:**"] + [f"{i}. {_claim_text(c, library)}" for i, c in enumerate(points, 1)]
    else:
        if lead:
            lines.append(_claim_text(replace(lead, text=without_connective(lead.text)), library))
        if points:
            lines += ["", "**Supporting evidence:**"] + [f"- {_claim_text(c, library)}" for c in points]
    if study_lines:
        heading = intro or f"**Studies ({len(study_lines)}):**"
        lines += ["", heading] + [f"- {c.text}" for c in study_lines]
    if caveats:
        lines += ["", "**Caveats and contrary findings:**"] + [f"- {_claim_text(c)}" for c in caveats]
    if evidence and read.persona != "therapist":
        lines += ["", f"**Evidence** {evidence}"]
    body = "\n".join(lines)
    if read.persona in ("therapist", "educator"):
        # Plain readers and slide writers both need the abbreviations spelt out.
        terms = glossary_notes(f"{read.clean.text}\n{body}", library.glossary)
        if terms:
            lines += ["", "**Terms used:** " + "; ".join(terms) + "."]
    if read.persona == "educator" and (references := reference_list(citations, library)):
        lines += ["", *references]
    return "\n".join(lines).strip(), citations, evidence


REFERENCES_HEADING = "**References:**"


def reference_list(citations: Sequence[Citation], library: Library) -> list[str]:
    """The full references of the cited sources, for a slide's last lines; none when only the
    review itself is cited."""
    entries = [f"[{c.ref}] {library.references[c.ref].text if c.ref in library.references else c.label}"
               for c in citations if c.ref]
    return [REFERENCES_HEADING, *entries] if entries else []


def idf_table(texts: Sequence[str]) -> dict[str, float]:
    """Inverse document frequency of each token over the passages."""
    counts: dict[str, int] = {}
    for text in texts:
        for token in set(tokenize(text)):
            counts[token] = counts.get(token, 0) + 1
    n = len(texts) or 1
    return {t: math.log(1 + n / c) for t, c in counts.items()}
