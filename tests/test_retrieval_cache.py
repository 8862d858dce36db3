"""The caches beside the index: ingest saves the passage records and the retrieval structures
(BM25, vocabulary, idf, word counts), opening reads them instead of rebuilding, they are
exactly what a rebuild gives, and a cache of another build, or none, is rebuilt, never used."""
from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from assistant.retrieval_cache import build_structures, retrieval_structures
from assistant.retrieve import tokenize
from common.settings import Settings
from ingest.cache import STAMP, cache_dir
from ingest.index import _get_paged, chroma_client, live_collection_name, open_index, passage_vectors

QUESTIONS = ("Which studies used the ProQOL?", "What did the online self-compassion programme for trainees find?",
             "Does mindfulness reduce burnout in nurses?", "What is the capital of France?")


@pytest.fixture()
def index_copy(index_settings, tmp_path) -> Settings:
    """A private copy of the session's index, to spoil or strip of its caches."""
    shutil.copytree(index_settings.chroma_dir, tmp_path / "copy")
    return Settings(chroma_dir=tmp_path / "copy")


def test_ingest_saves_the_caches_of_the_build_it_made(index_settings) -> None:
    folder = cache_dir(index_settings)
    live = live_collection_name(index_settings)
    for part in ("passages", "retrieval"):
        stamp = json.loads((folder / part / STAMP).read_text(encoding="utf-8"))
        assert stamp["collection"] == live
        assert stamp["passages"] == chroma_client(index_settings).get_collection(live).count()


def test_the_passages_opened_are_chromas_own_in_chromas_order(index_settings) -> None:
    index = open_index(index_settings)
    stored = _get_paged(index.collection, include=["documents"])
    assert [p.passage_id for p in index.passages] == stored["ids"]
    assert list(index.texts) == stored["documents"]


def test_the_loaded_structures_are_exactly_what_a_rebuild_gives(index_settings) -> None:
    index = open_index(index_settings)
    loaded = retrieval_structures(index_settings, index)
    built = build_structures(index.texts)
    assert loaded.vocabulary == built.vocabulary
    assert loaded.idf == built.idf
    assert list(loaded.word_counts.items()) == list(built.word_counts.items())  # order decides speller ties
    for question in QUESTIONS:
        tokens = [t for t in tokenize(question) if t in built.vocabulary] or ["burnout"]
        assert np.array_equal(loaded.bm25.get_scores(tokens), built.bm25.get_scores(tokens))


def test_vectors_come_from_chroma_only_for_the_passages_asked(index_settings) -> None:
    index = open_index(index_settings)
    wanted = [p.passage_id for p in index.passages[:3]]
    stored = index.collection.get(ids=wanted, include=["embeddings"])
    vectors = passage_vectors(index, wanted)
    assert set(vectors) == set(wanted)
    for passage_id, vector in zip(stored["ids"], stored["embeddings"]):
        assert np.array_equal(vectors[passage_id], np.asarray(vector, dtype=np.float32))


def test_a_cache_of_another_build_is_rebuilt_not_used(index_copy) -> None:
    folder = cache_dir(index_copy) / "passages"
    stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    (folder / STAMP).write_text(json.dumps({**stamp, "fingerprint": "another build"}), encoding="utf-8")
    (folder / "records.json").write_text(json.dumps({"ids": [], "documents": [], "metadatas": []}), encoding="utf-8")
    index = open_index(index_copy)
    assert len(index.passages) == stamp["passages"]
    assert json.loads((folder / STAMP).read_text(encoding="utf-8")) == stamp


def test_an_index_without_caches_answers_the_same_and_gains_them(index_copy, caplog) -> None:
    from assistant.service import Assistant

    with_caches = Assistant(index_copy)
    shutil.rmtree(cache_dir(index_copy))
    with caplog.at_level(logging.WARNING):
        without = Assistant(index_copy)
    assert "No passage cache" in caplog.text and "No retrieval cache" in caplog.text
    for part in ("passages", "retrieval"):
        assert (cache_dir(index_copy) / part / STAMP).exists()
    for question in QUESTIONS:
        first, second = with_caches.ask(question), without.ask(question)
        assert (first.answer, first.citations, first.retrieved) == (second.answer, second.citations, second.retrieved)
