"""Hybrid retrieval: dense search in Chroma and BM25 over the same passages, fused by
reciprocal rank, with per-study caps so list questions reach every study."""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import snowballstemmer
from functools import lru_cache

from ingest.records import Passage

STOPWORDS = frozenset(
    "a an and are as at be been being but by can could did do does doing for from had has have how i if in into is it "
    "its me my of on or our so such than that the their them then there these they this those to was we were what "
    "when where which who whom why will with would you your about also any all more most other some very just "
    "should may might much many tell know find found show shows showed study studies review research".split()
)
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'-]*")
_STEMMER = snowballstemmer.stemmer("english")
# The stemmer keeps the word it works on in its own state: two app users stemming at once made
# wrong stems (then cached) and IndexErrors, so one word is stemmed at a time.
_STEMMER_LOCK = threading.Lock()


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords; hyphenated words also give their parts; a crude
    plural/suffix fold so 'studies'/'study' and 'trainees'/'trainee' meet."""
    return list(_tokens(text))


@lru_cache(maxsize=32768)
def _tokens(text: str) -> tuple[str, ...]:
    # The same sentences are read question after question: each is tokenized once (bounded).
    tokens: list[str] = []
    for token in _TOKEN.findall(text.lower().replace("’", "'")):
        token = token.strip("'-")
        if token.endswith("'s"):
            token = token[:-2]
        parts = [token, *token.split("-")] if "-" in token else [token]
        for part in parts:
            if not part or part in STOPWORDS:
                continue
            tokens.append(_fold(part))
    return tuple(tokens)


def stem_of(word: str) -> str:
    """The stem tokenize gives a lower-case word ("dropped" -> "drop")."""
    return _fold(word)


# British and American spellings of a word meet ("practise" and "practice", "randomised" and
# "randomized", "behavioural" and "behavioral", "centre" and "center", "counselling" and
# "counseling", "paediatric" and "pediatric"): questions and passages are folded alike, so a word of
# either spelling finds the other. Words the rules merge by accident ("device" and "devise") are
# rare enough in reviews to cost nothing. ("Programme" stays apart from "program": merged, the
# everyday lexicon's "program" for any intervention drew every programme into lists of studies.)
_SPELLINGS = (
    # Only "-ice" ("practice" as "practise"): "-ance" and "-ence" must keep the stem their
    # adjectives share ("acceptance" with "acceptable").
    (re.compile(r"(?<=\w{3})ic(e|es|ed|ing)$"), r"is\1"),
    (re.compile(r"(?<=dg)ement(s?)$"), r"ment\1"),
    (re.compile(r"(?<=\w{2})([iy])s(e|es|ed|ing|ation|ations|er|ers)$"), r"\1z\2"),
    (re.compile(r"(?<=\w{3})our(s|ed|ing|al|ally|able|ably|ful|ite|ites|ist|ists)?$"), r"or\1"),
    (re.compile(r"(?<=\w{2}[b-df-hj-np-tv-z])re(s?)$"), r"er\1"),
    (re.compile(r"(?<=\w{2}e)ll(ing|ed|er|ers|or|ors)$"), r"l\1"),
    (re.compile(r"(?<=[b-df-hj-np-tv-z])ae(?=[b-df-hj-np-tv-z])"), "e"),
)


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """The word's stem, so 'mediation', 'mediating' and 'mediated' meet, in one spelling."""
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    with _STEMMER_LOCK:
        return _STEMMER.stemWord(word)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused score
    dense: float  # cosine similarity to the query (0 when not among the dense candidates)
    lexical: float  # BM25 score


def lexical_index(texts: Sequence[str]):
    """BM25 (bm25s) over the passages' tokens, in their order, and the vocabulary of those tokens."""
    import bm25s

    tokenized = [tokenize(t) for t in texts]
    bm25 = bm25s.BM25()
    bm25.index([tokens or ["_empty_"] for tokens in tokenized], show_progress=False)
    return bm25, frozenset(t for tokens in tokenized for t in tokens)


class HybridRetriever:
    """Holds the BM25 index over the live passages and a handle on their Chroma collection."""

    def __init__(self, passages: Sequence[Passage], collection, embed_query, bm25, vocabulary: frozenset[str],
                 *, rrf_k: int = 60, vectors: np.ndarray | None = None):
        self.passages = tuple(passages)
        self.position = {p.passage_id: i for i, p in enumerate(self.passages)}
        self._collection = collection
        self._embed_query = embed_query
        self._rrf_k = rrf_k
        self._bm25 = bm25  # built by lexical_index over the same passages, in the same order
        self.vocabulary = vocabulary
        # Unit vectors of the passages, in their order, when the review is small enough to search
        # exactly; else None and Chroma's approximate graph is asked.
        self._vectors = vectors

    def dense(self, query: str, k: int) -> list[tuple[int, float]]:
        vector = self._embed_query(query)
        if self._vectors is not None:
            return self._exact(np.asarray(vector, dtype=np.float32), k)
        found = self._collection.query(query_embeddings=[vector], n_results=min(k, len(self.passages)), include=["distances"])
        hits = [
            (self.position[i], 1.0 - float(d))
            for i, d in zip(found["ids"][0], found["distances"][0])
            if i in self.position
        ]
        # Rounded, ties broken by position: a query's embedding can differ between processes in
        # its last bits, which swapped two equally close passages and so the fused ranking.
        return sorted(hits, key=lambda h: (-round(h[1], 6), h[0]))

    def _exact(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The k passages closest to the vector by cosine, compared with every one: the same
        candidates in every process, which an HNSW graph built by parallel inserts does not promise."""
        norm = float(np.linalg.norm(vector))
        similarities = self._vectors @ (vector / norm if norm > 0 else vector)
        k = min(k, len(similarities))
        if k <= 0:
            return []
        candidates = np.argpartition(-similarities, k - 1)[:k] if k < len(similarities) else np.arange(len(similarities))
        rounded = np.round(similarities[candidates], 6)
        top = candidates[np.lexsort((candidates, -rounded))]
        return [(int(i), float(similarities[i])) for i in top]

    def closeness(self, query: str, indices: Sequence[int]) -> list[float]:
        """The query's cosine to the given passages, where their vectors are held in memory (0 otherwise)."""
        if self._vectors is None or not indices:
            return [0.0] * len(indices)
        vector = np.asarray(self._embed_query(query), dtype=np.float32)
        norm = float(np.linalg.norm(vector))
        return [float(v) for v in self._vectors[list(indices)] @ (vector / norm if norm > 0 else vector)]

    def lexical(self, query: str, k: int) -> list[tuple[int, float]]:
        tokens = [t for t in tokenize(query) if t in self.vocabulary]
        if not tokens:
            return []
        # Rounded, ties broken by position: bm25s sums in an order that can differ between
        # processes in the last bits, which must not reorder equally good passages.
        scores = self._bm25.get_scores(tokens)
        if k < len(scores):  # only the best k are sorted: the rest need no order
            candidates = np.argpartition(-scores, k - 1)[:k]
        else:
            candidates = np.arange(len(scores))
        rounded = np.round(scores[candidates], 6)
        top = candidates[np.lexsort((candidates, -rounded))]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def search(
        self,
        query: str,
        *,
        dense_query: str | None = None,
        dense_k: int = 40,
        lexical_k: int = 40,
        boosts: dict[int, float] | None = None,
        allowed: Iterable[str] | None = None,
    ) -> list[Hit]:
        """All candidates ranked by fused score; `boosts` adds weight to passages citing given refs."""
        dense_hits = self.dense(dense_query or query, dense_k)
        lexical_hits = self.lexical(query, lexical_k)
        fused: dict[int, float] = {}
        for rank, (index, _) in enumerate(dense_hits):
            fused[index] = fused.get(index, 0.0) + 1.0 / (self._rrf_k + rank + 1)
        for rank, (index, _) in enumerate(lexical_hits):
            fused[index] = fused.get(index, 0.0) + 1.0 / (self._rrf_k + rank + 1)
        dense_of = dict(dense_hits)
        lexical_of = dict(lexical_hits)
        allowed_kinds = set(allowed) if allowed is not None else None
        hits = []
        for index, score in fused.items():
            passage = self.passages[index]
            if allowed_kinds is not None and passage.kind not in allowed_kinds:
                continue
            if boosts:
                score += sum(boosts.get(r, 0.0) for r in dict.fromkeys(passage.refs)) / max(1, len(passage.refs)) ** 0.5
            hits.append(Hit(passage, score, dense_of.get(index, 0.0), lexical_of.get(index, 0.0)))
        hits.sort(key=lambda h: (-round(h.score, 9), self.position[h.passage.passage_id]))
        return hits


def diversify(hits: Sequence[Hit], top_k: int, per_study_cap: int) -> list[Hit]:
    """The best hits with at most `per_study_cap` passages about one study (or one ref set)."""
    kept: list[Hit] = []
    count: dict[tuple[int, ...], int] = {}
    for hit in hits:
        key = (hit.passage.study_ref,) if hit.passage.study_ref is not None else tuple(sorted(hit.passage.refs))
        if key and count.get(key, 0) >= per_study_cap:
            continue
        count[key] = count.get(key, 0) + 1
        kept.append(hit)
        if len(kept) >= top_k:
            break
    return kept
