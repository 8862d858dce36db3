"""Reading a question: cleaning, routing, persona, follow-up context and query expansion.
Pure functions over strings."""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from collections.abc import Sequence

Route = str  # list | numeric | definition | overview | effect | contrast | fact | help

HELP_TEXT = (
    "Ask a question about the benefits of self-compassion for mental health professionals, for example "
    "\"Does self-compassion protect therapists from burnout?\", \"Which studies used the ProQOL?\" or "
    "\"What did Eriksson et al. (2018) find?\"."
)

# Plain words people use, mapped to the review's vocabulary. Documented in the README.
LEXICON: dict[str, str] = {
    r"\b(kind(er|ness)? (to|with|towards?) (myself|yourself|oneself|themselves|ourselves)|go(ing)? easy on (myself|yourself|oneself|themselves)|gentle with (myself|yourself)|be(ing)? nice to (myself|yourself)|self[- ]?care|self[- ]?kindness)\b": "self-compassion self-kindness",
    r"\b(drained|worn[- ]out|exhausted|exhaustion|depleted|burn(ed|t)[- ]?out|tired|fatigued?|running on empty|empty)\b": "burnout emotional exhaustion compassion fatigue",
    r"\b(exhaustion from caring|caring fatigue|tired of caring|compassion[- ]fatigue)\b": "compassion fatigue burnout secondary traumatic stress",
    r"\b(vicarious|secondary) trauma(tization|tisation)?\b": "secondary traumatic stress secondary traumatization",
    r"\b(in training|trainees?|students?|interns?|grad(uate)? students?|counsell?ors[- ]in[- ]training|therapists[- ]in[- ]training|doctoral)\b": "trainees students",
    r"\b(counsell?ors?|counsell?ing)\b": "counselors counsellors counseling",
    r"\b(therapists?|psychotherapists?|clinicians?|shrinks?|practitioners?)\b": "therapists psychologists mental health professionals",
    r"\b(harsh on (myself|yourself)|beat(ing)? (myself|yourself) up|self[- ]critic(al|ism)|hard on (myself|yourself)|inner critic)\b": "self-criticism self-judgment self-coldness",
    r"\b(feel(ing)? like (a )?frauds?|impostors?|imposters?|frauds?)\b": "impostor phenomenon",
    r"\b(perfectionis[mt]s?|perfectionistic)\b": "perfectionism perfectionistic cognitions",
    r"\b(online|internet|web[- ]based|app|digital|e-?learning)\b": "Internet-based online program",
    r"\b(meditat(e|ion|ing))\b": "meditation mindfulness loving-kindness",
    r"\b(randomi[sz]ed|rcts?|trials?|experiments?)\b": "randomized controlled trial RCT experimental",
    r"\b(questionnaires?|scales?|measures?|instruments?|inventor(y|ies)|tools?)\b": "instruments scales measures",
    r"\b(sample sizes?|participants|people took part|took part|how many people|enrolled)\b": "N sample participants",
    r"\b(wellbeing|well[- ]being|happ(y|iness)|flourish(ing)?|thriving)\b": "well-being happiness psychological well-being",
    r"\b(depressed|low mood|feel(ing)? (low|down|blue)|depressive|depression)\b": "depression depressive symptoms",
    r"\b(anxious|worr(y|ied|ies)|nervous|anxiety)\b": "anxiety",
    r"\b(stress(ed|ful)?|pressure|overwhelmed)\b": "stress perceived stress occupational stress",
    r"\b(ask(ing)? for help|seek(ing)? help|getting help|see(ing)? a therapist|help[- ]seeking)\b": "mental help-seeking",
    r"\b(empath(y|ic|etic)|car(e|ing) for (clients|patients|others))\b": "compassion for others empathy",
    r"\b(clients?|patients?)\b": "clients patients therapeutic relationship",
    r"\b(courses?|workshops?|programmes?|programs?|trainings?|interventions?)\b": "training program intervention",
    r"\b(last(ed|ing)?|kept|maintained|follow[- ]?ups?|follow(ed|ing)? (\w+ )?up|later|months later|long[- ]term|afterwards?)\b": "maintained follow-up",
    r"\bhow long\b": "duration weeks length",
    r"\b(weakness(es)?|shortcomings?|flaws?|problems with|caveats?|limits)\b": "limitations",
    r"\b(correlational|surveys?|questionnaire studies)\b": "cross-sectional",
    r"\b(future (research|studies|work)|next steps|research gaps?|call for)\b": "future research should recommended",
    r"\beffect sizes?\b": "d Cohen's d effect size",
    r"\b(recommend\w*|advi[sc]e|should (we|they|programmes|programs|training))\b": "recommendation priority should recommended",
    r"\b(say|said|describe[ds]?|report(ed)?) (it|they|the course|the training|the programme|the program) (did|does|gave)\b|\b(get|got|gain(ed)?) out of\b|\bdo for (them|me|you)\b": "benefits effects experienced impact",
    r"\bcorrelat\w*\b": "r correlated correlation association",
    r"\bvariance\b": "variance accounted explained predicted",
    r"\b(earlier|previous|prior|other|existing) (systematic )?reviews?\b|\bmeta-analys[ie]s\b": "systematic reviews review studies meta-analyses",
    r"\bhow many\b": "N number sample",
    r"\b(work[- ]life balance|balance (between )?work)\b": "work-life balance",
    r"\b(emotion(al)? regulation|manag(e|ing) (my |your )?emotions|handle (my |your )?feelings)\b": "emotion regulation difficulties",
    r"\b(competen(ce|cy|t)|confiden(ce|t)|efficacy|good at (my|their|your) job|effective(ness)?)\b": "self-efficacy professional competency effectiveness",
    r"\b(definition|define|mean(s|ing)?)\b": "definition entails self-kindness mindfulness common humanity",
    r"\b(downsides?|drawbacks?|against|contrary|negative (findings|results)|doesn'?t work|mixed)\b": "contrary to expectations however",
}

# Words people use to frame a question, which name no topic of their own; a question is never
# judged out of scope for using them (compared stemmed, see retrieve.tokenize).
FRAMING_WORDS = frozenset(
    "lot lots bit thing things stuff somehow someone something anything everything actual actually realli really "
    "pretty quite basic basically simpli simply quick quickly brief briefly short plain word words sort kind type "
    "big small larg large huge tini tiny mani much enough littl little whole part parts way ways "
    "slide slides lectur lecture lectures class classes seminar talk talks handout note notes teach teaching student "
    "colleagu colleague colleagues boss manag manager team supervisor friend friends peopl people person folk folks "
    "pick picked pick up notic notice heard hear read seen saw see look looking wonder wondering curious "
    "answer answers answered question questions ask asked tell told say said explain explained mention mentioned "
    "return returned left leav leave got get getting give given gave put take took make made come came goes went "
    "ingredi ingredient ingredients recip recipe key main basic core essenti essential import important "
    "will would could should might must may can need needs want wants wish hope "
    "respond respons disagre disagree agre agree compar compare differ differ "
    "otherwis otherwise anyway besides also either neither whether though although "
    "day days week weeks month months year years time times today lately recent recently often sometim sometimes always never "
    "honest honestly worth worthwhil point points idea ideas fact facts number numbers figur figure figures "
    "impress impression sens sense feel feels felt she he her his him hers they them".split()
)

_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|your\s+|the\s+|previous\s+|prior\s+|above\s+)*"
    r"(instructions|sources|rules|corpus|evidence|context|guidelines|system prompt)\b[^.?!]*[.?!]?"
    r"|\bsystem override\b[^.?!]*[.?!]?|\byou are (now )?in [\w-]+ mode\b[^.?!]*[.?!]?|\byou are now\b[^.?!]*[.?!]?"
    r"|\bpretend (to be|you are)\b[^.?!]*[.?!]?|\bact as\b[^.?!]*[.?!]?"
    r"|\b(just |only )?(say|tell me|reply|respond|claim|state|write)( only)?( that| with)?\s+['\"‘“]?(self-compassion|it|yes|no)\b"
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
    r"|\b(it|its|they|them|their|that one|this one|that study|this study|that trial|those studies|these studies|the same|that|those|these|he|she)\b",
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
_ROUTES: tuple[tuple[Route, re.Pattern[str]], ...] = (
    ("list", re.compile(r"\b(which|what|list|name|any)\b(\s+(of|the|[\w-]+)){0,3}\s+(studies|papers|trials|articles|works|surveys|authors|rcts?|questionnaires|scales|instruments|measures|inventories)\b|\bstudies (that|which|used|using|with|on)\b|\blist\b|\bwho (used|studied|found|measured)\b")),
    ("contrast", re.compile(r"\b(contrary|contradict|conflicting|against|negative (result|finding)s?|downsides?|drawbacks?|limitations?|mixed|not (support|help|work|find)|fail(ed)?|no (effect|difference)|harm(ful)?|backfire|caveats?|unexpected)\b")),
    ("numeric", re.compile(r"\b(how many|how much|how large|how big|sample size|number of|percent(age)?|%|effect sizes?|cohen|\bd\b ?=|variance|how long|how often|minutes|weeks|n ?=)\b")),
    ("definition", re.compile(r"^(what is|what's|what are|define|definition of|what does .{1,40} (mean|stand for))\b|\b(defined|definition|stand for|components? of|elements? of)\b")),
    ("overview", re.compile(r"\b(in brief|briefly|tell us|what do (the )?[\w-]+ ?(studies|research|trials|surveys) (say|show|tell|suggest|find)|summar(y|ise|ize)|overview|in general|overall|main (findings|points|conclusions)|key (findings|messages|points)|what does the review (say|conclude|find)|conclusions?|big picture|take[- ]?home)\b")),
    ("effect", re.compile(r"^(does|do|can|could|is|are|will|would|should|might)\b|\b(help|helps|reduce|improve|protect|benefit|prevent|effective|work|linked|associated|related)\b")),
)
# "What is the effect of ..." asks about findings, not a definition.
_NOT_DEFINITION = re.compile(r"\b(find|found|effect|show|result)")


def classify_route(question: str) -> Route:
    q = question.lower()
    if not q.strip():
        return "help"
    for route, pattern in _ROUTES:
        if pattern.search(q) and not (route == "definition" and _NOT_DEFINITION.search(q)):
            return route
    return "fact"


def infer_persona(question: str, requested: str | None = "auto") -> str:
    """The persona asked for, or the one the trained classifier reads from the question's wording."""
    if requested in ("therapist", "educator", "researcher"):
        return requested
    from assistant.persona import classify_persona  # loads the model and the embedder on first use only

    return classify_persona(question)


def is_followup(question: str, history: Sequence[str]) -> bool:
    if not history:
        return False
    words = question.split()
    return len(words) <= 6 or bool(_FOLLOWUP_CUE.search(question))


def lexicon_words(question: str) -> set[str]:
    """Lower-cased words of the question that the everyday lexicon understands."""
    words: set[str] = set()
    for pattern in LEXICON:
        for match in re.finditer(pattern, question, re.IGNORECASE):
            words.update(re.findall(r"[a-z0-9'-]+", match.group(0).lower()))
    return words


def expand_terms(question: str, glossary: dict[str, str]) -> tuple[str, ...]:
    """Synonyms from the everyday lexicon and both directions of the abbreviation glossary."""
    expansions: list[str] = []
    for pattern, replacement in LEXICON.items():
        if re.search(pattern, question, re.IGNORECASE):
            expansions.append(replacement)
    lowered = question.lower()
    for abbreviation, expansion in glossary.items():
        if re.search(rf"(?<![\w-]){re.escape(abbreviation.lower())}(?![\w-])", lowered):
            expansions.append(expansion)
        elif len(expansion) > 8 and expansion.lower() in lowered:
            expansions.append(abbreviation)
    return tuple(dict.fromkeys(expansions))


_GENERIC_NAME_WORDS = {"program", "programme", "scale", "questionnaire", "inventory", "version", "the", "of", "for",
                       "and", "to", "in", "a", "form", "index", "group", "s"}


def named_entities(question: str, glossary: dict[str, str]) -> tuple[str, ...]:
    """Abbreviations of the glossary the question names, by abbreviation or by full name in any word order."""
    lowered = question.lower()
    words = set(re.findall(r"[a-z0-9]+", lowered))
    found = []
    for abbreviation, expansion in glossary.items():
        if re.search(rf"(?<![\w-]){re.escape(abbreviation.lower())}(?![\w-])", lowered):
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
) -> ReadQuestion:
    """Cleans, routes and expands a question; a follow-up borrows the words of the last question."""
    clean = clean_question(raw, max_chars)
    history = [clean_question(h, max_chars).text for h in history if h and h.strip()]
    followup = is_followup(clean.text, history) if clean.text else False
    route = classify_route(clean.text)
    if followup and route in ("fact", "effect") and history:
        previous_route = classify_route(history[-1])
        if previous_route == "list" and re.search(r"\b(they|those|these|them)\b", clean.text, re.IGNORECASE):
            route = "list"
    context = " ".join([*history[-2:], clean.text]) if followup else clean.text
    expansions = expand_terms(context, glossary or {})
    return ReadQuestion(
        clean=clean,
        route=route,
        persona=infer_persona(clean.text or clean.shown, persona),
        search_text=" ".join([context, *expansions]).strip(),
        context=context,
        expansions=expansions,
        entities=named_entities(clean.text, glossary or {}),
        is_followup=followup,
    )
