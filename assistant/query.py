"""Reading a question: cleaning, routing, persona, follow-up context and query expansion.
Pure functions over strings."""
from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from assistant.retrieve import STOPWORDS, tokenize

Route = str  # list | numeric | definition | overview | effect | contrast | fact | help

HELP_TEXT = (
    "Ask a question about what the review and the studies it cites report, for example what a study found, "
    "which studies measured something, how many people took part, or what the review concludes."
)


_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class WordLists:
    """The word lists a question is read with, kept as data (assistant/data/) so each can be
    switched off and its worth measured (eval/ablations.py): `lexicon` maps everyday phrases
    (regular expressions) to the words reviews use; `framing` are words that frame a question
    without naming a topic (compared stemmed): the data file's and a standard stop-word list's."""

    lexicon: Mapping[str, str] = field(default_factory=dict)
    framing: frozenset[str] = frozenset()
    shorthand: Mapping[str, str] = field(default_factory=dict)  # "ppl" -> "people", for the speller
    # Statistics a question asks for by name: (the name, how a question names it, how a source prints it).
    statistics: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = ()
    # The framing words as listed (with the stop words), before stemming.
    framing_listed: frozenset[str] = frozenset()

    def frames(self, word: str) -> bool:
        """A written word that frames a question: a listed word or a regular inflection of one
        ("wondering" of "wonder", "studies" of "study"), not a word that only shares its stem
        ("quit" with "quite")."""
        word = word.lower()
        if not (tokens := tokenize(word)) or word in self.framing_listed:
            return True
        # A listed stem the word begins with and stems to ("manag" of "manage").
        if any(word[:i] in self.framing_listed and tokenize(word[:i]) == tokens for i in range(3, len(word))):
            return True
        for suffix in ("ing", "ed", "es", "s", "ly", "d"):
            if word.endswith(suffix) and len(base := word[: -len(suffix)]) >= 2:
                forms = {base, base[:-1] + "y" if base.endswith("i") else base}
                if suffix in ("ing", "ed"):
                    forms |= {base + "e", base[:-1] if len(base) > 2 and base[-1] == base[-2] else base}
                if forms & self.framing_listed:
                    return True
        return False

    @classmethod
    def load(cls, lexicon: bool = True, framing: bool = True, shorthand: bool = True, statistics: bool = True) -> "WordLists":
        # A standard English stop-word list frames too ("here", "please", "keep" and "too" name no
        # topic in any corpus), switched off with the data file.
        return cls(lexicon=_lexicon() if lexicon else {},
                   framing=_framing_words() | _stop_words() if framing else frozenset(),
                   shorthand=_shorthand() if shorthand else {},
                   statistics=_statistics() if statistics else (),
                   framing_listed=_framing_listed() if framing else frozenset())


@lru_cache(maxsize=1)
def _lexicon() -> Mapping[str, str]:
    phrases = json.loads((_DATA / "everyday_lexicon.json").read_text(encoding="utf-8"))["phrases"]
    for pattern in phrases:
        re.compile(pattern)  # a broken pattern fails at start, naming the file
    return MappingProxyType(phrases)


@lru_cache(maxsize=1)
def _statistics() -> tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...]:
    listed = json.loads((_DATA / "statistics.json").read_text(encoding="utf-8"))["statistics"]
    return tuple((s["name"], re.compile(s["asked"], re.IGNORECASE), re.compile(s["printed"], re.IGNORECASE)) for s in listed)


@lru_cache(maxsize=1)
def life_stages() -> tuple[tuple[re.Pattern[str], tuple[int, int]], ...]:
    """Words naming a stage of life ("teenagers") and the ages they cover (assistant/data/life_stages.json)."""
    stages = json.loads((_DATA / "life_stages.json").read_text(encoding="utf-8"))["stages"]
    return tuple((re.compile(rf"\b(?:{words})\b", re.IGNORECASE), (low, high)) for words, (low, high) in stages.items())


@lru_cache(maxsize=1)
def _shorthand() -> Mapping[str, str]:
    words = json.loads((_DATA / "shorthand.json").read_text(encoding="utf-8"))["words"]
    return MappingProxyType({k.lower(): v for k, v in words.items()})


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """The Glasgow Information Retrieval Group's English stop words (as scikit-learn ships them),
    with their stems: published for any English text, not chosen for this project's questions."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | {t for w in ENGLISH_STOP_WORDS for t in tokenize(w)}


@lru_cache(maxsize=1)
def _framing_listed() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    lines = (_DATA / "framing_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w for line in lines if not line.lstrip().startswith("#") for w in line.split()) | ENGLISH_STOP_WORDS


@lru_cache(maxsize=1)
def _framing_words() -> frozenset[str]:
    words = _framing_listed()
    # Compared as tokens: each word's own stem counts too ("always" → "alway"), but not the parts
    # of a hyphenated one ("take-home" frames a question; "home" names a topic).
    return frozenset(words) | {tokens[0] for w in words if (tokens := tokenize(w))}



_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|above\s+)*([\w-]+\s+)?"
    r"(instructions|sources|rules|corpus|evidence|context|guidelines|system prompt)\b[^.?!]*[.?!]?"
    # A number or source to invent: "make up a convincing statistic", "invent a study".
    r"|\b(make up|invent|fabricate|fake)\s+(an?\s+|some\s+|the\s+)?([\w-]+\s+)?"
    r"(statistics?|numbers?|figures?|findings?|results?|stud(y|ies)|citations?|quotes?|references?|data)\b[^.?!]*[.?!]?"
    r"|\bsystem override\b[^.?!]*[.?!]?|\byou are (now )?in [\w-]+ mode\b[^.?!]*[.?!]?|\byou are now\b[^.?!]*[.?!]?"
    r"|\bpretend (to be|you are)\b[^.?!]*[.?!]?|\bact as\b[^.?!]*[.?!]?"
    # A finding to invent: "pretend the review concluded ...", "imagine the studies showed ...".
    r"|\b(pretend|imagine|suppose|assume|let'?s say)\b[^.?!]*\b(concluded?|found|showed?|says|said|proved?|reported)\b[^.?!]*[.?!]?"
    r"|\b(just |only )?(say|tell me|reply|respond|claim|state|write)( only)?( that| with)?\s+['\"‘“]?(it|yes|no)\b"
    r"[^.?!]*(cures?|always|never|proven|guarantee|no evidence)[^.?!]*[.?!]?"
    r"|\bwithout (citing|citations|sources)\b[^.?!]*[.?!]?|\bmake (something|it|things) up\b[^.?!]*[.?!]?",
    re.IGNORECASE,
)
# Markup pasted from a page or typed to probe the app: script and style blocks go whole, comments
# and tags go, the text between tags stays; `javascript:` URLs go with their code.
_MARKUP_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_MARKUP_TAG = re.compile(r"<!--.*?(?:-->|$)|</?[a-z][a-z0-9-]*\b[^<>]*>?", re.IGNORECASE | re.DOTALL)
_SCRIPT_URL = re.compile(r"\b(?:javascript|vbscript):\S*", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FOLLOWUP_CUE = re.compile(
    r"^(and|but|also|what about|how about|so|then|ok(ay)?|and what|was it|were they|did they|did it|is it|are they)\b"
    r"|\b(it|its|they|them|their|that one|this one|that study|this study|that trial|those studies|these studies|the same|that|those|these|he|she)\b"
    # "Who was in the sample?": a part of a study already spoken of.
    r"|\bthe (sample|participants|intervention|course|programme|program|trial|study|results|findings|effect)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CleanQuestion:
    text: str  # what is answered (injections removed)
    shown: str  # the user's question as displayed (cleaned, cut)
    notes: tuple[str, ...] = ()
    injected: bool = False


@dataclass(frozen=True)
class ReadQuestion:
    """A question as the assistant understands it."""

    clean: CleanQuestion
    route: Route
    persona: str
    search_text: str  # the retrieval query, with context and expansions
    context: str = ""  # the question with the last question of a follow-up before it
    expansions: tuple[str, ...] = field(default=())
    is_followup: bool = False
    entities: tuple[str, ...] = field(default=())  # glossary abbreviations the question names (MSC, CBI, ...)
    # Tokens that say in everyday words what a lexicon expansion says in the review's ("something
    # bad", "did not look good"): the expansion carries their meaning.
    form_tokens: frozenset[str] = field(default=frozenset())
    # Tokens asking for a summary or saying what it is for ("executive summary", "for a newsletter"): they weigh nothing.
    request_tokens: frozenset[str] = field(default=frozenset())


def strip_markup(text: str) -> str:
    """The words of a question with any HTML or script around them removed ("<p><b>Which ...?</b></p>"
    reads "Which ...?"); text without markup comes back unchanged."""
    if "<" not in text and "&" not in text and ":" not in text:
        return text
    text = html.unescape(text)
    text = _MARKUP_BLOCK.sub(" ", text)
    text = _MARKUP_TAG.sub(" ", text)
    return _SCRIPT_URL.sub(" ", text)


def clean_question(raw: str | None, max_chars: int = 2000) -> CleanQuestion:
    """Strips control characters and instructions aimed at the assistant; cuts very long input."""
    text = unicodedata.normalize("NFC", raw or "")
    text = _CONTROL.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    notes: list[str] = []
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0]
        notes.append(f"Your question was longer than {max_chars} characters and was cut to that length.")
    answered = _INJECTION.sub(" ", text)
    answered = re.sub(r"\s+", " ", answered).strip(" .,;:-")
    injected = answered != text.strip(" .,;:-")
    if injected:
        notes.append("Instructions inside the question were ignored: answers always come from the review and its sources.")
    return CleanQuestion(text=answered, shown=text, notes=tuple(notes), injected=injected)


# Routes in the order they are tried; the first whose pattern matches wins.
# Requests for a summary that name only its shape: a route's cue, and never searched for.
# "Break the studies down by design": counts by group, a shape, not the "breaking down" of barriers.
_BREAKDOWN = r"break(?:s|ing)? down(?=(?: [\w-]+){0,5} (?:by|into|per)\b)|break(?:s|ing)? (?:\w+ ){1,4}down(?= by| into| per)|broken down|breakdown"
_SHAPES = r"executive summary|abstract-style|one-paragraph|headlines?|in a nutshell|tl;? ?dr|" + _BREAKDOWN
_ROUTES: tuple[tuple[Route, re.Pattern[str]], ...] = (
    ("list", re.compile(r"\bwhich\b(\s+(of|the|[\w-]+)){0,5}\s+(studies|papers|trials|rcts)\b|\b(which|what) authors\b|\b(which(?!\s+works?\s+(better|best|more|less|well)\b)|what(?!\s+works\b)|list|name|any)\b(\s+(of|the|[\w-]+)){0,3}\s+(studies|papers|trials|articles|works(?!\s+(?:better|best|well|more|less)\b)|surveys|rcts?|questionnaires|scales|instruments|measures|inventories)\b|\bwhich\b(\s+(of|the|[\w-]+)){0,3}\s+(programmes|programs|interventions|cohorts|experiments)\b|\bstudies (that|which|used|using|with|on)\b|\blist\b|\bwho (used|studied|found|measured)\b"
                        # "Put the four training studies into a table": the studies themselves, laid out.
                        r"|\b(put|arrange|tabulate|lay out|line up)\b.{0,40}\b(studies|trials|papers)\b|\b(table|chart|grid) of\b.{0,30}\b(studies|trials|papers)\b")),
    ("contrast", re.compile(r"\b(contrary|contradict|conflicting|against|negative (result|finding)s?|downsides?|drawbacks?|limitations?|mixed|not (support|help|work|find)|fail(ed)?|no (effect|difference)|harm(ful)?|backfire|caveats?|unexpected)\b")),
    ("numeric", re.compile(r"\b(" + _BREAKDOWN + r"|how many|how much|(share|proportion|fraction) of|how large|how big|sample size|number of|percent(age)?|%|effect sizes?|cohen|\bd\b ?=|variance|how long|how often|minutes|weeks|n ?=)\b")),
    ("definition", re.compile(r"^(what is|what's|what are|define|definition of|what does .{1,40} (mean|stand for))\b|\b(defined|definition|stand for|components? of|elements? of)\b")),
    ("overview", re.compile(r"\b(" + _SHAPES + r"|in brief|briefly|tell us|what do (the )?[\w-]+ ?(studies|research|trials|surveys) (say|show|tell|suggest|find)|summar(y|ise|ize)|overview|synthes[ie][sz]e?|in general|overall|(main|key|most important|important|principal|major|top) (findings?|results?|points?|messages?|conclusions?)|consensus|verdict|what (does|do) (the|this) (review|paper|article|authors?) (say|conclude|find)|conclusions?|big picture|take[- ]?home|(key )?takeaways?|bottom line|gist|sum (it |this |that )?up|recap|upshot)\b")),
    ("effect", re.compile(r"^(does|do|can|could|is|are|will|would|should|might)\b|\b(help(s|ed)?|reduc(e|es|ed)|improv(e|es|ed)|protect(s|ed)?|benefit(s|ed)?|prevent(s|ed)?|effective|work(s|ed)?|linked|associated|related)\b")),
)
# "What is the effect of ..." asks about findings, not a definition.
# Nor does "what's the bottom line?", a request for a summary.
_NOT_DEFINITION = re.compile(r"\b(find|found|effect|show|result|(best|better|worst|worse|most|least)\b|differen|compar|"
                             r"bottom line|gist|takeaways?\b|upshot|big picture|take[- ]?home|tl;? ?dr\b|conclu|summar|overview|consensus|verdict)")


# "What share of the RCTs ...", "how many of the trials ...": a number about studies, not a list of them.
_SHARE_OF = re.compile(r"\b(share|proportion|percentage|fraction|per ?cent|how many)\b[^?]{0,20}\bof\b")


_OVERVIEW = dict(_ROUTES)["overview"]


# What the answer is for: a document or event ("for a staff newsletter", "for my slides") or an
# audience of roles ("for hospital managers"). Its words name no topic of the question.
_PURPOSE = re.compile(r"(?i)\bfor (?:a|an|my|our|the|some|your)?\s*(?:[\w-]+\s+){0,2}(?:slides?|lectures?|talks?|class(?:es)?|"
                      r"seminars?|handouts?|newsletters?|leaflets?|thes[ie]s|dissertations?|essays?|assignments?|presentations?|"
                      r"posters?|meetings?|managers?|colleagues?|board|committee)\b")


# Summary requests that are only a shape, never a topic a passage could share.
_FORM_ONLY = re.compile(r"\b(" + _SHAPES + r")\b", re.IGNORECASE)


# What the asker is making or doing with the answer, in a clause of its own: "Writing the background
# section of a grant.", "making a 'where next?' slide - …", "want to show the spread on a map". The
# clause opens a sentence (or follows "I'm", "just") with a verb of making or showing, and runs to
# its end, or to "on", "about", "for" … before a word that is no article: "a lecture on burnout", "a
# talk for nurses" name a topic.
_INTENT_START = re.compile(r"(?i)(?:^|(?<=[.:;!?—–\n])|(?<=\s-))\s*(?:(?:i'?m|i am|we'?re|we are|just|currently)\s+)?"
                           r"(?:writing|making|preparing|drafting|creating|designing|putting together|building|updating|"
                           r"teaching|presenting|giving|running|(?:i\s+)?(?:want|need|have|hope|am going|'m going)\s+to\s+"
                           r"(?:show|present|make|write|prepare|put|build|draft|explain|teach|give))\b")
_CLAUSE_END = re.compile(r"[.:;!—–]|\?(?!['’\"”])|\s-\s|$")
_SUBJECT = re.compile(r"(?i)\b(?:about|on|for|with|regarding|covering|concerning)\s+(?!(?:a|an|the|my|our|this|that)\b)")


def _intent_words(question: str) -> set[str]:
    words: set[str] = set()
    for start in _INTENT_START.finditer(question):
        end = _CLAUSE_END.search(question, start.end())
        clause = question[start.start():end.start()]
        rest = question[end.end():] if end.group(0) else ""
        # A clause that is the question itself ("Writing a gratitude journal: does it help?" is not;
        # "making slides?" asks nothing) is kept only when more of the message follows or it states.
        if end.group(0).startswith("?") or (not rest.strip() and "?" in question[end.start():]):
            continue
        if subject := _SUBJECT.search(clause):
            clause = clause[:subject.start()]
        words.update(re.findall(r"[a-z0-9'-]+", clause.lower()))
    return words


def without_summary_request(question: str) -> str:
    """The question without the words asking for a summary ("what's the bottom line", "sum it up")
    or saying what it is for ("for hospital managers"): what remains names its topic, if it has one."""
    return _PURPOSE.sub(" ", _OVERVIEW.sub(" ", question.lower()))


def asks_summary(question: str) -> bool:
    """The question asks for a summary or overview ("summarize …", "the main points of …")."""
    return bool(_OVERVIEW.search(question.lower()))


# The asker's doubt offered as the other answer ("does it help, or is that just instagram advice?",
# "or is it just nice and relaxing?"): what they suspect, not a topic the corpus must hold.
_DOUBT = re.compile(r"\bor (?:is|was|are|isn'?t) (?:it|that|this|they|all (?:of )?(?:this|that))\s+"
                    r"(?:(?:just|only|simply|merely|mostly|basically|really|all|kind of|sort of|a bit of)\s+)*(?P<doubt>[^?.!;]+)",
                    re.IGNORECASE)


def doubt_words(question: str) -> set[str]:
    """The lower-cased words of the asker's doubt offered as the other answer (see _DOUBT)."""
    return {w for m in _DOUBT.finditer(question) for w in re.findall(r"[a-z0-9'-]+", m.group("doubt").lower())}


# What the asker is doing ("I'm drawing the PRISMA flow chart", "we're redoing our training"): a
# verb of their own activity, not a topic of the question.
_ASKER_DOING = re.compile(r"\b(?:i['’]?m|i am|we['’]?re|we are)\s+(?:(?:just|currently|now|also|still|busy)\s+)*(?P<doing>[a-z]{3,}ing)\b",
                          re.IGNORECASE)


def asker_doing_words(question: str) -> set[str]:
    """The lower-cased verbs of what the asker says they are doing (see _ASKER_DOING)."""
    return {m.group("doing").lower() for m in _ASKER_DOING.finditer(question)}


def summary_request_words(question: str) -> set[str]:
    """The lower-cased words asking for a summary ("sum", "up" of "sum up the risk of bias") or
    saying what the answer is for ("staff", "newsletter"): they name the answer's form or use,
    never a topic the corpus could lack."""
    lowered = question.lower()
    return ({w for pattern in (_OVERVIEW, _PURPOSE) for m in pattern.finditer(lowered) for w in re.findall(r"[a-z0-9'-]+", m.group(0))}
            | _intent_words(question))


def classify_route(question: str) -> Route:
    q = question.lower()
    if not q.strip():
        return "help"
    for route, pattern in _ROUTES:
        if route == "list" and _SHARE_OF.search(q):
            continue
        if pattern.search(q) and not (route == "definition" and _NOT_DEFINITION.search(q)):
            return route
    return "fact"


def infer_persona(question: str, requested: str | None = "auto") -> str:
    """The persona asked for, or the one the trained classifier reads from the question's wording."""
    if requested in ("therapist", "educator", "researcher"):
        return requested
    from assistant.persona import classify_persona  # loads the model and the embedder on first use only

    return classify_persona(question)


def question_parts(text: str, has_topic: Callable[[str], bool]) -> list[str]:
    """The separate questions of a message, each a sentence of its own ending in a question mark
    ("Is loving-kindness meditation worth it? Any downsides?"). A sentence with no topic of its
    own ("What does the evidence say?") or not asked as a question stays with its neighbour, so
    a message of one question is one part."""
    sentences = [s for s in re.split(r"(?<=[?？])\s+", text.strip()) if s.strip()]
    parts: list[str] = []
    for sentence in sentences:
        if parts and not (sentence.rstrip().endswith(("?", "？")) and has_topic(sentence) and has_topic(parts[-1])):
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    return parts


# ", and how many …?", ", and did it …?": a second question asked within one sentence.
_SECOND_QUESTION = re.compile(r",\s+and\s+(?=(?:how|what|which|who|whom|when|where|why|did|does|do|was|were|is|are|has|have|had|can|could)\b)",
                              re.IGNORECASE)


def clause_questions(text: str, has_topic: Callable[[str], bool]) -> list[str]:
    """The questions of one sentence that asks two, joined by ", and" before a question word
    ("How many studies were in the main review, and how many in the extra one?"), when the
    second names a topic of its own; otherwise the sentence whole."""
    if not text.rstrip().endswith(("?", "？")):
        return [text]
    pieces = _SECOND_QUESTION.split(text, maxsplit=1)
    # The first half may ask for a count of what any review has ("how many studies did it
    # include"); the second must name something of its own, or it only goes on about the first.
    # After a list ("journal, volume, page range, DOI, and who is the corresponding author?") the
    # ", and" closes the list: one question asking for several things.
    if len(pieces) != 2 or len(pieces[0].split()) < 3 or pieces[0].count(",") >= 2 or not has_topic(pieces[1]):
        return [text]
    first, second = (p.strip() for p in pieces)
    return [f"{first.rstrip(',')}?", f"{second[:1].upper()}{second[1:]}"]


# What sets two things side by side: "X vs Y", "is X better than Y", "X compared with Y", "did X
# beat Y", "does X work as well as Y", "do X agree with Y".
_COMPARATOR = re.compile(
    r"\b(?:versus|vs\.?|v\.|compared? (?:with|to|against)|compares (?:with|to)|in comparison (?:with|to)|as opposed to|"
    r"(?:better|worse|more|less|stronger|weaker|bigger|smaller|larger|higher|lower|greater|faster|safer)(?: [\w-]+){0,3} than|"
    r"beats?|beaten|outperform(?:s|ed)?|(?:works?|worked|do|does|did|helps?|helped) as well as|"
    r"agrees? with|disagrees? with|differs? from|different from|(?:the )?same as|similar to)\b", re.IGNORECASE)
# "The difference between X and Y", "compare X and Y".
_BETWEEN = re.compile(r"\b(?:between|comparing|compare|contrast|both)\s+(?P<left>.+?)\s+(?:and|with|to|against|vs\.?|versus)\s+(?P<right>.+)",
                      re.IGNORECASE)
# "Why do the South African cohort and the Danish trial seem to disagree?": two things joined
# by "and", then said to differ.
_BOTH_DIFFER = re.compile(r"(?P<left>[^?.!;]+?)\s+and\s+(?P<right>[^?.!;]+?)\s+(?:(?:seems?|appears?) to\s+)?"
                          r"(?:disagree|differ|conflict|contradict|clash)(?:s|ed)?\b(?!\s+(?:with|from)\b)", re.IGNORECASE)
# "Walking at home or the stretchy bands - which did more for mood?": two things offered as
# alternatives, when the question asks which of them did more, better or best.
_EITHER = re.compile(r"(?P<left>[^,;:?.!]+?)\s+or\s+(?P<right>[^,;:?.!]+)", re.IGNORECASE)
_WHICH_MORE = re.compile(r"\b(?:which|what)\b(?:\s+[\w'-]+){0,4}?\s+(?:more|better|best|most|less|worse|least|bigger|larger|stronger)\b|"
                         # "Is it better to do tai chi or walking?", "does it matter whether … or …?"
                         r"\b(?:is it|would it be|are they) (?:any )?(?:better|best|worse)\b|\bdoes it (?:matter|make (?:a|any) difference)\b",
                         re.IGNORECASE)
# Words that lead into a side without naming it ("just do", "rather go to").
_SIDE_LEAD = re.compile(r"^(?:just|simply|only|rather|maybe|perhaps|even|instead)\s+(?:(?:to|do|doing|go|going|get|getting|give|giving)\s+)*",
                        re.IGNORECASE)
# Where a side ends: a new clause or a question about it ("..., any difference?", "- which works better").
_CLAUSE = re.compile(r"[?,;:!()—–]|\s-\s|\b(?:which|what|whats|how|why|when|whether|better|worse|best|does|do|did|is|are|was|were|can|could|would|should|will|has|have|had)\b",
                     re.IGNORECASE)


@lru_cache(maxsize=1024)  # asked of every candidate lead of an answer (finding first)
def comparison_sides(question: str) -> tuple[str, str] | None:
    """The two things a question compares, as written ("tai chi", "walking for low mood"), or
    None when it compares nothing. Each side runs from the comparison to the nearest clause
    boundary; words both sides share are the question's topic, not a side."""
    between = _BETWEEN.search(question)
    either = _EITHER.search(question) if _WHICH_MORE.search(question) else None
    differ = _BOTH_DIFFER.search(question)
    if between:
        left, right = between.group("left"), between.group("right")
    elif differ and _CLAUSE.split(differ.group("left"))[-1].strip() and _CLAUSE.split(differ.group("right"))[0].strip():
        left, right = differ.group("left"), differ.group("right")
    elif either and not _COMPARATOR.search(question):
        left, right = either.group("left"), either.group("right")
    else:
        found = _COMPARATOR.search(question)
        if found is None:
            return None
        left, right = question[:found.start()], question[found.end():]
    left = _CLAUSE.split(left)[-1].strip()
    # "…or just do a program at home": what the right side names follows its hedges and verbs.
    right = _CLAUSE.split(_SIDE_LEAD.sub("", right.strip()))[0].strip()
    if not left or not right:
        return None
    return left, right


def is_followup(question: str, history: Sequence[str]) -> bool:
    if not history:
        return False
    words = question.split()
    return len(words) <= 6 or bool(_FOLLOWUP_CUE.search(question))


def lexicon_words(question: str, lexicon: Mapping[str, str]) -> set[str]:
    """Lower-cased words of the question that the everyday lexicon understands."""
    words: set[str] = set()
    for pattern in lexicon:
        for match in re.finditer(pattern, question, re.IGNORECASE):
            words.update(re.findall(r"[a-z0-9'-]+", match.group(0).lower()))
    return words


def expand_terms(question: str, glossary: dict[str, str], lexicon: Mapping[str, str]) -> tuple[str, ...]:
    """Synonyms from the everyday lexicon and both directions of the abbreviation glossary."""
    expansions: list[str] = []
    for pattern, replacement in lexicon.items():
        if re.search(pattern, question, re.IGNORECASE):
            expansions.append(replacement)
    lowered = question.lower()
    for abbreviation, expansion in glossary.items():
        if _names_abbreviation(question, abbreviation):
            expansions.append(expansion)
        elif len(expansion) > 8 and expansion.lower() in lowered:
            expansions.append(abbreviation)
    return tuple(dict.fromkeys(expansions))


def _names_abbreviation(question: str, abbreviation: str) -> bool:
    """The question names the abbreviation: in any case ("msc"), except one that is also a
    common word ("OR" for odds ratio, "AS"), which counts only as written, in capitals."""
    flags = re.NOFLAG if abbreviation.lower() in STOPWORDS else re.IGNORECASE
    return bool(re.search(rf"(?<![\w-]){re.escape(abbreviation)}(?![\w-])", question, flags))


_GENERIC_NAME_WORDS = {"program", "programme", "scale", "questionnaire", "inventory", "version", "the", "of", "for",
                       "and", "to", "in", "a", "form", "index", "group", "s"}


_QUOTED = re.compile(r"(?:^|(?<=[\s(]))['‘\"“]([^'’\"”]{3,60}?)['’\"”](?=[\s,.;:?!)]|$)")
_DEFINED = re.compile(r"\b(?:definitions? of|define|meaning of|what is meant by|what (?:is|are|does|do))\s+(?:an?\s+|the\s+)?"
                      r"([a-z][\w'’-]*(?:\s+[a-z][\w'’-]*){0,3}?)\s*(?:\bmean\b|\bstand for\b|[?,;:.]|\s-\s|$|\s(?:for|in|and|as|to)\s)",
                      re.IGNORECASE)


@lru_cache(maxsize=1024)  # asked of every candidate sentence of a definition's answer
def defined_term(question: str) -> str | None:
    """What a definition question asks to define: a phrase it quotes ("a definition of 'therapeutic
    presence'"), or the words after "define", "definition of", "what is"; None when it names none."""
    if quoted := [q for q in _QUOTED.findall(question) if 1 <= len(q.split()) <= 5]:
        return quoted[0]
    found = _DEFINED.search(question)
    return found.group(1) if found else None


def named_entities(question: str, glossary: dict[str, str]) -> tuple[str, ...]:
    """Abbreviations of the glossary the question names, by abbreviation or by full name in any word order."""
    lowered = question.lower()
    words = set(re.findall(r"[a-z0-9]+", lowered))
    found = []
    for abbreviation, expansion in glossary.items():
        if _names_abbreviation(question, abbreviation):
            found.append(abbreviation)
            continue
        core = set(re.findall(r"[a-z0-9]+", re.sub(r"\([^)]*\)", "", expansion.split(",")[0]).lower())) - _GENERIC_NAME_WORDS
        if len(core) >= 2 and core <= words:
            found.append(abbreviation)
    return tuple(found)


def read_question(
    raw: str | None,
    history: Sequence[str] = (),
    persona: str | None = "auto",
    glossary: dict[str, str] | None = None,
    max_chars: int = 2000,
    words: WordLists | None = None,
) -> ReadQuestion:
    """Cleans, routes and expands a question; a follow-up borrows the words of the last question."""
    clean = clean_question(raw, max_chars)
    history = [clean_question(h, max_chars).text for h in history if h and h.strip()]
    followup = is_followup(clean.text, history) if clean.text else False
    route = classify_route(clean.text)
    if followup and route in ("fact", "effect", "numeric") and history:
        previous_route = classify_route(history[-1])
        if previous_route == "list" and re.search(r"\b(they|those|these|them|each|every|both)\b", clean.text, re.IGNORECASE):
            route = "list"
    context = " ".join([*history[-2:], clean.text]) if followup else clean.text
    lists = words or WordLists.load()
    expansions = expand_terms(context, glossary or {}, lists.lexicon)
    # Framing words keep their weight: "in total" or "took part" still tell one count from another.
    expanded = set(tokenize(" ".join(expansions)))
    form = set(tokenize(" ".join(lexicon_words(clean.text, lists.lexicon)))) - expanded
    # A request for a summary names the answer's form and use: its "executive summary" is no
    # "executive control", its "for hospital managers" no hospital.
    request = set(tokenize(" ".join(summary_request_words(clean.text)))) - expanded
    return ReadQuestion(
        clean=clean,
        route=route,
        persona=infer_persona(clean.text or clean.shown, persona),
        # What the answer is for and how it is shaped ("for a staff newsletter", "an executive
        # summary") are left out of the search: they would find passages using those words.
        search_text=" ".join([_FORM_ONLY.sub(" ", _PURPOSE.sub(" ", context)), *expansions]).strip(),
        context=context,
        expansions=expansions,
        entities=named_entities(clean.text, glossary or {}),
        is_followup=followup,
        form_tokens=frozenset(form),
        request_tokens=frozenset(request),
    )
