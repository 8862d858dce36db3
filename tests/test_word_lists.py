"""The word lists a question is read with live in data files, load whole, and can be switched off."""
from __future__ import annotations

import re

from assistant.query import WordLists, expand_terms, lexicon_words


def test_the_lists_load_from_their_data_files_and_every_pattern_compiles() -> None:
    words = WordLists.load()
    assert len(words.lexicon) >= 20 and len(words.framing) >= 100
    for pattern in words.lexicon:
        re.compile(pattern)
    assert not any(w.startswith("#") for w in words.framing)  # comment lines are not words


def test_switched_off_lists_are_empty_and_expand_nothing() -> None:
    off = WordLists.load(lexicon=False, framing=False)
    assert not off.lexicon and not off.framing
    question = "I'm exhausted after sessions, does being kinder to myself help?"
    assert expand_terms(question, {}, off.lexicon) == ()
    assert lexicon_words(question, off.lexicon) == set()
    assert expand_terms(question, {}, WordLists.load().lexicon)  # on, the everyday words are understood
