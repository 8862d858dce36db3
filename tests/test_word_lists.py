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


def test_only_listed_framing_words_and_their_inflections_frame_a_question() -> None:
    words = WordLists.load()
    assert all(words.frames(w) for w in ("quite", "wondering", "studies", "summarising", "comparing", "slides", "told"))
    # "quit" shares its stem with "quite" and "stat" with "stats"; neither is listed, nor inflects one.
    assert not any(words.frames(w) for w in ("quit", "quits", "quitting", "stat"))


def test_british_and_american_spellings_of_a_word_are_one_token() -> None:
    from assistant.retrieve import tokenize

    for british, american in (("practising", "practicing"), ("randomised", "randomized"),
                              ("behavioural", "behavioral"), ("centres", "centers"), ("counsellor", "counselor"),
                              ("paediatric", "pediatric"), ("judgement", "judgment"), ("analyse", "analyze")):
        assert tokenize(british) == tokenize(american), (british, american)
    # Words that only look alike stay apart.
    assert len(set(map(tuple, map(tokenize, ("four", "for", "hour", "more", "entire"))))) >= 4
