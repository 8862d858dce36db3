"""Dense search: a review small enough is searched exactly, so a question finds the same
passages in every process (Chroma's HNSW graph, built by parallel inserts, does not promise
that); a larger one goes through Chroma and finds the same closest passages."""
from __future__ import annotations

import numpy as np

from assistant.service import Assistant
from common.settings import RetrievalSettings, Settings
from ingest.index import _get_paged

QUESTIONS = ("Which studies used the ProQOL?", "does being kinder to myself help with burnout after sessions?",
             "What did the online self-compassion programme for trainees find?")


def test_a_small_review_is_searched_against_every_stored_vector(assistant) -> None:
    stored = _get_paged(assistant.index.collection, include=["embeddings"])
    vectors = np.asarray(stored["embeddings"], dtype=np.float64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    position = {p.passage_id: i for i, p in enumerate(assistant.index.passages)}
    for question in QUESTIONS:
        query = np.asarray(assistant._embed(question), dtype=np.float64)
        similarities = vectors @ (query / np.linalg.norm(query))
        best = [position[stored["ids"][i]] for i in np.argsort(-similarities)[:20]]
        found = assistant.retriever.dense(question, 20)
        assert [i for i, _ in found] == best, question
        assert np.allclose([s for _, s in found], np.sort(similarities)[::-1][:20], atol=1e-5)


def test_a_review_over_the_exact_limit_is_searched_through_chroma_and_finds_the_same_passages(
        index_settings, assistant) -> None:
    through_chroma = Assistant.load(Settings(chroma_dir=index_settings.chroma_dir,
                                             retrieval=RetrievalSettings(exact_up_to=0)))
    assert through_chroma.retriever._vectors is None and assistant.retriever._vectors is not None
    for question in QUESTIONS:
        exact = assistant.retriever.dense(question, 10)
        approximate = through_chroma.retriever.dense(question, 10)
        assert [i for i, _ in approximate][:5] == [i for i, _ in exact][:5], question
        assert np.allclose([s for _, s in approximate], [s for _, s in exact], atol=1e-5)
