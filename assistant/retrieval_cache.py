"""The assistant's retrieval structures over one build of a review's passages (the BM25 index,
its vocabulary, the idf table, the corpus's word counts for the speller), saved beside the index
at ingest and loaded at open instead of being rebuilt (about 20 s at 100k passages)."""
from __future__ import annotations

import hashlib
import inspect
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.compose import idf_table
from assistant.retrieve import lexical_index
from assistant.spelling import word_counts
from common.settings import Settings
from ingest.cache import cache_dir, read_stamped, write_stamped
from ingest.index import OpenIndex

log = logging.getLogger(__name__)
FORMAT = 1  # of the files below; a change of it, or of the code that builds them, rebuilds them


@dataclass(frozen=True)
class RetrievalStructures:
    bm25: object  # bm25s.BM25 over the passages' tokens, in the index's passage order
    vocabulary: frozenset[str]
    idf: dict[str, float]
    word_counts: dict[str, int]  # the passages' folded words, in first-seen order (see spelling.word_counts)


def build_structures(texts: Sequence[str]) -> RetrievalStructures:
    bm25, vocabulary = lexical_index(texts)
    return RetrievalStructures(bm25=bm25, vocabulary=vocabulary, idf=idf_table(texts), word_counts=word_counts(texts))


def retrieval_structures(settings: Settings, index: OpenIndex, *, announce: bool = True) -> RetrievalStructures:
    """The structures of this build of the index: loaded when this machine saved them for exactly
    this build and this code, else built from its passages and saved."""
    folder = cache_dir(settings) / "retrieval"
    stamp = {**index.stamp, "code": _code_version()}
    if read_stamped(folder, stamp):
        try:
            return _load(folder)
        except (OSError, ValueError, KeyError) as error:
            log.warning("The retrieval cache at %s cannot be read (%s): building it again.", folder, error)
    elif announce:
        log.warning("No retrieval cache for this build of review '%s' (an index from an older version, changed "
                    "elsewhere, or new retrieval code): building it over %d passages (about 20 s at 100k) and "
                    "saving it to %s.", settings.review, len(index.texts), folder)
    built = build_structures(index.texts)
    try:
        write_stamped(folder, stamp, lambda fresh: _save(built, fresh))
    except OSError as error:  # a read-only place: every open builds them, as before caches
        log.warning("Could not save the retrieval cache to %s (%s).", folder, error)
    return built


def _save(built: RetrievalStructures, folder: Path) -> None:
    built.bm25.save(str(folder / "bm25"), show_progress=False)
    (folder / "vocabulary.json").write_text(json.dumps(sorted(built.vocabulary), ensure_ascii=False), encoding="utf-8")
    (folder / "idf.json").write_text(json.dumps(built.idf, ensure_ascii=False), encoding="utf-8")
    (folder / "word_counts.json").write_text(json.dumps(built.word_counts, ensure_ascii=False), encoding="utf-8")


def _load(folder: Path) -> RetrievalStructures:
    import bm25s

    # Memory-mapped: opening costs no read of the matrix, and pages come in as queries touch them.
    bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)
    read = lambda name: json.loads((folder / name).read_text(encoding="utf-8"))  # noqa: E731
    return RetrievalStructures(bm25=bm25, vocabulary=frozenset(read("vocabulary.json")), idf=read("idf.json"),
                               word_counts=read("word_counts.json"))


@lru_cache(maxsize=1)
def _code_version() -> str:
    """A hash of the code the structures come from, so a change of tokenizer, BM25, idf or word
    counting never meets structures built by the old code."""
    import bm25s

    here = Path(__file__).resolve().parent
    digest = hashlib.sha1(f"{FORMAT} {bm25s.__version__}".encode())
    for name in ("retrieve.py", "spelling.py"):
        digest.update((here / name).read_bytes())
    digest.update(inspect.getsource(idf_table).encode())
    return digest.hexdigest()[:16]
