"""Typo tolerance: a question's misspelt words are read as the corpus word they were meant to be
("psycologists" -> "psychologists", "burnot" -> "burnout"), so a typo neither misleads retrieval
nor makes a word look absent from the corpus. Pure: a vocabulary in, corrections out."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA
from rapidfuzz import process

_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*[^\W\d_]", re.UNICODE)


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def allowed_edits(length: int) -> int:
    """Edits a word of this length may be away from the word meant: none for short words, where a
    single edit turns one real word into another ("sleep"/"steep"), one from six letters, two from eight."""
    return 0 if length < 6 else 1 if length < 8 else 2


def word_counts(texts: Iterable[str], counted: dict[str, int] | None = None) -> dict[str, int]:
    """How often each folded word occurs in the texts, added to `counted`; in first-seen order,
    which decides between equally near corrections."""
    counts: Counter[str] = Counter(counted or {})
    for text in texts:
        counts.update(fold(w) for w in _WORD.findall(text))
    return dict(counts)


# British endings and their American forms, which the tokenizer's word list holds.
_BRITISH = ((re.compile(r"is(e|ed|es|ing|ation|ations|er|ers)$"), r"iz\1"), (re.compile(r"ys(e|ed|es|ing)$"), r"yz\1"),
            (re.compile(r"our(s|ed|ing|ite|ites|al)?$"), r"or\1"), (re.compile(r"tre(s)?$"), r"ter\1"),
            (re.compile(r"ogue(s)?$"), r"og\1"), (re.compile(r"ll(ed|ing|er|ers|or|ors)$"), r"l\1"))


# Endings that make one word from another ("meditat-e", "meditat-ion", "meditat-ive").
_DERIVATIONS = ("e", "es", "ed", "ing", "ion", "ions", "ive", "ively", "or", "ors", "ory", "al", "ally", "ment", "ments",
                "er", "ers", "ity", "ities", "ness", "ful", "fully", "ic", "ical", "ically", "ist", "ists", "ism", "y",
                "ies", "ied", "ly", "s", "ence", "ent", "ance", "ant", "ize", "ized", "ise", "ised")


def _spellings(folded: str) -> list[str]:
    """The word as written and in American spelling, when a British ending changes it."""
    return [folded, *(american for pattern, replacement in _BRITISH
                      if (american := pattern.sub(replacement, folded)) != folded)]


@dataclass(frozen=True)
class Speller:
    """Corpus words and how often they occur; corrections go to the most frequent nearest word."""

    counts: dict[str, int]
    dictionary: frozenset[str] = frozenset()  # words known to be spelt right though not in the corpus
    shorthand: Mapping[str, str] = field(default_factory=dict)  # "ppl" -> "people", where the corpus lacks the word
    # Whether English uses a word often enough to be written on purpose ("attrition", "salivary"):
    # such a word is never read as a corpus word two letters away ("attention", "solitary").
    in_use: Callable[[str], bool] | None = None

    @classmethod
    def from_texts(cls, texts: Iterable[str], dictionary: Iterable[str] = (), counted: dict[str, int] | None = None,
                   shorthand: Mapping[str, str] | None = None, in_use: Callable[[str], bool] | None = None) -> "Speller":
        """The texts' words, added to the `counted` words of other texts (see word_counts)."""
        return cls(counts=word_counts(texts, counted), dictionary=frozenset(w for w in dictionary if w.isalpha()),
                   shorthand=dict(shorthand or {}), in_use=in_use)

    def is_english(self, word: str) -> bool:
        """A real word the corpus does not use ("beating", "gentler") is not a typo of one it does,
        in British spelling too ("summarise", "behaviour") when the dictionary has the American."""
        for folded in _spellings(fold(word)):
            if folded in self.dictionary:
                return True
            for suffix in ("s", "es", "ed", "d", "ing", "er", "r", "est", "ly", "ness"):
                if folded.endswith(suffix) and folded[: -len(suffix)] in self.dictionary:
                    return True
            # The list may hold only an inflected form ("summarized", not "summarize").
            if any(folded + suffix in self.dictionary for suffix in ("s", "d", "ed")):
                return True
        return False

    def _derives(self, folded: str) -> bool:
        """Another form of a corpus word ("meditate" where the corpus says "meditation"): a word in
        its own right, never to be read as a near neighbour it does not mean ("mediate")."""
        for suffix in _DERIVATIONS:
            stem = folded[: -len(suffix)]
            if folded.endswith(suffix) and len(stem) >= 5 and any(stem + other in self.counts for other in _DERIVATIONS):
                return True
        return False

    def knows(self, word: str) -> bool:
        return fold(word) in self.counts

    def correction(self, word: str) -> str | None:
        """The corpus word meant by an unknown word, or None when there is no single close one."""
        folded = fold(word)
        edits = allowed_edits(len(folded))
        if folded in self.counts:
            return None
        if folded in self.shorthand:
            return self.shorthand[folded]
        if american := next((w for w in _spellings(folded)[1:] if w in self.counts), None):
            return american  # the corpus's own spelling of a British word ("prioritise")
        if not edits or self.is_english(folded) or self._derives(folded):
            return None
        found = process.extract(folded, self.counts.keys(), scorer=OSA.distance, score_cutoff=edits, limit=5)
        if not found:
            return None
        best = min(distance for _, distance, _ in found)
        # Same first letter, as typists rarely miss it; the most frequent of the nearest wins.
        nearest = [(self.counts[w], w) for w, distance, _ in found if distance == best and w[0] == folded[0]]
        meant = max(nearest)[1] if nearest else None
        if meant and self.in_use is not None and not (folded.startswith(meant) or meant.startswith(folded)) and self.in_use(folded):
            return None  # a word in its own right ("attrition"), unless another form of the one meant ("cohorts")
        return meant

    def correct(self, text: str) -> tuple[str, dict[str, str]]:
        """The text with its misspelt words replaced, and what was replaced by what."""
        changes: dict[str, str] = {}

        def fix(match: re.Match[str]) -> str:
            word = match.group(0)
            if word[0].isupper() and match.start() > 0:
                return word  # a name: study names are matched to the reference list on their own terms
            fixed = self.correction(word)
            if fixed is None:
                return word
            changes[word] = fixed
            return fixed

        return _WORD.sub(fix, text), changes


def as_written(text: str, changes: Mapping[str, str]) -> str:
    """The text with its corrected words put back as the asker wrote them: a question shown back
    ("Which trials measured salivary cortisol?") is in the asker's words, not in the corpus word
    a correction took for them ("solitary")."""
    for word, fixed in changes.items():
        text = re.sub(rf"\b{re.escape(fixed)}\b", word, text)
    return text
