"""The assistant's one public entry: a question (with its chat history) in, an Answer out.
Models and the index are loaded once per process (`get_assistant`)."""
from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from assistant.compose import Claim, Library, compose, idf_table, pick_claims, rank_claims, study_line
from assistant.query import HELP_TEXT, LEXICON, ReadQuestion, read_question
from assistant.records import Answer, RetrievedPassage
from assistant.retrieve import HybridRetriever, diversify, tokenize
from assistant.studies import named_studies, structured_matches
from ingest.index import get_embeddings, open_index
from ingest.settings import Settings, get_settings

SCOPE = (
    "The review covers self-compassion in mental health professionals and trainees: burnout, compassion "
    "fatigue and secondary traumatic stress; stress, depression, anxiety and well-being; mindfulness; "
    "self-compassion training (MSC, online programmes) and mindfulness- or compassion-based courses; "
    "and therapeutic skills such as self-efficacy and compassion for clients."
)


class Assistant:
    """Answers questions from one opened index."""

    def __init__(self, settings: Settings):
        self.settings = settings
        index = open_index(settings)
        embeddings = get_embeddings(settings)
        self.index = index
        self.references = index.references
        self.study_records = index.study_records
        self.digests = {d.ref: d for d in index.digests}
        self.library = Library(
            references={r.ref: r for r in index.references},
            digests=self.digests,
            records={s.ref: s for s in index.study_records},
            glossary=index.glossary,
        )
        self.retriever = HybridRetriever(
            index.passages, index.texts, index.collection, embeddings.embed_query, rrf_k=settings.retrieval.rrf_k
        )
        self.idf = idf_table(index.texts)
        lexicon_words = {t for replacement in LEXICON.values() for t in tokenize(replacement)}
        self.known_words = self.retriever.vocabulary | lexicon_words

    @classmethod
    def load(cls, settings: Settings | None = None) -> "Assistant":
        return cls(settings or get_settings())

    # -- answering ---------------------------------------------------------------------------

    def ask(self, question: str | None, history: Sequence[str] = (), persona: str | None = "auto",
            id: str | None = None) -> Answer:
        """One grounded answer; never raises for bad input."""
        started = time.perf_counter()
        read = read_question(question, history, persona, self.library.glossary, self.settings.answer.max_question_chars)
        if not read.clean.text:
            return Answer(id=id, question=read.clean.shown, answer=HELP_TEXT, route="help", persona=read.persona,
                          timings_ms={"total": _ms(started)})
        previous_refs = self._previous_refs(history) if read.is_followup else ()
        retrieve_started = time.perf_counter()
        named, unknown_named = named_studies(read.clean.text, self.references, self.known_words)
        boosts = {r: 0.05 for r in previous_refs}
        boosts.update({r: 0.1 for r in named})
        hits = self.retriever.search(
            read.search_text, dense_query=read.search_text,
            dense_k=self.settings.retrieval.dense_k, lexical_k=self.settings.retrieval.lexical_k, boosts=boosts,
        )
        kept = diversify(hits, max(self.settings.retrieval.top_k, 5), self.settings.retrieval.per_study_cap)
        retrieve_ms = _ms(retrieve_started)
        compose_started = time.perf_counter()
        reason = self._abstain_reason(read, hits, unknown_named)
        if reason:
            text = f"{reason} {SCOPE}"
            if read.clean.notes:
                text = "\n\n".join([*read.clean.notes, text])
            return self._answer(id, read, text, [], kept, True, None, started, retrieve_ms, compose_started)
        markdown, citations, evidence = self._compose(read, hits, kept, named, previous_refs)
        if read.clean.notes:
            markdown = "\n\n".join(["_" + " ".join(read.clean.notes) + "_", markdown])
        return self._answer(id, read, markdown, citations, kept, False, evidence, started, retrieve_ms, compose_started)

    def _answer(self, id, read, text, citations, kept, abstained, evidence, started, retrieve_ms, compose_started):
        retrieved = [
            RetrievedPassage(chunk_id=h.passage.passage_id, source=h.passage.source, section=h.passage.section,
                             refs=list(h.passage.refs), score=round(h.score, 4))
            for h in kept
        ]
        return Answer(
            id=id, question=read.clean.shown, answer=text, abstained=abstained, citations=citations,
            retrieved=retrieved, persona=read.persona, route="out_of_scope" if abstained else read.route,
            evidence=evidence,
            timings_ms={"retrieve": round(retrieve_ms, 2), "compose": round(_ms(compose_started), 2),
                        "total": round(_ms(started), 2)},
        )

    def _compose(self, read: ReadQuestion, hits, kept, named: Sequence[int], previous_refs: Sequence[int]):
        limit = self.settings.answer.max_points
        claims = rank_claims(read, hits[:12], self.idf)
        if named:
            # A question about a named study is answered from that study's sentences first.
            about = [c for c in claims if set(c.refs) & set(named)]
            claims = about + [c for c in claims if c not in about]
        elif previous_refs:
            about = [c for c in claims if set(c.refs) & set(previous_refs)]
            claims = about[:3] + [c for c in claims if c not in about[:3]]
        study_lines: list[Claim] = []
        if read.route == "list":
            records, focus = structured_matches(read, self.study_records, self.library.glossary)
            if not records:
                refs = _refs_of_top(hits[:10], named)
                records = [self.library.records[r] for r in refs if r in self.library.records]
            study_lines = [study_line(r, self.library, focus) for r in records]
        chosen = pick_claims(claims, limit + 2)
        lead = chosen[0] if chosen else None
        points = chosen[1:limit] if read.persona != "therapist" else chosen[1:3]
        caveats: list[Claim] = []
        if read.route in ("effect", "overview", "contrast"):
            caveats = [c for c in chosen[limit:] + claims[limit + 2:limit + 20] if _is_caveat(c)][:1]
            points = [p for p in points if p not in caveats]
        return compose(read, lead, points, caveats, self.library, study_lines=study_lines)

    def _previous_refs(self, history: Sequence[str]) -> tuple[int, ...]:
        """The refs the previous answer cited, recomputed from the previous question."""
        if not history:
            return ()
        earlier = self.ask(history[-1], history[:-1][-1:], "researcher")
        return tuple(c.ref for c in earlier.citations if c.ref)

    def _abstain_reason(self, read: ReadQuestion, hits, unknown_named: Sequence[str]) -> str | None:
        if unknown_named:
            return (f"The review does not cite any study by {', '.join(unknown_named)}, so I cannot say what it found; "
                    "I will not guess.")
        best = max((h.dense for h in hits), default=0.0)
        if best < self.settings.answer.abstain_below:
            return "The review and the abstracts it cites do not answer this question."
        unknown = [t for t in tokenize(read.clean.text) if t not in self.known_words and len(t) > 2 and not t.isdigit()]
        if unknown and best < 0.62:
            return (f"The review and the abstracts it cites say nothing about {', '.join(unknown[:3])}, "
                    "so I cannot answer this from them.")
        return None


def _is_caveat(claim: Claim) -> bool:
    from assistant.compose import _CONTRAST_CUE

    return bool(_CONTRAST_CUE.search(claim.text))


def _refs_of_top(hits, named) -> list[int]:
    refs: list[int] = list(named)
    for hit in hits:
        if hit.passage.kind in ("table_row", "digest") and hit.passage.study_ref:
            refs.append(hit.passage.study_ref)
    return list(dict.fromkeys(refs))


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0


@lru_cache(maxsize=2)
def _cached(settings: Settings) -> Assistant:
    return Assistant(settings)


def get_assistant(settings: Settings | None = None) -> Assistant:
    """The process's assistant, loaded on first use."""
    return _cached(settings or get_settings())


def answer_batch(assistant: Assistant, rows: Iterable[dict]) -> Iterator[Answer]:
    """The batch path: one answer per question-format row (id, question, history)."""
    for row in rows:
        yield assistant.ask(row.get("question", ""), row.get("history") or (), row.get("persona_override", "auto"),
                            id=row.get("id"))
