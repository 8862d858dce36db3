"""The baseline the project is measured against: the plain LangChain tutorial pipeline
(1000/200 character chunks, the same embeddings, Chroma, dense top-4, no reranking), its
chunks turned into an answer object so the same metrics score it."""
from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from assistant.records import Answer, Citation, RetrievedPassage
from eval.metrics import Question
from ingest.citations import cited_refs
from ingest.references import parse_references

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4
COLLECTION = "eval_baseline"  # its own collection in its own directory, never the project's


def baseline_documents(review_text: str, digest_texts: Mapping[int, str]) -> list[Document]:
    """The review as one document and each digest (digest + key findings) as its own."""
    # The highest ref a marker may name is the review's own reference count.
    max_ref = len(parse_references(review_text))
    documents = [Document(page_content=review_text, metadata={"source": "review", "ref": 0, "max_ref": max_ref})]
    documents += [
        Document(page_content=text, metadata={"source": "abstract", "ref": ref})
        for ref, text in sorted(digest_texts.items())
    ]
    return documents


def split_documents(documents: Sequence[Document]) -> list[Document]:
    """The tutorial's splitter; each chunk keeps its document's metadata and gets an id."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = splitter.split_documents(list(documents))
    return [
        Document(page_content=c.page_content, metadata={**c.metadata, "chunk_id": f"baseline-{i}"}, id=f"baseline-{i}")
        for i, c in enumerate(chunks)
    ]


def chunk_refs(chunk: Document) -> tuple[int, ...]:
    """The refs a chunk carries: the markers in a review chunk, the digest's own ref otherwise."""
    if chunk.metadata["source"] == "abstract":
        return (int(chunk.metadata["ref"]),)
    max_ref = int(chunk.metadata.get("max_ref", 0)) or 999
    return tuple(r for r in dict.fromkeys(cited_refs(chunk.page_content, max_ref=max_ref)) if 1 <= r <= max_ref)


def answer_from_chunks(
    question: Question, hits: Sequence[tuple[Document, float]], total_ms: float
) -> Answer:
    """The baseline's answer: the chunks concatenated, one citation per ref found in them (in
    order of first appearance, quoting the chunk it came from), never abstaining."""
    citations: dict[int, Citation] = {}
    for chunk, _score in hits:
        source = chunk.metadata["source"]
        for ref in chunk_refs(chunk):
            citations.setdefault(
                ref, Citation(ref=ref, label=f"[{ref}]", source=source, quote=chunk.page_content)
            )
    retrieved = [
        RetrievedPassage(
            chunk_id=chunk.metadata["chunk_id"], source=chunk.metadata["source"], section="",
            refs=list(chunk_refs(chunk)), score=float(score),
        )
        for chunk, score in hits
    ]
    return Answer(
        id=question.id,
        question=question.question,
        answer="\n\n".join(chunk.page_content for chunk, _ in hits),
        abstained=False,
        citations=list(citations.values()),
        retrieved=retrieved,
        timings_ms={"total": total_ms},
    )


@dataclass(frozen=True)
class Baseline:
    store: object  # langchain_chroma.Chroma
    chunk_count: int
    build_seconds: float

    def answer(self, question: Question) -> Answer:
        """Dense top-4 over the question alone: the tutorial pipeline keeps no chat history."""
        started = time.perf_counter()
        hits = self.store.similarity_search_with_relevance_scores(question.question, k=TOP_K)
        return answer_from_chunks(question, hits, (time.perf_counter() - started) * 1000)


@contextmanager
def open_baseline(
    review_text: str,
    digest_texts: Mapping[int, str],
    embeddings: Embeddings,
    directory: Path | None = None,
) -> Iterator[Baseline]:
    """Builds the baseline's Chroma in `directory` (a temporary one by default, removed after)."""
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    with tempfile.TemporaryDirectory(prefix="eval-baseline-") as scratch:
        started = time.perf_counter()
        chunks = split_documents(baseline_documents(review_text, digest_texts))
        store = Chroma(
            collection_name=COLLECTION,
            embedding_function=embeddings,
            persist_directory=str(directory or scratch),
            client_settings=ChromaSettings(anonymized_telemetry=False),
            # Cosine ranks unit vectors as the tutorial's l2 does, and keeps relevance in 0..1.
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        store.add_documents(chunks, ids=[c.id for c in chunks])
        try:
            yield Baseline(store=store, chunk_count=len(chunks), build_seconds=time.perf_counter() - started)
        finally:
            store.delete_collection()
