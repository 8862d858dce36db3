"""How an answer opens, as plain sentences: the leading note line, headings and markdown markup
removed, then a simple sentence splitter. Pure text in, text out; eval.metrics scores it.
Written by hand because the answers' markup is ours (bold labels, lists, [n] markers) and a
full NLP sentence splitter would add a model download for little gain."""
from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import pyphen

# "_The question was cut to 2000 characters._": a note the assistant puts before the answer.
_NOTE_LINE = re.compile(r"^\s*_[^_].*_\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
# A line that is only a bold label ("**Supporting evidence:**") heads what follows; it says nothing.
_LABEL_ONLY = re.compile(r"^\s*(\*\*|__)[^*_]+(\*\*|__)\s*:?\s*$")
# A bold label opening a line ("**In short:** ...") is markup around the sentence, not part of it.
_LEADING_LABEL = re.compile(r"^\s*(\*\*|__)[^*_]{1,60}?:\s*(\*\*|__)\s*|^\s*(\*\*|__)[^*_]{1,60}?(\*\*|__)\s*:\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_QUOTE_MARKER = re.compile(r"^\s*>\s?")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"\*\*|__|\*|`|(?<!\w)_(?=\S)|(?<=\S)_(?!\w)")
_CITATION_MARKER = re.compile(r"\s*\[\d+(?:\s*[-–,]\s*\d+)*\]")
# A sentence ends at . ! or ? (maybe closed by a quote or bracket) before a capital, digit, quote or
# parenthesis; not before "[": a marker after the full stop ("fell. [22]") still belongs to that sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(A-Z0-9])")
# A full stop after these is not the end of a sentence.
_ABBREVIATIONS = ("et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "fig.", "no.", "dr.", "prof.", "p.", "pp.", "ca.")


def plain_lines(markdown: str) -> list[str]:
    """The answer's text lines without the leading note line, headings, label-only lines and markup."""
    lines = markdown.strip().splitlines()
    while lines and (not lines[0].strip() or _NOTE_LINE.match(lines[0])):
        lines.pop(0)
    plain = []
    for line in lines:
        if not line.strip() or _HEADING.match(line) or _LABEL_ONLY.match(line):
            continue
        line = _QUOTE_MARKER.sub("", line)
        line = _LIST_MARKER.sub("", line)
        line = _LEADING_LABEL.sub("", line)
        line = _EMPHASIS.sub("", _LINK.sub(r"\1", line))
        if line.strip():
            plain.append(" ".join(line.split()))
    return plain


def split_sentences(text: str) -> list[str]:
    """Sentences of one line of prose; a full stop after a known abbreviation does not end one."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    sentences: list[str] = []
    for piece in pieces:
        if sentences and sentences[-1].lower().endswith(_ABBREVIATIONS):
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def opening_sentences(markdown: str, count: int) -> list[str]:
    """The first `count` sentences of the answer as a reader meets them (each line ends a sentence)."""
    sentences: list[str] = []
    for line in plain_lines(markdown):
        sentences.extend(split_sentences(line))
        if len(sentences) >= count:
            break
    return sentences[:count]


def without_citation_markers(text: str) -> str:
    return " ".join(_CITATION_MARKER.sub("", text).split())


_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def syllables(word: str) -> int:
    """Hyphenation points plus one, as textstat counts a word it has no pronunciation for."""
    return len(_hyphenator().positions(word.lower())) + 1 if word[0].isalpha() else 1


def flesch_kincaid_grade(sentences: Sequence[str]) -> float:
    """The Flesch-Kincaid grade of these sentences: 0.39 words/sentence + 11.8 syllables/word - 15.59.
    By hand because textstat's own (>= 0.7.4) fetches NLTK's cmudict over the network on first use;
    syllables come from pyphen, textstat's fallback, so the grade is the same on every machine."""
    words = [w for sentence in sentences for w in _WORD.findall(sentence)]
    if not words:
        return float("nan")
    per_sentence = len(words) / len(sentences)
    per_word = sum(syllables(w) for w in words) / len(words)
    return 0.39 * per_sentence + 11.8 * per_word - 15.59
